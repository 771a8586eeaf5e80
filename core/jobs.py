"""A technician's day: their jobs, and every act on a job from accepting it to being paid.

Only the assigned technician acts on a job: anyone else's job, and every job of a deactivated
technician, is NotFound exactly like an order that does not exist. Every act is an order event
with who and when (status changes through `orders.apply`, acts that keep the status through
`orders.record`). Each act locks the order's row first (core.booking.lock_order) and checks the
order as it is then, so two presses of one button cannot both land.

On time: `arrive` records `arrived_at`; a visit is on time when the technician arrived within
the booked window (`is_on_time`). An arrival before the window is early, after it late: the
event's note says so, as does "on my way" pressed on another day than the booked one (which
the chat asks the technician to confirm first, see `off_day`).

Completion (core.completion), the bill (core.bill) and the repair report
(core.repair_reports) build on this module.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from . import booking, lifecycle, orders
from .access import find, locked
from .catalogue import get_part, whole_number
from .customer_orders import first_name
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed, TransitionRefused
from .lifecycle import TECHNICIAN
from .models import (
    Address,
    Appliance,
    Diagnosis,
    MissingPart,
    OrderEvent,
    Part,
    ServiceOrder,
    User,
)
from .paging import LIMIT, OFFSET, Page, page_rows
from .parsing import SERIAL_MAX, clean_text
from .roles import require_technician
from .settlement import require_checked
from .warranty import claimed_parts
from .windows import local_today

log = logging.getLogger(__name__)

# The jobs on a technician's list: assigned and not yet closed (a completed job stays until
# it is paid, which the technician may record on the spot).
JOB_STATUSES = (
    lifecycle.SCHEDULED, lifecycle.EN_ROUTE, lifecycle.ON_SITE, lifecycle.AWAITING_APPROVAL,
    lifecycle.IN_PROGRESS, lifecycle.WAITING_PARTS, lifecycle.COMPLETED,
)
PAGE_SIZE = 5
FAULT_MIN, FAULT_MAX = 5, 2000
PHOTOS_MAX = 10
REASON_MIN, REASON_MAX = 2, 300
NOTE_MAX = 500
PARTS_USED_MAX = 30
PART_QUANTITY_MAX = 99
PAYMENT_METHODS = ("cash", "transfer", "waived")
DIAGNOSABLE_STATUSES = (lifecycle.ON_SITE, lifecycle.IN_PROGRESS)
DIAGNOSABLE_KINDS = (lifecycle.REPAIR, lifecycle.WARRANTY)


EARLY, LATE = "early", "late"


def arrival_timing(order: ServiceOrder, moment: datetime | None) -> str | None:
    """Where `moment` falls against the booked window: EARLY before it starts, LATE after it
    ends, None within it (or for an order without a window)."""
    if moment is None or order.window_start is None or order.window_end is None:
        return None
    if moment < order.window_start:
        return EARLY
    if moment > order.window_end:
        return LATE
    return None


def is_on_time(order: ServiceOrder) -> bool | None:
    """Whether the technician arrived within the booked window (neither before it began nor
    after it ended); None before arrival or for an order without a window."""
    if order.arrived_at is None or order.window_end is None:
        return None
    return arrival_timing(order, order.arrived_at) is None


def off_day(uow: UnitOfWork, order: ServiceOrder) -> str | None:
    """EARLY or LATE when today (local) is not the order's booked day, else None: "on my way"
    or "arrived" then is most likely a slip of the finger, confirmed before it counts."""
    if order.booked_date is None:
        return None
    today = local_today(uow)
    if today < order.booked_date:
        return EARLY
    if today > order.booked_date:
        return LATE
    return None


async def visit_off_day(uow: UnitOfWork, technician: User,
                        order: ServiceOrder | int | str) -> str | None:
    """`off_day` for the technician's own job (NotFound for anyone else's)."""
    return off_day(uow, await own_job(uow, technician, order))


def clean_photo_ids(photos, field: str = "photos", limit: int = PHOTOS_MAX) -> list[str]:
    """Telegram file ids, each once, at most `limit`."""
    if photos is None:
        return []
    if not isinstance(photos, (list, tuple)) or not all(
            isinstance(p, str) and booking.FILE_ID.match(p) for p in photos):
        raise InvalidInput(field=field, reason="format")
    photos = list(dict.fromkeys(photos))
    if len(photos) > limit:
        raise InvalidInput(field=field, reason="too_many", limit=limit)
    return photos


def check_act(order: ServiceOrder, action: str) -> None:
    """TransitionRefused unless a technician may take `action` on the order now."""
    try:
        lifecycle.target_status(action, order.status, TECHNICIAN, order.kind)
    except TransitionRefused as refused:
        refused.details["order"] = order.number
        raise


async def own_job(uow: UnitOfWork, technician: User, order) -> ServiceOrder:
    """The technician's own job, locked. A deactivated technician's jobs are NotFound."""
    if technician is None or technician.role != TECHNICIAN:
        raise NotAllowed(reason="technician_only")
    return await locked(uow, technician, order)


# --- the list and the card --------------------------------------------------------------------

@dataclass(frozen=True)
class JobCard:
    id: int
    number: str
    kind: str
    status: str
    when: str | None  # earlier (an open job from a past day), today, upcoming
    booked_date: date | None  # local
    window: str | None  # local, e.g. "09-12"
    window_start: datetime | None  # aware UTC
    window_end: datetime | None
    address: str | None
    latitude: float | None
    longitude: float | None
    customer_name: str | None  # first name
    phone: str | None
    category: str | None
    brand: str | None
    model: str | None
    serial: str | None
    description: str | None
    photos: tuple[str, ...]  # the customer's, Telegram file ids
    accepted: bool  # the technician accepted this assignment
    arrived_at: datetime | None
    on_time: bool | None
    diagnosis: str | None  # the latest fault found
    claimed_parts: tuple[str, ...]  # a warranty order: the SKUs claimed for
    actions: tuple[str, ...]  # accept, decline, start_trip, arrive, diagnose, quote,
    #                           complete, parts_missing, settle: in button order
    arrival: str | None = None  # arrived early or late (see `arrival_timing`); None: in time


def technician_actions(order: ServiceOrder, accepted: bool, diagnosed: bool) -> tuple[str, ...]:
    status, kind = order.status, order.kind
    repair = kind in DIAGNOSABLE_KINDS
    if status == lifecycle.SCHEDULED:
        return ("start_trip", "decline") if accepted else ("accept", "decline", "start_trip")
    if status == lifecycle.EN_ROUTE:
        return ("arrive",)
    if status == lifecycle.ON_SITE:
        if not repair:
            return ("complete", "parts_missing")
        return ("diagnose",) + (("quote",) if diagnosed else ()) + ("parts_missing",)
    if status == lifecycle.IN_PROGRESS:
        return ("complete", "quote", "parts_missing")
    if status == lifecycle.COMPLETED:
        return ("settle",)
    return ()


def _job_order():
    """The list's order: any left over from earlier days first, then today's in window
    order, then upcoming ones. As ix_service_orders_technician_day is ordered (NULLS LAST
    written out, as PostgreSQL's index keeps them), so that a page is read, not sorted."""
    return (ServiceOrder.booked_date.asc().nulls_last(),
            ServiceOrder.window_start.asc().nulls_last(), ServiceOrder.id)


async def my_jobs(uow: UnitOfWork, technician: User, page: int = 1,
                  page_size: int = PAGE_SIZE) -> Page[JobCard]:
    """The technician's open jobs: any left over from earlier days first, then today's in
    window order, then upcoming ones; paged."""
    require_technician(technician)
    rows, page, page_size, total = await page_rows(
        uow.session, _jobs_statement(), page, page_size, PAGE_SIZE, technician_id=technician.id)
    return Page(tuple(await _cards(uow, rows)), page, page_size, total)


@functools.cache
def _jobs_statement():
    """A page of a technician's (bind parameter technician_id) open jobs, with their count: made
    once, it is the same statement for everyone."""
    mine = (ServiceOrder.technician_id == bindparam("technician_id"),
            ServiceOrder.status.in_(JOB_STATUSES))
    # count(*) as a subquery of its own, answered from ix_service_orders_technician_status
    # alone (a count over the page's rows would read every open job's row).
    total = select(func.count()).select_from(ServiceOrder).where(*mine).scalar_subquery()
    return _cards_statement(select(ServiceOrder.id).where(*mine).order_by(*_job_order())
                            .offset(OFFSET).limit(LIMIT), total)


async def job_card(uow: UnitOfWork, technician: User,
                   order: ServiceOrder | int | str) -> JobCard:
    """One job (itself, its id or number) as its technician sees it."""
    if technician is None or technician.role != TECHNICIAN:
        raise NotAllowed(reason="technician_only")
    order = await find(uow, technician, order)
    rows = (await uow.session.execute(_card_statement(), {"order_id": order.id})).all()
    return (await _cards(uow, rows))[0]


@functools.cache
def _card_statement():
    return _cards_statement(select(ServiceOrder.id).where(
        ServiceOrder.id == bindparam("order_id")))


def _cards_statement(ids, *extra):
    """The jobs whose ids `ids` selects, with all that their cards show, in one statement:
    the order's columns, its appliance, address and customer's first name, the last of its
    assignment and acceptance, its latest fault found; then `extra` columns (the total). The
    joins and lookups are made for those rows only, after the page is chosen."""
    found = ids.subquery()
    customer = aliased(User)
    last_assignment = (select(OrderEvent.action)
                       .where(OrderEvent.order_id == ServiceOrder.id,
                              OrderEvent.action.in_(("assign", "accept")))
                       .order_by(OrderEvent.id.desc()).limit(1).scalar_subquery())
    latest_fault = (select(Diagnosis.fault).where(Diagnosis.order_id == ServiceOrder.id)
                    .order_by(Diagnosis.id.desc()).limit(1).scalar_subquery())
    return (select(ServiceOrder.id, ServiceOrder.number, ServiceOrder.kind,
                   ServiceOrder.status, ServiceOrder.booked_date, ServiceOrder.window,
                   ServiceOrder.window_start, ServiceOrder.window_end, ServiceOrder.arrived_at,
                   ServiceOrder.phone, ServiceOrder.description, ServiceOrder.photos,
                   ServiceOrder.category,
                   Appliance.category.label("appliance_category"), Appliance.brand,
                   Appliance.model, Appliance.serial,
                   Address.text.label("address"), Address.latitude, Address.longitude,
                   customer.name.label("customer_name"),
                   last_assignment.label("last_assignment"), latest_fault.label("fault"),
                   *extra)
            .join(found, found.c.id == ServiceOrder.id)
            .outerjoin(Appliance, Appliance.id == ServiceOrder.appliance_id)
            .outerjoin(Address, Address.id == ServiceOrder.address_id)
            .outerjoin(customer, customer.id == ServiceOrder.customer_id)
            .order_by(*_job_order()))


async def _cards(uow: UnitOfWork, rows) -> list[JobCard]:
    """The cards of rows of `_cards_statement`, in their order."""
    today = local_today(uow)
    cards = []
    for job in rows:
        claimed = (tuple(p.sku for p in await claimed_parts(uow, job))
                   if job.kind == lifecycle.WARRANTY else ())
        when = None
        if job.booked_date is not None:
            when = ("earlier" if job.booked_date < today
                    else "today" if job.booked_date == today else "upcoming")
        accepted = job.last_assignment == "accept"
        cards.append(JobCard(
            id=job.id, number=job.number, kind=job.kind, status=job.status, when=when,
            booked_date=job.booked_date, window=job.window,
            window_start=job.window_start, window_end=job.window_end,
            address=job.address, latitude=job.latitude, longitude=job.longitude,
            customer_name=first_name(job.customer_name) if job.customer_name else None,
            phone=job.phone,
            category=job.category or job.appliance_category,
            brand=job.brand, model=job.model, serial=job.serial,
            description=job.description, photos=tuple(job.photos or ()),
            accepted=accepted, arrived_at=job.arrived_at,
            on_time=is_on_time(job), diagnosis=job.fault,
            arrival=arrival_timing(job, job.arrived_at),
            claimed_parts=claimed,
            actions=technician_actions(job, accepted, job.fault is not None)))
    return cards


# --- from assignment to arrival ---------------------------------------------------------------

async def accept(uow: UnitOfWork, technician: User,
                 order: ServiceOrder | int | str) -> OrderEvent:
    """The technician takes the new assignment (the status stays scheduled). Pressed again,
    it returns the first acceptance and records nothing more."""
    order = await own_job(uow, technician, order)
    if order.status != lifecycle.SCHEDULED:
        raise TransitionRefused(action="accept", status=order.status, reason="status",
                                order=order.number)
    last = await uow.session.scalar(
        select(OrderEvent).where(OrderEvent.order_id == order.id,
                                 OrderEvent.action.in_(("assign", "accept")))
        .order_by(OrderEvent.id.desc()).limit(1))
    if last is not None and last.action == "accept":
        return last
    event = orders.record(uow, order, "accept", technician)
    await uow.session.flush()
    return event


async def decline(uow: UnitOfWork, technician: User, order: ServiceOrder | int | str,
                  reason: str) -> OrderEvent:
    """The technician turns the assignment down with a reason (2 to 300 characters): the
    order goes back to new and unassigned, for dispatch; the event's note is the reason."""
    reason = clean_text(reason, "reason", minimum=REASON_MIN, maximum=REASON_MAX,
                        multiline=True)
    order = await own_job(uow, technician, order)
    event = await orders.apply(uow, order, "unassign", technician, note=reason)
    order.technician_id = None
    await uow.session.flush()
    log.info("order %s declined by technician %s", order.number, technician.id)
    return event


async def start_trip(uow: UnitOfWork, technician: User,
                     order: ServiceOrder | int | str) -> OrderEvent:
    """"On my way": scheduled → en_route; on another day than the booked one the event notes
    early or late."""
    order = await own_job(uow, technician, order)
    return await orders.apply(uow, order, "start_trip", technician, note=off_day(uow, order))


async def arrive(uow: UnitOfWork, technician: User,
                 order: ServiceOrder | int | str) -> OrderEvent:
    """"Arrived": en_route → on_site, recording the arrival time (see `is_on_time`)."""
    order = await own_job(uow, technician, order)
    event = await orders.apply(uow, order, "arrive", technician,
                               note=arrival_timing(order, uow.now()))
    order.arrived_at = event.at
    await uow.session.flush()
    return event


# --- on site ----------------------------------------------------------------------------------

async def diagnose(uow: UnitOfWork, technician: User, order: ServiceOrder | int | str,
                   fault: str, photos: list[str] | tuple[str, ...] = ()) -> Diagnosis:
    """The fault found (5 to 2000 characters) and up to 10 photos, on a repair or warranty
    order on site or in progress; a later diagnosis refines the earlier one. An event
    "diagnose" notes the start of the text."""
    fault = clean_text(fault, "fault", minimum=FAULT_MIN, maximum=FAULT_MAX, multiline=True)
    photos = clean_photo_ids(photos)
    order = await own_job(uow, technician, order)
    if order.kind not in DIAGNOSABLE_KINDS or order.status not in DIAGNOSABLE_STATUSES:
        raise TransitionRefused(
            action="diagnose", status=order.status, order=order.number,
            reason="kind" if order.kind not in DIAGNOSABLE_KINDS else "status")
    diagnosis = Diagnosis(order_id=order.id, technician_id=technician.id, at=uow.now(),
                          fault=fault, photos=photos)
    uow.session.add(diagnosis)
    orders.record(uow, order, "diagnose", technician, note=fault[:200])
    await uow.session.flush()
    return diagnosis


async def latest_diagnosis(uow: UnitOfWork, order: ServiceOrder) -> Diagnosis | None:
    return await uow.session.scalar(
        select(Diagnosis).where(Diagnosis.order_id == order.id)
        .order_by(Diagnosis.id.desc()).limit(1))


async def parts_missing(uow: UnitOfWork, technician: User, order: ServiceOrder | int | str,
                        parts: list[tuple] | tuple = (), note: str | None = None) -> OrderEvent:
    """The job cannot go on without parts: which (catalogue parts with quantities) and/or a
    note (up to 500 characters), at least one of them. The order goes to waiting_parts, for a
    manager to reschedule; the event's note lists them ("2 × CMP-01; note")."""
    note = clean_text(note, "note", maximum=NOTE_MAX, multiline=True)
    if not isinstance(parts, (list, tuple)) or len(parts) > PARTS_USED_MAX:
        raise InvalidInput(field="parts", reason="format")
    wanted = []
    for entry in parts:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise InvalidInput(field="parts", reason="format")
        part = await get_part(uow, entry[0], include_inactive=True)
        wanted.append((part, whole_number(entry[1], "quantity", 1, PART_QUANTITY_MAX)))
    if not wanted and not note:
        raise InvalidInput(field="parts", reason="empty")
    order = await own_job(uow, technician, order)
    check_act(order, "parts_missing")
    now = uow.now()
    for part, quantity in wanted:
        uow.session.add(MissingPart(order_id=order.id, technician_id=technician.id, at=now,
                                    part_id=part.id, quantity=quantity))
    if note:
        uow.session.add(MissingPart(order_id=order.id, technician_id=technician.id, at=now,
                                    note=note))
    summary = ", ".join(f"{q} × {p.sku}" for p, q in wanted)
    return await orders.apply(uow, order, "parts_missing", technician,
                              note="; ".join(x for x in (summary, note) if x))


async def missing_parts(uow: UnitOfWork,
                        order: ServiceOrder) -> list[tuple[MissingPart, Part | None]]:
    """What the order waits for (latest report first), for the manager's card."""
    rows = await uow.session.execute(
        select(MissingPart, Part).outerjoin(Part, Part.id == MissingPart.part_id)
        .where(MissingPart.order_id == order.id).order_by(MissingPart.id.desc()))
    return [(m, p) for m, p in rows]


def payment_methods(amount: int | None, kind: str) -> tuple[str, ...]:
    """How a completed job may be paid: waived only when nothing is owed or on a warranty
    order (the chat offers these, `settle` accepts these)."""
    if (amount or 0) > 0 and kind != lifecycle.WARRANTY:
        return tuple(m for m in PAYMENT_METHODS if m != "waived")
    return PAYMENT_METHODS


async def settle(uow: UnitOfWork, actor: User, order: ServiceOrder | int | str,
                 method: str) -> OrderEvent:
    """Paid: cash or transfer, or waived (only when nothing is owed or on a warranty
    order): completed → closed, by the job's technician or a manager."""
    if method not in PAYMENT_METHODS:
        raise InvalidInput(field="method", reason="unknown")
    order = await locked(uow, actor, order)
    try:
        lifecycle.target_status("settle", order.status, actor.role, order.kind)
    except TransitionRefused as refused:
        refused.details["order"] = order.number
        raise
    if method not in payment_methods(order.final_amount, order.kind):
        raise NotAllowed(reason="waive_not_allowed", amount=order.final_amount)
    await require_checked(uow, order)
    order.payment_method = method
    return await orders.apply(uow, order, "settle", actor, note=method)


