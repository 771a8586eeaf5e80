"""Dispatch: the unassigned orders, suggested technicians, and assigning them.

An order's area. Addresses are free text, and the company configures its service areas by
name (settings SERVICE_AREAS, technicians choose theirs from that list). An order's area is
the configured area whose name appears in the address text, letter case aside (the longest
such name when several do, e.g. "Pudong New Area" before "Pudong"); None when no name
appears. A technician serves the order's area when it is among their areas; with the area
unknown no one does, and suggestions simply rank on the other criteria.

Suggestions rank active technicians by: has the skill (the order's category), serves the area,
free in the order's window (holds no other job there: one technician, one job per window), and
then fewest jobs that day (every order of theirs booked that day that is not cancelled). Those
who could be assigned (skill and free) all come before those who could not, so the top three
are never someone the manager would be refused.

Assigning locks the order's window like a booking does (core.booking.lock_window), then the
order, and only then checks the technician's other jobs in that window; so two managers
assigning one technician to two orders of one window at once cannot both succeed: the second
waits for the first to commit and then sees its job. A refusal is NotAllowed with the reason
"technician_inactive", "technician_lacks_skill" (with the category) or "technician_busy"
(with the order number already holding that window).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from . import lifecycle, orders, parsing
from .access import find, locked
from .areas import area_of
from .customer_orders import first_name
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from .lifecycle import MANAGER, TECHNICIAN
from .models import Address, Appliance, ServiceOrder, User
from .paging import Page, page_bounds
from .priority import NORMAL, RANK
from .roles import require_manager
from .windows import check_slot, lock_window, take_place

log = logging.getLogger(__name__)

PAGE_SIZE = 5
SUGGESTIONS = 3


async def order_area(uow: UnitOfWork, order: ServiceOrder) -> str | None:
    address = await uow.session.get(Address, order.address_id) if order.address_id else None
    return area_of(address.text if address else None, uow.company.service_areas,
                   uow.company.area_names)


# --- the unassigned orders --------------------------------------------------------------------

@dataclass(frozen=True)
class DispatchCard:
    id: int
    number: str
    kind: str
    status: str
    category: str | None
    brand: str | None
    model: str | None
    booked_date: date | None  # local
    window: str | None  # local
    window_start: datetime | None  # aware UTC
    address: str | None
    area: str | None  # see the module's notes
    customer_name: str | None  # first name
    phone: str | None
    description: str | None
    photo_count: int
    created_at: datetime
    priority: str = "normal"  # core.priority
    customer_important: bool = False


async def unassigned_orders(uow: UnitOfWork, page: int = 1,
                            page_size: int = PAGE_SIZE) -> Page[DispatchCard]:
    """Orders waiting for a technician (status new), the oldest booked window first (orders
    without a window last), paged."""
    waiting = ServiceOrder.status == lifecycle.NEW
    total = await uow.session.scalar(select(func.count(ServiceOrder.id)).where(waiting)) or 0
    page, page_size, offset = page_bounds(page, page_size, total, PAGE_SIZE)
    rows = await uow.session.execute(
        select(ServiceOrder, Appliance, Address, User)
        .outerjoin(Appliance, Appliance.id == ServiceOrder.appliance_id)
        .outerjoin(Address, Address.id == ServiceOrder.address_id)
        .join(User, User.id == ServiceOrder.customer_id)
        .where(waiting)
        .order_by(priority_rank(), ServiceOrder.window_start.is_(None),
                  ServiceOrder.window_start, ServiceOrder.id)
        .offset(offset).limit(page_size))
    areas = uow.company.service_areas
    items = tuple(_dispatch_card(order, appliance, address, customer, areas,
                                 uow.company.area_names)
                  for order, appliance, address, customer in rows)
    return Page(items, page, page_size, total)


def _dispatch_card(order, appliance, address, customer, areas, names) -> DispatchCard:
    return DispatchCard(
        id=order.id, number=order.number, kind=order.kind, status=order.status,
        category=order.category or (appliance.category if appliance else None),
        brand=appliance.brand if appliance else None,
        model=appliance.model if appliance else None,
        booked_date=order.booked_date, window=order.window,
        window_start=order.window_start, address=address.text if address else None,
        area=area_of(address.text if address else None, areas, names),
        customer_name=first_name(customer.name) if customer else None, phone=order.phone,
        description=order.description, photo_count=len(order.photos or ()),
        created_at=order.created_at, priority=order.priority or NORMAL,
        customer_important=bool(customer.important) if customer else False)


def priority_rank():
    """Urgent orders first, then important ones, then the rest (core.priority)."""
    return case(*((ServiceOrder.priority == p, rank) for p, rank in RANK.items()
                  if p != NORMAL), else_=RANK[NORMAL])


async def dispatch_card(uow: UnitOfWork, manager: User,
                        order: ServiceOrder | int | str) -> DispatchCard:
    """One order as the dispatcher needs it: where (address, area), who (the customer and
    their phone), what and when."""
    require_manager(manager)
    order = await find(uow, manager, order)
    appliance = await uow.session.get(Appliance, order.appliance_id) if order.appliance_id \
        else None
    address = await uow.session.get(Address, order.address_id) if order.address_id else None
    customer = await uow.session.get(User, order.customer_id)
    return _dispatch_card(order, appliance, address, customer, uow.company.service_areas,
                          uow.company.area_names)


async def next_unassigned(uow: UnitOfWork, manager: User) -> int | None:
    """The id of the order to dispatch next (the earliest booked window), or None."""
    require_manager(manager)
    found = await unassigned_orders(uow, 1, 1)
    return found.items[0].id if found.items else None


# --- suggestions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TechnicianSuggestion:
    id: int
    name: str | None
    has_skill: bool
    serves_area: bool
    free: bool  # holds no other job in the order's window
    jobs_that_day: int
    busy_with: str | None  # the order number holding the window, when not free

    @property
    def assignable(self) -> bool:
        return self.has_skill and self.free


async def suggest_technicians(uow: UnitOfWork, order: ServiceOrder,
                              limit: int | None = SUGGESTIONS) -> list[TechnicianSuggestion]:
    """Active technicians ranked for the order (see the module's notes), the best `limit`
    of them; all of them with `limit=None` (the "Other technician" list)."""
    technicians = (await uow.session.scalars(
        select(User).where(User.role == TECHNICIAN, User.active.is_(True))
        .options(selectinload(User.skills), selectinload(User.areas))
        .order_by(User.name, User.id))).all()
    area = await order_area(uow, order)
    jobs: dict[int, int] = {}
    holding: dict[int, str] = {}
    if order.booked_date is not None:
        rows = await uow.session.execute(
            select(ServiceOrder.technician_id, ServiceOrder.window, ServiceOrder.status,
                   ServiceOrder.number)
            .where(ServiceOrder.booked_date == order.booked_date,
                   ServiceOrder.technician_id.is_not(None), ServiceOrder.id != order.id,
                   ServiceOrder.status != lifecycle.CANCELLED)
            .order_by(ServiceOrder.id))
        for technician_id, window, status, number in rows:
            jobs[technician_id] = jobs.get(technician_id, 0) + 1
            if window == order.window and status in lifecycle.HOLDING_STATUSES:
                holding.setdefault(technician_id, number)
    suggestions = [
        TechnicianSuggestion(
            id=t.id, name=t.name,
            has_skill=order.category is None or any(s.category == order.category
                                                    for s in t.skills),
            serves_area=area is not None and any(a.area == area for a in t.areas),
            free=t.id not in holding, jobs_that_day=jobs.get(t.id, 0),
            busy_with=holding.get(t.id))
        for t in technicians]
    suggestions.sort(key=lambda s: (not s.assignable, not s.has_skill, not s.serves_area,
                                    not s.free, s.jobs_that_day))
    return suggestions if limit is None else suggestions[:max(int(limit), 0)]


# --- assigning --------------------------------------------------------------------------------

async def _technician(uow: UnitOfWork, technician: User | int) -> User:
    if isinstance(technician, int) and not isinstance(technician, bool):
        technician = await uow.session.get(User, technician)
    if not isinstance(technician, User) or technician.role != TECHNICIAN:
        raise NotFound(what="technician")
    return technician


async def _check_can_take(uow: UnitOfWork, order: ServiceOrder, technician: User,
                          day: date | None = None, window: str | None = None) -> None:
    """Refuses a technician who cannot take the order in its window (or in `day` and
    `window`). Call with that window locked."""
    day, window = (day, window) if day is not None else (order.booked_date, order.window)
    if not technician.active:
        raise NotAllowed(reason="technician_inactive")
    await uow.session.refresh(technician, ["skills"])
    if order.category and not any(s.category == order.category for s in technician.skills):
        raise NotAllowed(reason="technician_lacks_skill", category=order.category)
    if day is None:
        return
    busy = await uow.session.scalar(
        select(ServiceOrder.number).where(
            ServiceOrder.technician_id == technician.id,
            ServiceOrder.booked_date == day, ServiceOrder.window == window,
            ServiceOrder.status.in_(lifecycle.HOLDING_STATUSES), ServiceOrder.id != order.id)
        .limit(1))
    if busy is not None:
        raise NotAllowed(reason="technician_busy", order=busy)


async def _lock_for_assignment(uow: UnitOfWork, manager: User,
                               order: ServiceOrder | int | str) -> ServiceOrder:
    """The window first, then the order, as a booking or reschedule locks them."""
    require_manager(manager)
    order = await find(uow, manager, order)
    if order.booked_date is not None and order.window:
        await lock_window(uow, order.booked_date, order.window)
    return await locked(uow, manager, order)


async def assign(uow: UnitOfWork, manager: User, order: ServiceOrder | int | str,
                 technician: User | int):
    """Gives a new order to a technician: new → scheduled, the event's note the
    technician's name."""
    require_manager(manager)
    technician = await _technician(uow, technician)
    order = await _lock_for_assignment(uow, manager, order)
    _check_transition(order, "assign")
    await _check_can_take(uow, order, technician)
    order.technician_id = technician.id
    event = await orders.apply(uow, order, "assign", manager, note=technician.name)
    log.info("order %s assigned to technician %s", order.number, technician.id)
    return event


async def unassign(uow: UnitOfWork, manager: User, order: ServiceOrder | int | str,
                   note: str | None = None):
    """Takes a scheduled order back from its technician: scheduled → new."""
    note = parsing.clean_text(note, "note", maximum=300, multiline=True)
    order = await _lock_for_assignment(uow, manager, order)
    event = await orders.apply(uow, order, "unassign", manager, note=note)
    order.technician_id = None
    await uow.session.flush()
    return event


async def reassign(uow: UnitOfWork, manager: User, order: ServiceOrder | int | str,
                   technician: User | int):
    """Gives a scheduled order to another technician: two events, unassign then assign.
    Returns the assign event."""
    require_manager(manager)
    technician = await _technician(uow, technician)
    order = await _lock_for_assignment(uow, manager, order)
    _check_transition(order, "unassign")
    if order.technician_id == technician.id:
        raise InvalidInput(field="technician", reason="unchanged")
    await _check_can_take(uow, order, technician)
    await orders.apply(uow, order, "unassign", manager)
    order.technician_id = technician.id
    return await orders.apply(uow, order, "assign", manager, note=technician.name)


async def reschedule_visit(uow: UnitOfWork, manager: User, order: ServiceOrder | int | str,
                           day: date | str, window: str, *,
                           technician: User | int | None = None,
                           windows: tuple[str, ...] | None = None):
    """Books the next visit of an order waiting for parts: waiting_parts → scheduled, in a
    day and window with a free place (WindowFull otherwise), with its technician or another
    one, who must be free then."""
    require_manager(manager)
    order = await find(uow, manager, order)
    _check_transition(order, "reschedule")
    day, start, end = check_slot(uow, day, window, windows)
    await take_place(uow, day, window, order.category or "other",
                             exclude_order_id=order.id)
    order = await locked(uow, manager, order)
    _check_transition(order, "reschedule")
    technician = await _technician(uow, technician if technician is not None
                                   else order.technician_id or 0)
    await _check_can_take(uow, order, technician, day, window)
    old = f"{order.booked_date} {order.window}" if order.booked_date else "-"
    order.booked_date, order.window, order.window_start, order.window_end = (
        day, window, start, end)
    order.technician_id = technician.id
    order.arrived_at = None  # the new visit's arrival is yet to come
    return await orders.apply(uow, order, "reschedule", manager,
                              note=f"{old} → {day} {window}")


def _check_transition(order: ServiceOrder, action: str) -> None:
    try:
        lifecycle.target_status(action, order.status, MANAGER, order.kind)
    except TransitionRefused as refused:
        refused.details["order"] = order.number
        raise


@dataclass(frozen=True)
class Released:
    unassigned: tuple[str, ...]  # order numbers now back with dispatch
    under_way: tuple[str, ...]  # already started (en_route or later): left with the technician


async def release_jobs(uow: UnitOfWork, manager: User, technician: User | int,
                       note: str | None = None) -> Released:
    """Gives a technician's scheduled jobs back to dispatch (e.g. when deactivating them):
    each is unassigned, scheduled → new, with an event. Jobs already under way cannot be
    unassigned by the lifecycle; they are listed for the manager to deal with."""
    require_manager(manager)
    technician = await _technician(uow, technician)
    note = parsing.clean_text(note, "note", maximum=300, multiline=True)
    held = (await uow.session.scalars(
        select(ServiceOrder).where(ServiceOrder.technician_id == technician.id,
                                   ServiceOrder.status.in_(lifecycle.OPEN_STATUSES))
        .order_by(ServiceOrder.window_start, ServiceOrder.id))).all()
    unassigned, under_way = [], []
    for order in held:
        order = await locked(uow, manager, order)
        if order.technician_id != technician.id:
            continue
        if order.status == lifecycle.SCHEDULED:
            await orders.apply(uow, order, "unassign", manager, note=note)
            order.technician_id = None
            unassigned.append(order.number)
        elif order.status != lifecycle.NEW:
            under_way.append(order.number)
    await uow.session.flush()
    return Released(tuple(unassigned), tuple(under_way))
