"""Complaints and service recovery (售后服务: 客户投诉处理流程): a customer complains about one of
their orders; the managers hear of it at once, one takes it, contacts the customer and records
the resolution; the customer says whether they are satisfied, which closes it, or not, which
reopens it for the same manager.

A complaint is numbered like an order (C-1001 from its id) and has a timeline like an order: its
status changes only by `TRANSITIONS` below (`_apply`), and every change is a ComplaintEvent row.

    open ──take──▶ in_hand ──resolve──▶ resolved ──satisfied──▶ closed
                   reopened ──resolve──▶ resolved ──unsatisfied──▶ reopened

Who may: a customer opens one on their own order (one at a time per order) and answers whether
they are satisfied with their own complaint's resolution; only managers take and resolve, and
only the manager who took it resolves it. Someone else's complaint is NotFound, exactly like a
missing one; technicians see none.

Reminders (rows in core.models.Reminder, sent by the reminder service like the others; their
key names the complaint, "complaint:<id>:..."): the managers hear of a new complaint at once;
one still not taken after 4 working hours (08:00-21:00 local, the hours outside quiet hours)
reminds them; the customer is told the resolution and asked; an unsatisfied answer tells the
manager who has it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from . import booking, lifecycle, orders, parsing, windows
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from .lifecycle import CUSTOMER, MANAGER
from .models import Complaint, ComplaintEvent, Reminder, SalesOrder, ServiceOrder, User
from .parsing import parse_money
from .reminder_queue import QUIET_FROM, QUIET_UNTIL
from .roles import require_customer, require_manager

log = logging.getLogger(__name__)

REASONS = ("late", "not_fixed", "damage", "rude", "price", "other")
APOLOGY, REVISIT, REFUND, DISCOUNT, NO_ACTION = "apology", "revisit", "refund", "discount", \
    "no_action"
RESOLUTIONS = (APOLOGY, REVISIT, REFUND, DISCOUNT, NO_ACTION)
WITH_AMOUNT = (REFUND, DISCOUNT)

OPEN, IN_HAND, RESOLVED, CLOSED, REOPENED = "open", "in_hand", "resolved", "closed", "reopened"
STATUSES = (OPEN, IN_HAND, RESOLVED, REOPENED, CLOSED)
UNFINISHED = (OPEN, IN_HAND, RESOLVED, REOPENED)  # not closed
WAITING_FOR_MANAGER = (OPEN, IN_HAND, REOPENED)  # the morning digest's "open complaints"

NUMBER_PREFIX = "C"
NUMBER_OFFSET = orders.NUMBER_OFFSET  # the same scheme as orders: C-1001
TEXT_MIN, TEXT_MAX = 5, 1000
NOTE_MAX = 500
PHOTOS_MAX = booking.PHOTOS_MAX
UNTAKEN_AFTER = timedelta(hours=4)  # working hours
WORK_FROM, WORK_UNTIL = QUIET_UNTIL, QUIET_FROM  # 08:00 to 21:00 local
KINDS = ("complaint_new", "complaint_unhandled", "complaint_resolved", "complaint_reopened")
ORDERS_OFFERED = 8  # /complain offers the customer's latest orders


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]


TRANSITIONS = (
    Transition("take", (OPEN,), IN_HAND, (MANAGER,)),
    Transition("resolve", (IN_HAND, REOPENED), RESOLVED, (MANAGER,)),
    Transition("satisfied", (RESOLVED,), CLOSED, (CUSTOMER,)),
    Transition("unsatisfied", (RESOLVED,), REOPENED, (CUSTOMER,)),
)


def target_status(action: str, status: str, role: str) -> str:
    for t in TRANSITIONS:
        if t.action == action and status in t.sources and role in t.roles:
            return t.target
    known = [t for t in TRANSITIONS if t.action == action]
    reason = ("unknown_action" if not known else
              "role" if not any(role in t.roles for t in known) else "status")
    raise TransitionRefused(action=action, status=status, reason=reason)


def complaint_number(complaint_id: int) -> str:
    return f"{NUMBER_PREFIX}-{NUMBER_OFFSET + complaint_id}"


def parse_complaint_number(text: str) -> int | None:
    cleaned = (text or "").strip().upper().replace(" ", "")
    if not cleaned.startswith(NUMBER_PREFIX):
        return None
    digits = cleaned[1:].lstrip("-")
    if not digits.isdigit() or len(digits) > 12:
        return None
    found = int(digits) - NUMBER_OFFSET
    return found if found > 0 else None


# --- working hours ----------------------------------------------------------------------------

def add_working_hours(moment: datetime, span: timedelta, zone) -> datetime:
    """`moment` plus `span` of working time (08:00-21:00 local, every day): time outside those
    hours does not count."""
    local = moment.astimezone(zone)
    left = span
    while True:
        day = local.date()
        opens = datetime.combine(day, WORK_FROM, tzinfo=zone)
        closes = datetime.combine(day, WORK_UNTIL, tzinfo=zone)
        if local < opens:
            local = opens
        if local >= closes:
            local = datetime.combine(day + timedelta(days=1), WORK_FROM, tzinfo=zone)
            continue
        if local + left <= closes:
            return (local + left).astimezone(moment.tzinfo)
        left -= closes - local
        local = datetime.combine(day + timedelta(days=1), WORK_FROM, tzinfo=zone)


# --- finding ----------------------------------------------------------------------------------

def may_see(user: User, complaint: Complaint) -> bool:
    if user is None or not user.active:
        return False
    if user.role == MANAGER:
        return True
    return user.role == CUSTOMER and complaint.customer_id == user.id


async def find(uow: UnitOfWork, user: User, complaint: Complaint | int | str, *,
               lock: bool = False) -> Complaint:
    """The complaint (its id or number) if `user` may see it, else NotFound (the same as for
    none). With `lock`, its row is held to the end of the unit of work and read again."""
    if isinstance(complaint, Complaint):
        complaint = complaint.id
    if isinstance(complaint, bool) or not isinstance(complaint, (int, str)):
        raise NotFound(what="complaint")
    complaint_id = complaint if isinstance(complaint, int) else parse_complaint_number(complaint)
    found = None
    if complaint_id:
        query = select(Complaint).where(Complaint.id == complaint_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        found = await uow.session.scalar(query)
    if found is None or not may_see(user, found):
        raise NotFound(what="complaint")
    return found


async def _lock(uow: UnitOfWork, user: User, complaint) -> Complaint:
    # SQLite has no row locks: a write first takes the database's write lock, so two presses
    # at once run one after the other and the second sees the first's change.
    dialect = (await uow.session.connection()).dialect.name
    found = await find(uow, user, complaint)
    if dialect == "sqlite":
        await uow.session.execute(update(Complaint).where(Complaint.id == found.id)
                                  .values(updated_at=Complaint.updated_at)
                                  .execution_options(synchronize_session=False))
        await uow.session.refresh(found)
        return found
    return await find(uow, user, found.id, lock=True)


def _apply(uow: UnitOfWork, complaint: Complaint, action: str, actor: User,
           note: str | None = None) -> ComplaintEvent:
    try:
        target = target_status(action, complaint.status, actor.role)
    except TransitionRefused as refused:
        refused.details["complaint"] = complaint.number
        raise
    event = _record(uow, complaint, action, actor, to_status=target, note=note)
    complaint.status = target
    return event


def _record(uow: UnitOfWork, complaint: Complaint, action: str, actor: User | None, *,
            to_status: str | None = None, note: str | None = None) -> ComplaintEvent:
    now = uow.now()
    event = ComplaintEvent(complaint_id=complaint.id, actor_id=actor.id if actor else None,
                           at=now, action=action, from_status=complaint.status,
                           to_status=to_status or complaint.status, note=note)
    uow.session.add(event)
    complaint.updated_at = now
    return event


# --- reminders --------------------------------------------------------------------------------

async def _managers(uow: UnitOfWork) -> list[int]:
    return list(await uow.session.scalars(
        select(User.id).where(User.role == MANAGER, User.active.is_(True)).order_by(User.id)))


def _remind(uow: UnitOfWork, complaint: Complaint, kind: str, recipient_id: int, due: datetime,
            occasion: str) -> None:
    uow.session.add(Reminder(key=f"complaint:{complaint.id}:{kind}:{recipient_id}:{occasion}",
                             kind=kind, recipient_id=recipient_id, due_at=due,
                             created_at=uow.now(), attempts=0))


def complaint_of(reminder: Reminder) -> int | None:
    """The complaint a reminder is about (from its key), or None."""
    parts = reminder.key.split(":")
    if len(parts) > 2 and parts[0] == "complaint" and parts[1].isdecimal():
        return int(parts[1])
    return None


# --- the customer's side ----------------------------------------------------------------------

@dataclass(frozen=True)
class OrderChoice:
    id: int
    number: str
    category: str | None
    status: str
    booked_date: date | None


async def orders_to_complain_about(uow: UnitOfWork, customer: User) -> list[OrderChoice]:
    """The customer's latest orders, newest first."""
    require_customer(customer)
    rows = await uow.session.execute(
        select(ServiceOrder.id, ServiceOrder.number, ServiceOrder.category, ServiceOrder.status,
               ServiceOrder.booked_date)
        .where(ServiceOrder.customer_id == customer.id)
        .order_by(ServiceOrder.created_at.desc(), ServiceOrder.id.desc()).limit(ORDERS_OFFERED))
    return [OrderChoice(*row) for row in rows]


async def check_order(uow: UnitOfWork, customer: User, order: ServiceOrder | int | str
                      ) -> ServiceOrder:
    """The customer's own order, with no complaint about it still open; else a refusal."""
    require_customer(customer)
    if isinstance(order, ServiceOrder):
        order = order.id
    if isinstance(order, bool) or not isinstance(order, (int, str)):
        raise NotFound(what="order")
    found = await orders.find_order_for(uow, customer, order)
    existing = await uow.session.scalar(
        select(Complaint.number).where(Complaint.order_id == found.id,
                                       Complaint.status.in_(UNFINISHED)).limit(1))
    if existing:
        raise NotAllowed(reason="already_complained", complaint=existing)
    return found


def clean_reason(reason: str) -> str:
    if reason not in REASONS:
        raise InvalidInput(field="reason", reason="unknown")
    return reason


async def open_complaint(uow: UnitOfWork, customer: User, order: ServiceOrder | int | str,
                         reason: str, text: str, photos=()) -> Complaint:
    """Files the complaint and tells every manager at once."""
    reason = clean_reason(reason)
    text = parsing.clean_text(text, "complaint", minimum=TEXT_MIN, maximum=TEXT_MAX,
                              multiline=True)
    photos = booking.clean_photos(list(photos))
    found = await check_order(uow, customer, order)
    await orders.lock_order(uow, found)  # a submit pressed twice files one complaint
    found = await check_order(uow, customer, found.id)
    return await _file(uow, found, customer.id, customer.id, reason, text, photos)


async def open_for_delivery(uow: UnitOfWork, order: ServiceOrder, text: str,
                            photos=()) -> Complaint:
    """A damage claim on a delivery (core.handover), filed by the system on the customer's
    behalf: reason "damage", the sales order's number first in its text; the managers are told
    as for any complaint. One still unfinished damage complaint on the order is returned as it
    is (the technician and the customer both saying "damaged" make one claim)."""
    sales = await uow.session.get(SalesOrder, order.sales_order_id) \
        if order.sales_order_id else None
    if sales is None:
        raise NotAllowed(reason="not_a_delivery", order=order.number)
    existing = await uow.session.scalar(
        select(Complaint).where(Complaint.order_id == order.id, Complaint.reason == "damage",
                                Complaint.status.in_(UNFINISHED)).limit(1))
    if existing is not None:
        return existing
    text = parsing.clean_text(f"{sales.number} · {order.number}: {text}", "complaint",
                              minimum=TEXT_MIN, maximum=TEXT_MAX, multiline=True)
    return await _file(uow, order, order.customer_id, None, "damage", text,
                       booking.clean_photos(list(photos)))


async def _file(uow: UnitOfWork, found: ServiceOrder, customer_id: int, actor_id: int | None,
                reason: str, text: str, photos: list) -> Complaint:
    now = uow.now()
    complaint = Complaint(order_id=found.id, customer_id=customer_id,
                          technician_id=found.technician_id, reason=reason, text=text,
                          photos=photos, status=OPEN, created_at=now, updated_at=now)
    uow.session.add(complaint)
    await uow.session.flush()
    complaint.number = complaint_number(complaint.id)
    uow.session.add(ComplaintEvent(complaint_id=complaint.id, actor_id=actor_id, at=now,
                                   action="open", from_status=None, to_status=OPEN,
                                   note=found.number))
    unhandled = add_working_hours(now, UNTAKEN_AFTER, uow.company.timezone)
    for manager in await _managers(uow):
        _remind(uow, complaint, "complaint_new", manager, now, "opened")
        _remind(uow, complaint, "complaint_unhandled", manager, unhandled, "untaken")
    await uow.session.flush()
    log.info("complaint %s opened on order %s (%s)", complaint.number, found.number, reason)
    return complaint


async def answer(uow: UnitOfWork, customer: User, complaint: Complaint | int | str,
                 satisfied: bool) -> Complaint:
    """The customer's answer to the resolution: satisfied closes the complaint, not satisfied
    reopens it and tells the manager who has it."""
    require_customer(customer)
    complaint = await _lock(uow, customer, complaint)
    event = _apply(uow, complaint, "satisfied" if satisfied else "unsatisfied", customer)
    await uow.session.flush()
    if satisfied:
        complaint.closed_at = uow.now()
    elif complaint.manager_id:
        _remind(uow, complaint, "complaint_reopened", complaint.manager_id, uow.now(),
                str(event.id))
    await uow.session.flush()
    return complaint


# --- the managers' side -----------------------------------------------------------------------

async def take(uow: UnitOfWork, manager: User, complaint: Complaint | int | str) -> Complaint:
    """"I handle this": the first manager gets it; another is told who has it."""
    require_manager(manager)
    complaint = await _lock(uow, manager, complaint)
    if complaint.manager_id is not None:
        if complaint.manager_id == manager.id:
            return complaint  # pressed twice
        holder = await uow.session.get(User, complaint.manager_id)
        raise NotAllowed(reason="complaint_taken",
                         by=holder.name if holder and holder.name else "?",
                         complaint=complaint.number)
    _apply(uow, complaint, "take", manager)
    complaint.manager_id, complaint.taken_at = manager.id, uow.now()
    # No one needs reminding of it any more.
    await uow.session.execute(
        update(Reminder).where(Reminder.key.like(f"complaint:{complaint.id}:complaint_unhandled:%"),
                               Reminder.sent_at.is_(None), Reminder.dropped_at.is_(None))
        .values(dropped_at=uow.now(), dropped_why="taken")
        .execution_options(synchronize_session=False))
    await uow.session.flush()
    log.info("complaint %s taken by manager %s", complaint.number, manager.id)
    return complaint


async def require_holder(uow: UnitOfWork, manager: User,
                         complaint: Complaint | int | str) -> Complaint:
    """The complaint if `manager` may record its resolution now: theirs, in hand or reopened."""
    require_manager(manager)
    complaint = await find(uow, manager, complaint)
    await _check_resolvable(uow, complaint, manager)
    return complaint


async def _check_resolvable(uow, complaint: Complaint, manager: User) -> None:
    if complaint.manager_id is None:
        raise NotAllowed(reason="complaint_not_taken", complaint=complaint.number)
    if complaint.manager_id != manager.id:
        holder = await uow.session.get(User, complaint.manager_id)
        raise NotAllowed(reason="complaint_taken",
                         by=holder.name if holder and holder.name else "?",
                         complaint=complaint.number)
    target_status("resolve", complaint.status, manager.role)


def clean_resolution(resolution: str, amount=None, note: str | None = None
                     ) -> tuple[str, int | None, str | None]:
    """(resolution, amount in fen, note) checked: an amount typed in yuan for a refund or
    discount, a reason for no action (a note is optional otherwise)."""
    if resolution not in RESOLUTIONS:
        raise InvalidInput(field="resolution", reason="unknown")
    if resolution in WITH_AMOUNT:
        amount = amount if isinstance(amount, int) and not isinstance(amount, bool) \
            else parse_money(amount)
        if amount <= 0:
            raise InvalidInput(field="amount", reason="range", maximum=0)
    else:
        amount = None
    note = parsing.clean_text(note, "note", minimum=1 if resolution == NO_ACTION else 0,
                              maximum=NOTE_MAX, multiline=True) if (
        note is not None or resolution == NO_ACTION) else None
    return resolution, amount, note or None


async def resolve(uow: UnitOfWork, manager: User, complaint: Complaint | int | str,
                  resolution: str, *, amount=None, note: str | None = None,
                  day: date | str | None = None, window: str | None = None) -> Complaint:
    """Records the resolution and asks the customer whether they are satisfied. A revisit is
    booked as a warranty order on the complained-of order (its own place in a window, like any
    booking), free of labour under the order's workmanship warranty."""
    require_manager(manager)
    resolution, amount, note = clean_resolution(resolution, amount, note)
    complaint = await _lock(uow, manager, complaint)
    await _check_resolvable(uow, complaint, manager)
    detail = resolution
    revisit = None
    if resolution == REVISIT:
        revisit = await _book_revisit(uow, complaint, day, window)
        detail = f"{resolution}:{revisit.number}"
    elif amount is not None:
        detail = f"{resolution}:{amount}"
    _apply(uow, complaint, "resolve", manager, note=detail)
    complaint.resolution, complaint.amount, complaint.resolution_note = resolution, amount, note
    complaint.revisit_order_id = revisit.id if revisit else None
    complaint.resolved_at = uow.now()
    await uow.session.flush()
    event_count = await uow.session.scalar(
        select(func.count()).select_from(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id))
    _remind(uow, complaint, "complaint_resolved", complaint.customer_id, uow.now(),
            str(event_count))
    await uow.session.flush()
    log.info("complaint %s resolved by manager %s: %s", complaint.number, manager.id, detail)
    return complaint


async def _book_revisit(uow: UnitOfWork, complaint: Complaint, day, window) -> ServiceOrder:
    if day is None or window is None:
        raise InvalidInput(field="day", reason="empty")
    original = await uow.session.get(ServiceOrder, complaint.order_id)
    customer = await uow.session.get(User, complaint.customer_id)
    day, start, end = windows.check_slot(uow, day, window)
    category = original.category or "other"
    await windows.take_place(uow, day, window, category)
    revisit = await orders.create_order(
        uow, customer, lifecycle.WARRANTY, appliance_id=original.appliance_id,
        address_id=original.address_id, phone=original.phone or customer.phone,
        description=f"{complaint.number}: {complaint.text}"[:booking.DESCRIPTION_MAX],
        category=category, parent_order_id=original.id, booked_date=day, window=window,
        window_start=start, window_end=end)
    return revisit


async def revisit_offers(uow: UnitOfWork, manager: User, complaint: Complaint | int | str):
    """The days and windows a revisit can be booked in (core.booking's offers)."""
    complaint = await require_holder(uow, manager, complaint)
    original = await uow.session.get(ServiceOrder, complaint.order_id)
    return await windows.offers(uow, original.category or "other")


