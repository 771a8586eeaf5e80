"""A customer's own orders: the paged list and one order's card, as plain data a chat front
end renders. Someone else's order is NotFound, exactly as an order that does not exist."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from . import lifecycle, orders, warranty
from .booking import CANCEL_REASONS
from .desk import UnitOfWork
from .lifecycle import CUSTOMER, RESCHEDULABLE_STATUSES
from .models import Address, Appliance, Rating, SalesOrder, ServiceOrder, User
from .paging import Page, page_bounds

PAGE_SIZE = 5


@dataclass(frozen=True)
class OrderLine:
    """One order in the customer's list."""

    id: int
    number: str
    kind: str
    status: str
    category: str | None
    brand: str | None
    model: str | None
    booked_date: date | None  # local day
    window: str | None  # local, e.g. "09-12"
    created_at: datetime  # aware UTC


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime  # aware UTC
    at_local: datetime  # the same moment in the company's time zone
    action: str  # create, assign, start_trip, reschedule, cancel, ...
    from_status: str | None
    to_status: str
    by: str  # customer, technician, manager or system
    by_name: str | None  # a technician's first name; None for anyone else
    note: str | None  # free text (a reason, a fault): the viewer's own, staff's for staff
    # What the event's note means, for those acts whose note is data (see `event_detail`):
    # amounts in fen, a version, a payment method or cancel reason code, stars and comment,
    # the old and new booking. Rendered in the reader's words, never shown raw.
    detail: dict | None = None


@dataclass(frozen=True)
class OrderCard:
    id: int
    number: str
    kind: str
    status: str
    category: str | None
    brand: str | None
    model: str | None
    serial: str | None
    booked_date: date | None  # local day
    window: str | None  # local, e.g. "09-12"
    window_start: datetime | None  # aware UTC
    window_end: datetime | None  # aware UTC
    address: str | None
    phone: str | None
    description: str | None
    photo_count: int
    technician_name: str | None  # first name, once a technician is assigned
    sales_number: str | None  # for installations: the receipt's number
    created_at: datetime  # aware UTC
    actions: tuple[str, ...]  # what the viewer may do now: reschedule, cancel, approve_quote...
    timeline: tuple[TimelineEntry, ...]
    # A warranty claim: the order whose warranty it claims, and the parts claimed (names).
    original_number: str | None = None
    claimed_parts: tuple[str, ...] = ()


def first_name(name: str | None) -> str | None:
    parts = (name or "").split()
    return parts[0] if parts else None


async def list_orders(uow: UnitOfWork, customer: User, page: int = 1,
                      page_size: int = PAGE_SIZE) -> Page[OrderLine]:
    """The customer's orders, newest first, one page of them and how many there are."""
    mine = ServiceOrder.customer_id == customer.id
    total = await uow.session.scalar(select(func.count(ServiceOrder.id)).where(mine)) or 0
    page, page_size, offset = page_bounds(page, page_size, total, PAGE_SIZE)
    rows = await uow.session.execute(
        select(ServiceOrder, Appliance)
        .outerjoin(Appliance, Appliance.id == ServiceOrder.appliance_id)
        .where(mine)
        .order_by(ServiceOrder.created_at.desc(), ServiceOrder.id.desc())
        .offset(offset).limit(page_size))
    items = tuple(
        OrderLine(id=order.id, number=order.number, kind=order.kind, status=order.status,
                  category=order.category or (appliance.category if appliance else None),
                  brand=appliance.brand if appliance else None,
                  model=appliance.model if appliance else None,
                  booked_date=order.booked_date, window=order.window,
                  created_at=order.created_at)
        for order, appliance in rows)
    return Page(items, page, page_size, total)


async def order_card(uow: UnitOfWork, viewer: User,
                     order: ServiceOrder | str | int) -> OrderCard:
    """One order as `viewer` may see it (a number, an id or the order itself);
    NotFound for an order that is not theirs, as for one that does not exist."""
    if isinstance(order, ServiceOrder):
        order = await orders.find_order_for(uow, viewer, order.id)
    else:
        order = await orders.find_order_for(uow, viewer, order)
    (category, brand, model, serial, address, sales_number, original_number,
     technician_name, rated, comment) = (await uow.session.execute(
        _card_details(), {"order_id": order.id})).one()
    claimed = ()
    if order.parent_order_id:
        claimed = tuple(p.name for p in await warranty.claimed_parts(uow, order))
    if not order.technician_id or order.status == lifecycle.NEW:
        technician_name = None
    zone = uow.company.timezone
    staff = viewer.role != CUSTOMER
    entries = []
    for event, actor in await orders.timeline(uow, order):
        detail = event_detail(event.action, event.note)
        shown = staff or (actor is not None and actor.id == viewer.id)
        if detail is not None and event.action == "rate" and rated is not None and shown:
            detail["comment"] = comment
        entries.append(TimelineEntry(
            at=event.at, at_local=event.at.astimezone(zone), action=event.action,
            from_status=event.from_status, to_status=event.to_status,
            by=actor.role if actor else "system",
            by_name=first_name(actor.name) if actor and actor.role == lifecycle.TECHNICIAN
            else None,
            note=event.note if shown and detail is None else None,
            detail=detail if shown or event.action in PUBLIC_DETAILS else None))
    timeline = tuple(entries)
    return OrderCard(
        id=order.id, number=order.number, kind=order.kind, status=order.status,
        category=order.category or category, brand=brand, model=model, serial=serial,
        booked_date=order.booked_date, window=order.window,
        window_start=order.window_start, window_end=order.window_end,
        address=address, phone=order.phone,
        description=order.description, photo_count=len(order.photos or []),
        technician_name=first_name(technician_name),
        sales_number=sales_number, created_at=order.created_at,
        actions=customer_actions(order) if viewer.role == CUSTOMER else (),
        timeline=timeline, original_number=original_number, claimed_parts=claimed)


@functools.cache
def _card_details():
    """What an order's card shows beside the order (bind parameter order_id), in one
    statement rather than one for each; made once."""
    technician, original = aliased(User), aliased(ServiceOrder)
    return (select(Appliance.category, Appliance.brand, Appliance.model, Appliance.serial,
                   Address.text, SalesOrder.number, original.number, technician.name,
                   Rating.order_id, Rating.comment)
            .select_from(ServiceOrder)
            .outerjoin(Appliance, Appliance.id == ServiceOrder.appliance_id)
            .outerjoin(Address, Address.id == ServiceOrder.address_id)
            .outerjoin(SalesOrder, SalesOrder.id == ServiceOrder.sales_order_id)
            .outerjoin(original, original.id == ServiceOrder.parent_order_id)
            .outerjoin(technician, technician.id == ServiceOrder.technician_id)
            .outerjoin(Rating, Rating.order_id == ServiceOrder.id)
            .where(ServiceOrder.id == bindparam("order_id")))


# Acts whose meaning anyone who may see the order may read (amounts the customer agreed to).
PUBLIC_DETAILS = ("send_quote", "approve_quote", "decline_quote", "decline_revision",
                  "request_requote",
                  "complete", "settle", "rate", "reschedule", "prioritise")


def event_detail(action: str, note: str | None) -> dict | None:
    """What an event's note means, for the acts whose note is data rather than words a
    person typed; None for any other (its note is shown as typed, escaped)."""
    if not note:
        return None
    try:
        if action in ("send_quote", "approve_quote"):
            version, amount = note.split()
            return {"version": int(version.removeprefix("v")), "amount": int(amount)}
        if action in ("decline_revision", "request_requote"):
            return {"version": int(note.removeprefix("v"))}
        if action == "decline_quote":
            return {"diagnosis_only": True}
        if action in ("start_trip", "arrive") and note in ("early", "late"):
            return {"timing": note}
        if action == "complete":
            return {"amount": int(note)}
        if action == "settle":
            return {"method": note}
        if action == "rate":
            return {"stars": int(note), "comment": None}
        if action == "prioritise" and note in ("normal", "urgent", "important"):
            return {"priority": note}
        if action == "cancel" and note in CANCEL_REASONS:
            return {"reason": note}
        if action == "reschedule":
            old, new = (part.split() for part in note.split(" → "))
            return {"old_day": date.fromisoformat(old[0]) if len(old) == 2 else None,
                    "old_window": old[1] if len(old) == 2 else None,
                    "day": date.fromisoformat(new[0]), "window": new[1]}
    except ValueError:
        return None
    return None


def customer_actions(order: ServiceOrder) -> tuple[str, ...]:
    """What the customer may do with the order now, in the order buttons should show."""
    actions = ["reschedule"] if order.status in RESCHEDULABLE_STATUSES else []
    actions += lifecycle.allowed_actions(order.status, CUSTOMER, order.kind)
    return tuple(actions)
