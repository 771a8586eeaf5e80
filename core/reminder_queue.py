"""Reminders: what the service owes people, and when.

Every change to an order re-plans that order's reminders in the same transaction
(`UnitOfWork.commit` calls `replan`): the reminders the order's state now calls for are
written, and unsent ones it no longer calls for are dropped. So a rescheduled order moves its
reminders and a cancelled one drops them, without each service having to remember to.
Each reminder has a key naming its occasion; planning the same occasion again finds the row
(sent or not) instead of writing a second one.

Sending is the chat side's job: it claims due reminders (`claim_due`), renders and sends
them, and reports back (`mark_sent`, `mark_failed`, `mark_undeliverable`). Claiming is a
conditional UPDATE of each row, so two senders on one database never both take one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session

from . import lifecycle, priority
from .desk import UnitOfWork
from .lifecycle import MANAGER, TECHNICIAN
from .models import OrderEvent, Rating, Reminder, ReplacedPart, ServiceOrder, User
from .ratings import LOW_RATING
from .settlement import check
from .stock_levels import low_stock

log = logging.getLogger(__name__)

# Reminders proper (ahead of something) and notifications (due the moment a change happens).
CUSTOMER_KINDS = ("confirmed", "day_before", "two_hours", "on_my_way", "parts_wait", "quote",
                  "quote_waiting", "report", "rating", "warranty_ending")
TECHNICIAN_KINDS = ("assigned", "job_soon", "morning_list", "quote_answered",
                    "scorecard")  # scorecard: planned by core.scorecards on the 1st
MANAGER_KINDS = ("unassigned", "declined", "overdue", "parts_missing", "quote_unanswered",
                 "digest", "low_stock", "low_rating", "parts_request",
                 "bill_difference")  # core.settlement
# Notices of something that happened, worth sending even when the order has moved on since
# (a report after the bill was settled at once). Other reminders go when no longer called for.
LASTING = ("report", "quote_answered", "declined", "parts_missing", "parts_wait", "low_rating",
           "parts_request")  # parts_request: written by core.triage, not planned here
# Quiet hours (21:00-08:00 local) hold back only what the customer did not ask for at that
# moment: reminders ahead of a visit, nudges, a rating request that comes later, warranty
# notices. A message about something happening now (the quote the technician just sent
# beside them, the report at completion, "on my way", the booking's confirmation) goes at once.
QUIET_KINDS = ("day_before", "two_hours", "quote_waiting", "rating", "warranty_ending")
# Acts recorded on an order that keep its status and plan nothing anew.
NOT_ENTERING = ("rate", "warranty_claim", "diagnose", "prioritise",
                "bill_difference_resolved",  # core.settlement
                # core.handover's acts
                "handover_recorded", "handover_confirmed", "handover_disputed",
                "handover_install", "handover_hold")
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)
DAY_BEFORE_AT = time(18, 0)
WARRANTY_NOTICE = timedelta(days=14)
WARRANTY_NOTICE_AT = time(10, 0)
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 12  # with backoff that is over a day of retrying


@dataclass(frozen=True)
class Planned:
    kind: str
    recipient_id: int
    due_at: datetime
    occasion: str

    def key(self, order_id: int) -> str:
        return f"order:{order_id}:{self.kind}:{self.recipient_id}:{self.occasion}"


def after_quiet_hours(moment: datetime, zone) -> datetime:
    """`moment`, or 08:00 local after it when it falls between 21:00 and 08:00."""
    local = moment.astimezone(zone)
    if local.time() >= QUIET_FROM:
        local = datetime.combine(local.date() + timedelta(days=1), QUIET_UNTIL, tzinfo=zone)
    elif local.time() < QUIET_UNTIL:
        local = datetime.combine(local.date(), QUIET_UNTIL, tzinfo=zone)
    return local.astimezone(moment.tzinfo)


async def _entered(uow: UnitOfWork, order: ServiceOrder) -> OrderEvent | None:
    """The event by which the order entered its current status. Acts that leave the status as
    it was and say nothing about the visit (a rating, a warranty claimed on it, a diagnosis)
    are no entering: rating a completed order must not make it "completed again" and bring
    the report a second time."""
    return await uow.session.scalar(
        select(OrderEvent).where(OrderEvent.order_id == order.id,
                                 OrderEvent.to_status == order.status,
                                 OrderEvent.action.not_in(NOT_ENTERING))
        .order_by(OrderEvent.id.desc()).limit(1))


async def _managers(uow: UnitOfWork) -> list[int]:
    return list(await uow.session.scalars(
        select(User.id).where(User.role == MANAGER, User.active.is_(True))))


async def plan(uow: UnitOfWork, order: ServiceOrder) -> list[Planned]:
    """The reminders `order` calls for in its present state (due times may have passed)."""
    zone = uow.company.timezone
    status = order.status
    entered = await _entered(uow, order)
    since = entered.at if entered else order.updated_at
    action = entered.action if entered else None
    planned: list[Planned] = []

    async def managers(kind, due, occasion):
        for manager in await _managers(uow):
            planned.append(Planned(kind, manager, due, occasion))

    def customer(kind, due, occasion):
        if kind in QUIET_KINDS:
            due = after_quiet_hours(due, zone)
        planned.append(Planned(kind, order.customer_id, due, occasion))

    start, end = order.window_start, order.window_end
    if start and status in (lifecycle.NEW, lifecycle.SCHEDULED):
        eve = datetime.combine(order.booked_date - timedelta(days=1), DAY_BEFORE_AT,
                               tzinfo=zone)
        # Booked after the eve's reminder time: the two-hours one is enough.
        if eve > order.created_at:
            customer("day_before", eve, start.isoformat())
        customer("two_hours", start - timedelta(hours=2), start.isoformat())
    if status == lifecycle.NEW:
        if order.priority == priority.URGENT:  # 30 minutes, from the booking or the marking
            marked = await priority.marked_at(uow, order)
            due = order.created_at + priority.UNASSIGNED_AFTER[priority.URGENT]
            await managers("unassigned", max(due, marked) if marked else due, "urgent")
        else:
            await managers("unassigned", order.created_at + timedelta(hours=2), "booked")
        if action == "unassign":  # a technician declined, or a manager took the job back
            await managers("declined", since, f"{entered.id}")
    if status == lifecycle.SCHEDULED and order.technician_id and start:
        occasion = f"{order.technician_id}@{start.isoformat()}"
        planned.append(Planned("assigned", order.technician_id, since, occasion))
        planned.append(Planned("job_soon", order.technician_id, start - timedelta(minutes=30),
                               occasion))
        customer("confirmed", since, occasion)
    if status in (lifecycle.SCHEDULED, lifecycle.EN_ROUTE) and end:
        await managers("overdue", end, end.isoformat())
    if status == lifecycle.EN_ROUTE:
        customer("on_my_way", since, since.isoformat())
    if status == lifecycle.WAITING_PARTS:
        customer("parts_wait", since, since.isoformat())
        await managers("parts_missing", since, since.isoformat())
    if status == lifecycle.AWAITING_APPROVAL:
        sent = str(entered.id) if entered else since.isoformat()  # each version its own
        customer("quote", since, sent)
        customer("quote_waiting", since + timedelta(hours=4), sent)
        await managers("quote_unanswered", since + timedelta(hours=24), sent)
    if action in ("approve_quote", "decline_quote", "decline_revision", "request_requote") \
            and order.technician_id:
        planned.append(Planned("quote_answered", order.technician_id, since, f"{entered.id}"))
    if status == lifecycle.COMPLETED:
        customer("report", since, since.isoformat())
        rated = await uow.session.get(Rating, order.id)
        if rated is None:
            customer("rating", since + timedelta(hours=1), since.isoformat())
        # A bill that differs from its quote or the parts issued: the managers check it.
        if (await check(uow, order)).open:
            await managers("bill_difference", since, since.isoformat())
    if status in (lifecycle.COMPLETED, lifecycle.CLOSED):
        # A low rating (1 or 2 stars) is told to the managers at once.
        rating = await uow.session.get(Rating, order.id)
        if rating is not None and rating.stars <= LOW_RATING:
            await managers("low_rating", rating.at, "rating")
        # One notice per date a part's warranty ends, two weeks before, mid-morning.
        ends = await uow.session.scalars(
            select(ReplacedPart.warranty_until).distinct().where(
                ReplacedPart.order_id == order.id, ReplacedPart.warranty_until.is_not(None)))
        for until in ends:
            due = datetime.combine(until - WARRANTY_NOTICE, WARRANTY_NOTICE_AT, tzinfo=zone)
            customer("warranty_ending", due, until.isoformat())
    return planned


_WRITTEN = "reminders_written"  # session.info key: this session wrote a reminder


@event.listens_for(Reminder, "after_insert")
def _reminder_written(mapper, connection, target) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_WRITTEN] = True


def written(uow: UnitOfWork) -> bool:
    """Whether the unit of work wrote a reminder since it was last asked: then the sender has
    something to look at now (most steps write none, and need not wake it)."""
    return bool(uow.session.info.pop(_WRITTEN, False))


async def plan_changes(uow: UnitOfWork) -> None:
    """The unit of work's commit hook (bot.bootstrap): the changed orders' reminders are
    re-planned, and managers hear of parts the stock moves left under their minimum."""
    for order in uow.changed_orders.values():
        await replan(uow, order)
    if uow.moved_parts:
        await plan_low_stock(uow, uow.moved_parts)


async def replan(uow: UnitOfWork, order: ServiceOrder) -> None:
    """Writes the reminders `order` now calls for and drops the unsent ones it no longer does."""
    now = uow.now()
    wanted = {p.key(order.id): p for p in await plan(uow, order)}
    existing = {r.key: r for r in await uow.session.scalars(
        select(Reminder).where(Reminder.order_id == order.id))}
    for key, reminder in existing.items():
        if reminder.kind in LASTING:
            continue
        if key not in wanted and reminder.sent_at is None and reminder.dropped_at is None:
            reminder.dropped_at, reminder.dropped_why = now, "no_longer_due"
    for key, planned in wanted.items():
        if key in existing:
            continue
        # A reminder whose moment passed while the order moved on is no use any more,
        # except the immediate ones (planned for the moment of the change itself).
        if planned.due_at < now - timedelta(minutes=5):
            continue
        uow.session.add(Reminder(key=key, kind=planned.kind, order_id=order.id,
                                 recipient_id=planned.recipient_id, due_at=planned.due_at,
                                 created_at=now, attempts=0))
    await uow.session.flush()


async def add_daily(uow: UnitOfWork, kind: str, recipient_id: int, day_key: str,
                    due_at: datetime, part_id: int | None = None) -> bool:
    """A reminder not about one order (morning lists, digests, low stock), once per
    recipient and day, however many schedulers ask for it. True if this call wrote it."""
    reminder = Reminder(key=f"daily:{kind}:{recipient_id}:{day_key}", kind=kind,
                        recipient_id=recipient_id, due_at=due_at, created_at=uow.now(),
                        attempts=0, part_id=part_id)
    try:
        async with uow.session.begin_nested():
            uow.session.add(reminder)
    except IntegrityError:
        return False
    return True


async def plan_low_stock(uow: UnitOfWork, part_ids) -> None:
    """After stock moved: each manager hears, once a day per part, of a part the main
    warehouse now holds fewer of than its minimum."""
    low = [line for line in await low_stock(uow) if line.part_id in part_ids]
    if not low:
        return
    today = uow.now().astimezone(uow.company.timezone).date().isoformat()
    for line in low:
        for manager in await _managers(uow):
            await add_daily(uow, "low_stock", manager, f"{line.part_id}:{today}", uow.now(),
                            part_id=line.part_id)


async def claim_due(uow: UnitOfWork, owner: str, limit: int = 100) -> list[Reminder]:
    """Takes up to `limit` due reminders for the sender `owner`, for LEASE (commit to hold
    them).

    Each row is taken by a conditional UPDATE that only succeeds while nobody holds it, so
    with two senders on one database every reminder goes to exactly one of them. A claim
    outlived by its sender (a crash, or a long batch paced a second apart) can be taken over;
    the first owner then finds it gone when it renews (`renew_claim`) and sends nothing.
    """
    now = uow.now()
    free = and_(Reminder.sent_at.is_(None), Reminder.dropped_at.is_(None),
                Reminder.due_at <= now,
                or_(Reminder.claimed_until.is_(None), Reminder.claimed_until < now))
    candidates = list(await uow.session.scalars(
        select(Reminder.id).where(free).order_by(Reminder.due_at, Reminder.id).limit(limit)))
    claimed = []
    for reminder_id in candidates:
        taken = await uow.session.execute(
            update(Reminder).where(Reminder.id == reminder_id, free)
            .values(claimed_until=now + LEASE, claimed_by=owner)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            claimed.append(reminder_id)
    if not claimed:
        return []
    return list(await uow.session.scalars(
        select(Reminder).where(Reminder.id.in_(claimed)).order_by(Reminder.due_at, Reminder.id)
        .execution_options(populate_existing=True)))


async def still_wanted(uow: UnitOfWork, reminder: Reminder) -> bool:
    """Checked just before sending: the order may have moved on since it was claimed."""
    if reminder.order_id is None or reminder.kind in LASTING:
        return True
    order = await uow.session.get(ServiceOrder, reminder.order_id, populate_existing=True)
    wanted = {p.key(order.id) for p in await plan(uow, order)}
    return reminder.key in wanted


async def renew_claim(uow: UnitOfWork, reminder_id: int, owner: str) -> bool:
    """Right before sending: the claim is still `owner`'s (and the reminder unsent), held for
    another LEASE. False means another sender took it over: send nothing."""
    result = await uow.session.execute(
        update(Reminder).where(Reminder.id == reminder_id, Reminder.claimed_by == owner,
                               Reminder.sent_at.is_(None), Reminder.dropped_at.is_(None))
        .values(claimed_until=uow.now() + LEASE)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


async def mark_sent(uow: UnitOfWork, reminder_id: int, owner: str) -> bool:
    """Only the claim's owner marks a reminder sent."""
    result = await uow.session.execute(
        update(Reminder).where(Reminder.id == reminder_id, Reminder.sent_at.is_(None),
                               Reminder.claimed_by == owner)
        .values(sent_at=uow.now(), claimed_until=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


async def mark_dropped(uow: UnitOfWork, reminder_id: int, why: str) -> None:
    await uow.session.execute(
        update(Reminder).where(Reminder.id == reminder_id)
        .values(dropped_at=uow.now(), dropped_why=why, claimed_until=None)
        .execution_options(synchronize_session=False))


async def mark_failed(uow: UnitOfWork, reminder: Reminder, error: str,
                      retry_after: float | None = None) -> None:
    """Not sent this time (network, Telegram busy): tried again later, with backoff."""
    attempts = reminder.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        await mark_dropped(uow, reminder.id, "gave_up")
        log.error("reminder %s (%s) given up after %s attempts: %s", reminder.id, reminder.kind,
                  attempts, error)
        return
    wait = max(retry_after or 0, min(2 ** attempts, 3600))
    await uow.session.execute(
        update(Reminder).where(Reminder.id == reminder.id)
        .values(attempts=attempts, last_error=error[:300], claimed_until=None,
                due_at=uow.now() + timedelta(seconds=wait))
        .execution_options(synchronize_session=False))


async def mark_undeliverable(uow: UnitOfWork, reminder: Reminder) -> None:
    """The person blocked the bot: drop this reminder and note they cannot be reached."""
    await mark_dropped(uow, reminder.id, "blocked")
    await uow.session.execute(update(User).where(User.id == reminder.recipient_id)
                              .values(unreachable=True)
                              .execution_options(synchronize_session=False))


async def technicians_and_managers(uow: UnitOfWork) -> tuple[list[int], list[int]]:
    rows = await uow.session.execute(
        select(User.id, User.role).where(User.active.is_(True),
                                         User.role.in_((TECHNICIAN, MANAGER))))
    technicians = [i for i, role in rows if role == TECHNICIAN]
    return technicians, await _managers(uow)


async def backlog(uow: UnitOfWork) -> tuple[int, int]:
    """(reminders due now and not yet sent, customer reminders held back by quiet hours:
    those waiting for the 08:00 that ends them), for the operator's metrics."""
    now = uow.now()
    pending = (Reminder.sent_at.is_(None), Reminder.dropped_at.is_(None))
    due = await uow.session.scalar(
        select(func.count()).select_from(Reminder).where(*pending, Reminder.due_at <= now))
    held_kinds = list(QUIET_KINDS)
    waiting = await uow.session.scalars(
        select(Reminder.due_at).where(*pending, Reminder.kind.in_(held_kinds),
                                      Reminder.due_at > now,
                                      Reminder.due_at <= now + timedelta(hours=24)))
    zone = uow.company.timezone
    held = sum(1 for due_at in waiting if due_at.astimezone(zone).time() == QUIET_UNTIL)
    return due or 0, held
