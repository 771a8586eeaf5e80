"""Warranty: end dates, what a still-valid warranty covers, and claiming it.

Each replaced part carries its own warranty: the catalogue's months for the part (copied onto
the quote line when it was quoted), counted from the local day the job was completed; it is
valid through that date (`warranty_until`). A part with 0 months has none. The workmanship
warranty covers the work itself: WORKMANSHIP_WARRANTY_MONTHS from completion, unless the
company settings carry `workmanship_warranty_months` (see `workmanship_months`).

What a warranty covers, priced at zero on a quote (core.quotes):
- a part with the same catalogue part (SKU) as one replaced on the order a `warranty` order
  claims (its parent), or on any earlier order of the same appliance, whose warranty has not
  ended. The day that counts is the day the claim was made for a warranty order (a claim made
  in time is honoured even if the visit falls after the end date), today for any other order.
  At most as many units as were fitted in one earlier visit are covered; more are charged.
- labour, on a `warranty` order only, while the parent's workmanship warranty has not ended
  on that day.

A claim (`open_warranty_claim`) books a `warranty` order exactly like a repair booking takes
its window place (core.booking), with category, appliance, address and phone taken from the
original order.
"""
from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from . import booking, lifecycle, orders, parsing
from .access import find
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed
from .models import (
    Appliance,
    Completion,
    ReplacedPart,
    ServiceOrder,
    User,
    WarrantyClaimPart,
)
from .people import clean_phone
from .roles import require_customer
from .windows import check_slot, local_today, lock_window, require_free_place

log = logging.getLogger(__name__)

FINISHED_STATUSES = (lifecycle.COMPLETED, lifecycle.CLOSED)
CLAIMABLE_PARTS_MAX = 20


def workmanship_months(uow: UnitOfWork) -> int:
    """The workmanship warranty in months (the WORKMANSHIP_WARRANTY_MONTHS setting)."""
    return uow.company.workmanship_warranty_months


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan + 1 month
    is 28 or 29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def warranty_end(start: date, months: int) -> date | None:
    return add_months(start, months) if months > 0 else None


def reference_day(uow: UnitOfWork, order: ServiceOrder) -> date:
    """The day a warranty must still be valid on for `order`: a warranty order's claim day,
    today for any other order (local dates)."""
    if order.kind == lifecycle.WARRANTY and order.created_at is not None:
        return order.created_at.astimezone(uow.company.timezone).date()
    return local_today(uow)


async def part_coverage(uow: UnitOfWork, order: ServiceOrder,
                        part_id: int) -> tuple[int, int | None]:
    """(units covered, the order whose warranty covers them) for this part on `order`."""
    sources = []
    if order.kind == lifecycle.WARRANTY and order.parent_order_id:
        sources.append(ReplacedPart.order_id == order.parent_order_id)
    if order.appliance_id:
        sources.append(ReplacedPart.appliance_id == order.appliance_id)
    if not sources:
        return 0, None
    rows = (await uow.session.execute(
        select(ReplacedPart.order_id, func.sum(ReplacedPart.quantity))
        .where(ReplacedPart.part_id == part_id, ReplacedPart.order_id != order.id,
               ReplacedPart.warranty_until >= reference_day(uow, order), or_(*sources))
        .group_by(ReplacedPart.order_id))).all()
    if not rows:
        return 0, None
    # The most units fitted in one visit; among equals the claimed order, else the latest.
    order_id, units = max(rows, key=lambda r: (r[1], r[0] == order.parent_order_id, r[0]))
    return int(units), order_id


async def labour_coverage(uow: UnitOfWork, order: ServiceOrder) -> int | None:
    """The claimed order whose workmanship warranty makes labour on `order` free, if any."""
    if order.kind != lifecycle.WARRANTY or not order.parent_order_id:
        return None
    until = await uow.session.scalar(
        select(Completion.workmanship_until).where(Completion.order_id == order.parent_order_id))
    return order.parent_order_id if until and until >= reference_day(uow, order) else None


# --- what a customer may claim ----------------------------------------------------------------

@dataclass(frozen=True)
class WarrantyPart:
    replaced_part_id: int  # what a claim names
    part_id: int
    sku: str
    name: str
    quantity: int
    serial: str | None
    warranty_until: date  # local, valid through this day


@dataclass(frozen=True)
class WarrantyStatus:
    order_id: int
    order_number: str
    parts: tuple[WarrantyPart, ...]  # parts still under warranty
    workmanship_until: date | None
    workmanship_valid: bool

    @property
    def claimable(self) -> bool:
        return bool(self.parts) or self.workmanship_valid


async def _finished_order(uow: UnitOfWork, customer: User,
                          order: ServiceOrder | int | str) -> ServiceOrder:
    require_customer(customer)
    order = await find(uow, customer, order)
    if order.status not in FINISHED_STATUSES:
        raise NotAllowed(reason="not_completed", status=order.status)
    return order


async def parts_under_warranty(uow: UnitOfWork, customer: User,
                               order: ServiceOrder | int | str) -> list[WarrantyPart]:
    """The parts replaced on the customer's completed or closed order whose warranty ends
    today or later (local), by SKU."""
    order = await _finished_order(uow, customer, order)
    return await _valid_parts(uow, order, local_today(uow))


async def _valid_parts(uow: UnitOfWork, order: ServiceOrder, day: date) -> list[WarrantyPart]:
    rows = await uow.session.scalars(
        select(ReplacedPart)
        .where(ReplacedPart.order_id == order.id, ReplacedPart.warranty_until >= day)
        .order_by(ReplacedPart.sku, ReplacedPart.id))
    return [WarrantyPart(r.id, r.part_id, r.sku, r.name, r.quantity, r.serial, r.warranty_until)
            for r in rows]


async def warranty_status(uow: UnitOfWork, customer: User,
                          order: ServiceOrder | int | str) -> WarrantyStatus:
    """Everything still under warranty from the customer's finished order: the parts and
    the workmanship."""
    order = await _finished_order(uow, customer, order)
    today = local_today(uow)
    until = await uow.session.scalar(
        select(Completion.workmanship_until).where(Completion.order_id == order.id))
    return WarrantyStatus(order.id, order.number, tuple(await _valid_parts(uow, order, today)),
                          until, bool(until and until >= today))


async def open_warranty_claim(uow: UnitOfWork, customer: User,
                              original_order: ServiceOrder | int | str,
                              part_ids: list[int] | tuple[int, ...], description: str,
                              day: date | str, window: str, *,
                              photos: list[str] | tuple[str, ...] = (),
                              phone: str | None = None,
                              windows: tuple[str, ...] | None = None) -> ServiceOrder:
    """Claims warranty on a finished order: books a `warranty` order (parent_order_id set) for
    a day and window with a free place, like a repair booking.

    `part_ids` are ids of WarrantyPart.replaced_part_id from `parts_under_warranty`; none
    means a claim on the workmanship alone, which must still be under warranty. The phone is
    the original order's unless another is given.
    """
    original = await _finished_order(uow, customer, original_order)
    if not isinstance(part_ids, (list, tuple)) or len(part_ids) > CLAIMABLE_PARTS_MAX or any(
            isinstance(p, bool) or not isinstance(p, int) for p in part_ids):
        raise InvalidInput(field="parts", reason="format")
    part_ids = list(dict.fromkeys(part_ids))
    description = parsing.clean_text(description, "description",
                                     minimum=booking.DESCRIPTION_MIN,
                                     maximum=booking.DESCRIPTION_MAX, multiline=True)
    photos = booking.clean_photos(photos)
    phone = clean_phone(phone) if phone else (original.phone or
                                              booking.booking_phone(customer, None))
    day, start, end = check_slot(uow, day, window, windows)
    today = local_today(uow)
    valid = {p.replaced_part_id for p in await _valid_parts(uow, original, today)}
    for part_id in part_ids:
        if part_id not in valid:
            raise InvalidInput(field="parts", reason="not_under_warranty", part=part_id)
    if not part_ids:
        until = await uow.session.scalar(
            select(Completion.workmanship_until).where(Completion.order_id == original.id))
        if not (until and until >= today):
            raise NotAllowed(reason="warranty_expired")
    category = original.category or await _category(uow, original)
    await booking.require_room_for_order(uow, customer)

    await lock_window(uow, day, window)
    await orders.lock_order(uow, original)
    # Checked with the window and the original locked: a confirmation pressed twice books one.
    await _refuse_second_claim(uow, original)
    await require_free_place(uow, day, window, category)
    claim = await orders.create_order(
        uow, customer, lifecycle.WARRANTY, appliance_id=original.appliance_id,
        address_id=original.address_id, phone=phone, description=description,
        category=category, parent_order_id=original.id, booked_date=day, window=window,
        window_start=start, window_end=end)
    claim.photos = photos
    for part_id in part_ids:
        uow.session.add(WarrantyClaimPart(order_id=claim.id, replaced_part_id=part_id))
    orders.record(uow, original, "warranty_claim", customer, note=claim.number)
    await uow.session.flush()
    log.info("order %s: warranty claim %s booked for %s %s", original.number, claim.number,
             day, window)
    return claim


async def _refuse_second_claim(uow: UnitOfWork, original: ServiceOrder) -> None:
    """One open claim per original order, and no claim while the appliance has an open
    repair (that visit can look at it)."""
    conditions = [ServiceOrder.parent_order_id == original.id]
    if original.appliance_id:
        conditions.append(ServiceOrder.appliance_id == original.appliance_id)
    open_order = (await uow.session.execute(
        select(ServiceOrder.number, ServiceOrder.parent_order_id)
        .where(or_(*conditions), ServiceOrder.id != original.id,
               ServiceOrder.kind.in_((lifecycle.REPAIR, lifecycle.WARRANTY)),
               ServiceOrder.status.in_(lifecycle.OPEN_STATUSES))
        .order_by(ServiceOrder.id).limit(1))).first()
    if open_order is not None:
        number, parent = open_order
        raise NotAllowed(reason="already_claimed" if parent == original.id else "already_booked",
                         order=number)


async def _category(uow: UnitOfWork, order: ServiceOrder) -> str:
    appliance = (await uow.session.get(Appliance, order.appliance_id)
                 if order.appliance_id else None)
    return appliance.category if appliance else "other"


async def claimed_parts(uow: UnitOfWork, order: ServiceOrder) -> list[WarrantyPart]:
    """The parts a warranty order claims for, for the technician's card."""
    rows = await uow.session.scalars(
        select(ReplacedPart)
        .join(WarrantyClaimPart, WarrantyClaimPart.replaced_part_id == ReplacedPart.id)
        .where(WarrantyClaimPart.order_id == order.id).order_by(ReplacedPart.sku))
    return [WarrantyPart(r.id, r.part_id, r.sku, r.name, r.quantity, r.serial, r.warranty_until)
            for r in rows]
