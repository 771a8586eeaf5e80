"""Booking a visit: checking what the customer typed, their addresses and appliances, and the
order itself (booked into a window with a free place, core.windows), rescheduled or cancelled.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from . import lifecycle, orders, priority
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from .lifecycle import RESCHEDULABLE_STATUSES, check_category
from .models import Address, Appliance, OrderEvent, ServiceOrder, User
from .orders import lock_order
from .parsing import clean_text, serial_number
from .people import clean_phone
from .roles import require_customer
from .windows import check_slot, lock_window, require_free_place, take_place

log = logging.getLogger(__name__)

CANCEL_REASONS = ("changed_mind", "fixed_itself", "found_other", "wrong_time", "other")
OPEN_ORDERS_MAX = 5  # open orders one customer may have at once: no one books out a week

DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 1000
PHOTOS_MAX = 5
ADDRESS_MAX = 300
APPLIANCE_TEXT_MAX = 64  # brand, model, serial
FILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram file ids are made of


# --- cleaning what customers type -------------------------------------------------------------

def clean_photos(photos: list[str] | tuple[str, ...] | None) -> list[str]:
    """Telegram file ids of the photos, each once, at most PHOTOS_MAX."""
    if photos is None:
        return []
    if not isinstance(photos, (list, tuple)) or not all(
            isinstance(p, str) and FILE_ID.match(p) for p in photos):
        raise InvalidInput(field="photos", reason="format")
    photos = list(dict.fromkeys(photos))
    if len(photos) > PHOTOS_MAX:
        raise InvalidInput(field="photos", reason="too_many", limit=PHOTOS_MAX)
    return photos


def _check_location(latitude, longitude) -> tuple[float | None, float | None]:
    if latitude is None and longitude is None:
        return None, None
    try:
        latitude, longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise InvalidInput(field="location", reason="format") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(field="location", reason="range")
    return latitude, longitude


def booking_phone(customer: User, phone: str | None) -> str:
    """The phone typed for this booking in E.164, else the customer's own."""
    return clean_phone(phone if phone else (customer.phone or ""))


async def require_room_for_order(uow: UnitOfWork, customer: User) -> None:
    """Refuses a customer who already has OPEN_ORDERS_MAX open orders."""
    count = await uow.session.scalar(
        select(func.count(ServiceOrder.id)).where(
            ServiceOrder.customer_id == customer.id,
            ServiceOrder.status.in_(lifecycle.OPEN_STATUSES)))
    if count >= OPEN_ORDERS_MAX:
        raise NotAllowed(reason="too_many_open_orders", limit=OPEN_ORDERS_MAX)


# --- addresses and appliances ---------------------------------------------------------------

@dataclass(frozen=True)
class AddressChoice:
    """A checked address: a saved one (`saved`) or new text with an optional location."""

    saved: Address | None
    text: str | None = None
    latitude: float | None = None
    longitude: float | None = None


async def choose_address(uow: UnitOfWork, customer: User, address: str | None = None, *,
                         address_id: int | None = None, latitude: float | None = None,
                         longitude: float | None = None) -> AddressChoice:
    """Checks the address a customer gave, without writing anything yet."""
    if address_id is not None:
        saved = (await uow.session.get(Address, address_id)
                 if isinstance(address_id, int) and not isinstance(address_id, bool) else None)
        if saved is None or saved.customer_id != customer.id:
            raise NotFound(what="address")
        return AddressChoice(saved)
    text = clean_text(address, "address", minimum=1, maximum=ADDRESS_MAX)
    latitude, longitude = _check_location(latitude, longitude)
    return AddressChoice(None, text, latitude, longitude)


async def save_address(uow: UnitOfWork, customer: User, choice: AddressChoice) -> Address:
    """The saved address for `choice`: the chosen one, an identical one the customer already
    has (letter case and spacing aside; a location given now replaces its saved one), or a
    new one."""
    if choice.saved is not None:
        return choice.saved
    key = choice.text.casefold()
    for saved in await uow.session.scalars(
            select(Address).where(Address.customer_id == customer.id).order_by(Address.id)):
        if " ".join(saved.text.split()).casefold() == key:
            if choice.latitude is not None:
                saved.latitude, saved.longitude = choice.latitude, choice.longitude
            return saved
    address = Address(customer_id=customer.id, text=choice.text, latitude=choice.latitude,
                      longitude=choice.longitude, created_at=uow.now())
    uow.session.add(address)
    await uow.session.flush()
    return address


def in_district(text: str, district: str) -> str:
    """An address with the district the customer picked written before it (as Chinese
    addresses are written), so whoever reads it, and area matching, sees the district."""
    return f"{district} {text}"[:ADDRESS_MAX]


async def order_address(uow: UnitOfWork, order: ServiceOrder) -> Address | None:
    return await uow.session.get(Address, order.address_id) if order.address_id else None


async def saved_addresses(uow: UnitOfWork, customer: User) -> list[Address]:
    """The customer's saved addresses, most recent first."""
    return list(await uow.session.scalars(
        select(Address).where(Address.customer_id == customer.id)
        .order_by(Address.created_at.desc(), Address.id.desc())))


async def find_appliance(uow: UnitOfWork, customer: User, category: str, brand: str | None,
                         model: str | None, serial: str | None) -> Appliance | None:
    """The customer's appliance with this category, brand, model and serial (letter case
    aside), if they have one."""
    wanted = tuple((v or "").casefold() for v in (brand, model, serial))
    for appliance in await uow.session.scalars(
            select(Appliance).where(Appliance.owner_id == customer.id,
                                    Appliance.category == category).order_by(Appliance.id)):
        if tuple((v or "").casefold() for v in
                 (appliance.brand, appliance.model, appliance.serial)) == wanted:
            return appliance
    return None


async def add_appliance(uow: UnitOfWork, customer: User, category: str, brand: str | None,
                        model: str | None, serial: str | None,
                        purchase_date: date | None = None) -> Appliance:
    appliance = Appliance(owner_id=customer.id, category=category, brand=brand, model=model,
                          serial=serial, purchase_date=purchase_date)
    uow.session.add(appliance)
    await uow.session.flush()
    return appliance


# --- booking, rescheduling, cancelling --------------------------------------------------------

async def book_repair(uow: UnitOfWork, customer: User, *, category: str,
                      brand: str | None = None, model: str | None = None,
                      serial: str | None = None, description: str,
                      photos: list[str] | tuple[str, ...] = (),
                      address: str | None = None, address_id: int | None = None,
                      latitude: float | None = None, longitude: float | None = None,
                      phone: str | None = None, day: date | str, window: str,
                      windows: tuple[str, ...] | None = None,
                      urgent: bool | None = None) -> ServiceOrder:
    """Books a repair visit: checks everything, takes a place in the window (WindowFull if
    there is none), then saves the appliance and address and creates the order. An appliance
    with an open repair is refused (NotAllowed reason "already_booked", with its order).

    The address is either text (with an optional location) or the id of one of the customer's
    saved addresses. Without `phone` the customer's registered phone is used. `urgent` is the
    customer's own answer; without it the description decides (core.priority).
    """
    require_customer(customer)
    check_category(category)
    brand = clean_text(brand, "brand", maximum=APPLIANCE_TEXT_MAX)
    model = clean_text(model, "model", maximum=APPLIANCE_TEXT_MAX)
    serial = serial_number(serial, maximum=APPLIANCE_TEXT_MAX)
    description = clean_text(description, "description", minimum=DESCRIPTION_MIN,
                             maximum=DESCRIPTION_MAX, multiline=True)
    photos = clean_photos(photos)
    phone = booking_phone(customer, phone)
    day, start, end = check_slot(uow, day, window, windows)
    choice = await choose_address(uow, customer, address, address_id=address_id,
                                  latitude=latitude, longitude=longitude)
    await require_room_for_order(uow, customer)

    await lock_window(uow, day, window)
    # Checked with the window locked, so a confirmation pressed twice books one visit.
    known = await find_appliance(uow, customer, category, brand, model, serial)
    if known is not None:
        await _refuse_second_repair(uow, known)
    await require_free_place(uow, day, window, category)
    appliance = known or await add_appliance(uow, customer, category, brand, model, serial)
    saved = await save_address(uow, customer, choice)
    order = await orders.create_order(
        uow, customer, lifecycle.REPAIR, appliance_id=appliance.id, address_id=saved.id,
        phone=phone, description=description, category=category, booked_date=day,
        window=window, window_start=start, window_end=end,
        priority=priority.for_booking(description, urgent, customer.important))
    order.photos = photos
    await uow.session.flush()
    log.info("order %s booked for %s %s", order.number, day, window)
    return order


async def _refuse_second_repair(uow: UnitOfWork, appliance: Appliance) -> None:
    """One open repair per appliance: a second booking for it is a double press or belongs
    in a reschedule of the first."""
    open_order = await uow.session.scalar(
        select(ServiceOrder.number).where(
            ServiceOrder.appliance_id == appliance.id,
            ServiceOrder.kind.in_((lifecycle.REPAIR, lifecycle.WARRANTY)),
            ServiceOrder.status.in_(lifecycle.OPEN_STATUSES)).limit(1))
    if open_order is not None:
        raise NotAllowed(reason="already_booked", order=open_order)


async def reschedule(uow: UnitOfWork, customer: User, order: ServiceOrder, day: date | str,
                     window: str, *, windows: tuple[str, ...] | None = None) -> OrderEvent:
    """Moves the customer's order to another day and window with a free place.

    Only while the order is new or scheduled (TransitionRefused with reason "status" once the
    technician is on the way or later). The order keeps its status and technician; the event
    "reschedule" notes the old and the new window.
    """
    require_customer(customer)
    if not orders.may_see(customer, order):
        raise NotFound(what="order")
    check_reschedulable(order)
    day, start, end = check_slot(uow, day, window, windows)
    if (day, window) == (order.booked_date, order.window):
        raise InvalidInput(field="window", reason="unchanged", day=day, window=window)
    await take_place(uow, day, window, order.category or await _category_of(uow, order),
                     exclude_order_id=order.id)
    await lock_order(uow, order)
    check_reschedulable(order)  # as it is now, not as it was read
    old = f"{order.booked_date} {order.window}" if order.booked_date else "-"
    event = orders.record(uow, order, "reschedule", customer,
                          note=f"{old} → {day} {window}")
    order.booked_date, order.window = day, window
    order.window_start, order.window_end = start, end
    await uow.session.flush()
    log.info("order %s rescheduled: %s", order.number, event.note)
    return event


def check_reschedulable(order: ServiceOrder) -> None:
    if order.status not in RESCHEDULABLE_STATUSES:
        raise TransitionRefused(action="reschedule", status=order.status, reason="status",
                                order=order.number)


async def _category_of(uow: UnitOfWork, order: ServiceOrder) -> str:
    appliance = (await uow.session.get(Appliance, order.appliance_id)
                 if order.appliance_id else None)
    return appliance.category if appliance else "other"


async def cancel(uow: UnitOfWork, customer: User, order: ServiceOrder,
                 reason: str) -> OrderEvent:
    """Cancels the order (customers: while new or scheduled) with a reason from
    CANCEL_REASONS, which becomes the event's note. Its place in the window is freed."""
    if reason not in CANCEL_REASONS:
        raise InvalidInput(field="reason", reason="unknown")
    if not orders.may_see(customer, order):
        raise NotFound(what="order")
    await lock_order(uow, order)
    return await orders.apply(uow, order, "cancel", customer, note=reason)
