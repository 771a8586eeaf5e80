"""Sales orders and booking their delivery and installation.

A manager registers a sales order from the printed receipt (its number, the buyer's name and
phone, the delivery address, the appliance). A customer proves a sales order is theirs with
its number and the buyer's phone, then books an installation visit for it. Wrong tries are
limited: after LOOKUP_LIMIT wrong tries within LOOKUP_PERIOD a customer is refused, even with
the right pair, until the first of those tries is LOOKUP_PERIOD old. Tries are rows in
`sales_lookups`, so the limit holds across restarts.
"""
from __future__ import annotations

import logging
import math
import re
from datetime import date, timedelta

from sqlalchemy import select, update

from . import booking, lifecycle, orders, parsing
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed, NotFound
from .lifecycle import APPLIANCE_CATEGORIES, MANAGER
from .models import Appliance, SalesLookup, SalesOrder, ServiceOrder, User
from .people import clean_name, clean_phone
from .roles import require_customer
from .windows import check_slot, take_place

log = logging.getLogger(__name__)

LOOKUP_LIMIT = 5
LOOKUP_PERIOD = timedelta(hours=1)
NUMBER_MAX = 32
# What a receipt number may be made of once spaces are gone and letters upper case.
NUMBER_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9./_-]*$")


def clean_sales_number(text: str | None) -> tuple[str, str]:
    """(number as shown, key it is matched by) for a typed receipt number.

    Spaces are dropped and letters raised: "s-2026 0042" is shown "S-20260042". It is matched
    by its letters and digits only ("S20260042"), so a customer who leaves out or adds a
    hyphen still finds it.
    """
    shown = "".join((text or "").split()).upper() if isinstance(text, str) else ""
    key = "".join(ch for ch in shown if ch.isascii() and ch.isalnum())
    if not shown or len(shown) > NUMBER_MAX or not NUMBER_PATTERN.match(shown) or not key:
        raise InvalidInput(field="sales_number", reason="format")
    return shown, key


async def register_sales_order(uow: UnitOfWork, manager: User, *, number: str,
                               customer_name: str, phone: str, address: str, category: str,
                               brand: str | None = None,
                               model: str | None = None) -> SalesOrder:
    """A manager enters a sales order as printed on the receipt."""
    if manager.role != MANAGER or not manager.active:
        raise NotAllowed(reason="manager_only")
    shown, key = clean_sales_number(number)
    name = clean_name(customer_name)
    phone = clean_phone(phone)
    address = parsing.clean_text(address, "address", minimum=1, maximum=booking.ADDRESS_MAX)
    if category not in APPLIANCE_CATEGORIES:
        raise InvalidInput(field="category", reason="unknown")
    brand = parsing.clean_text(brand, "brand", maximum=booking.APPLIANCE_TEXT_MAX)
    model = parsing.clean_text(model, "model", maximum=booking.APPLIANCE_TEXT_MAX)
    if await uow.session.scalar(select(SalesOrder.id).where(SalesOrder.number_key == key)):
        raise InvalidInput(field="sales_number", reason="taken", number=shown)
    sales_order = SalesOrder(number=shown, number_key=key, customer_name=name, phone=phone,
                             address=address, category=category, brand=brand, model=model,
                             created_at=uow.now(), created_by_id=manager.id)
    uow.session.add(sales_order)
    await uow.session.flush()
    log.info("sales order %s registered by %s", shown, manager.id)
    return sales_order


async def verify_sales_order(uow: UnitOfWork, customer: User, number: str,
                             phone: str) -> SalesOrder:
    """The sales order with this number and buyer's phone, and the right to book its
    installation; otherwise a refusal:

    - NotAllowed(reason="too_many_tries", retry_after=minutes) after LOOKUP_LIMIT wrong tries
      within the last hour, whatever was typed;
    - InvalidInput(field="sales_number" or "phone", reason="format") for something that
      cannot be a receipt number or a phone (not counted as a try);
    - NotFound(what="sales_order", tries_left=n) when no sales order has this number and
      phone: the same whether the number or the phone was wrong.

    Every counted try is added to the unit of work: COMMIT IT EVEN WHEN THIS RAISES NotFound
    (catch, commit, then answer), or the wrong try is forgotten and the limit does not hold.
    """
    require_customer(customer)
    now = uow.now()
    wrong = list(await uow.session.scalars(
        select(SalesLookup.at)
        .where(SalesLookup.customer_id == customer.id, SalesLookup.sales_order_id.is_(None),
               SalesLookup.at > now - LOOKUP_PERIOD)
        .order_by(SalesLookup.at)))
    if len(wrong) >= LOOKUP_LIMIT:
        free_at = wrong[-LOOKUP_LIMIT] + LOOKUP_PERIOD
        minutes = max(1, math.ceil((free_at - now).total_seconds() / 60))
        log.info("customer %s: sales order lookups refused for %s min", customer.id, minutes)
        raise NotAllowed(reason="too_many_tries", retry_after=minutes)
    shown, key = clean_sales_number(number)
    phone = clean_phone(phone)
    sales_order = await uow.session.scalar(
        select(SalesOrder).where(SalesOrder.number_key == key))
    if sales_order is not None and sales_order.phone != phone:
        sales_order = None
    uow.session.add(SalesLookup(customer_id=customer.id, at=now, typed_number=shown,
                                sales_order_id=sales_order.id if sales_order else None))
    await uow.session.flush()
    if sales_order is None:
        raise NotFound(what="sales_order", tries_left=LOOKUP_LIMIT - len(wrong) - 1)
    return sales_order


async def open_installation(uow: UnitOfWork, sales_order: SalesOrder) -> ServiceOrder | None:
    """The sales order's installation order that is still open, if any."""
    return await uow.session.scalar(
        select(ServiceOrder).where(ServiceOrder.sales_order_id == sales_order.id,
                                   ServiceOrder.kind == lifecycle.INSTALLATION,
                                   ServiceOrder.status.in_(lifecycle.OPEN_STATUSES))
        .order_by(ServiceOrder.id).limit(1))


async def book_installation(uow: UnitOfWork, customer: User, sales_order: SalesOrder | int, *,
                            address: str | None = None, address_id: int | None = None,
                            latitude: float | None = None, longitude: float | None = None,
                            phone: str | None = None, day: date | str, window: str,
                            windows: tuple[str, ...] | None = None) -> ServiceOrder:
    """Books delivery and installation of a sales order this customer has verified.

    Without an address the sales order's delivery address is used; without a phone, the
    buyer's phone from the sales order. Refuses a sales order the customer has not verified
    (NotFound, as for none), a second open installation of one sales order
    (NotAllowed reason "installation_booked") and a full window (WindowFull).
    """
    require_customer(customer)
    sales_order = await _verified(uow, customer, sales_order)
    phone = clean_phone(phone or sales_order.phone)
    day, start, end = check_slot(uow, day, window, windows)
    if address is None and address_id is None:
        address = sales_order.address
    choice = await booking.choose_address(uow, customer, address, address_id=address_id,
                                          latitude=latitude, longitude=longitude)
    await booking.require_room_for_order(uow, customer)

    # One booking of this sales order at a time: the update takes its row lock (PostgreSQL)
    # or the write lock (SQLite) before the check for an open installation.
    await uow.session.execute(
        update(SalesOrder).where(SalesOrder.id == sales_order.id)
        .values(number=SalesOrder.number).execution_options(synchronize_session=False))
    await require_no_open_installation(uow, customer, sales_order)
    await take_place(uow, day, window, sales_order.category)
    appliance = await _appliance_for(uow, customer, sales_order)
    saved = await booking.save_address(uow, customer, choice)
    order = await orders.create_order(
        uow, customer, lifecycle.INSTALLATION, appliance_id=appliance.id, address_id=saved.id,
        phone=phone, category=sales_order.category, sales_order_id=sales_order.id,
        booked_date=day, window=window, window_start=start, window_end=end)
    log.info("order %s: installation of sales order %s booked for %s %s",
             order.number, sales_order.number, day, window)
    return order


async def require_no_open_installation(uow: UnitOfWork, customer: User,
                                       sales_order: SalesOrder) -> None:
    """Refuses a second booking of a sales order's delivery (naming the order to its own
    customer only)."""
    existing = await open_installation(uow, sales_order)
    if existing is not None:
        raise NotAllowed(reason="installation_booked",
                         **({"order": existing.number}
                            if existing.customer_id == customer.id else {}))


async def _verified(uow: UnitOfWork, customer: User, sales_order: SalesOrder | int) -> SalesOrder:
    sales_order_id = sales_order.id if isinstance(sales_order, SalesOrder) else sales_order
    if not isinstance(sales_order_id, int) or isinstance(sales_order_id, bool):
        raise NotFound(what="sales_order")
    proved = await uow.session.scalar(
        select(SalesLookup.id).where(SalesLookup.customer_id == customer.id,
                                     SalesLookup.sales_order_id == sales_order_id).limit(1))
    found = await uow.session.get(SalesOrder, sales_order_id) if proved else None
    if found is None:
        raise NotFound(what="sales_order")
    return found


async def _appliance_for(uow: UnitOfWork, customer: User,
                         sales_order: SalesOrder) -> Appliance:
    """The appliance of an earlier (cancelled) installation of this sales order by this
    customer, else a new one: two identical purchases are two appliances."""
    earlier = await uow.session.scalar(
        select(ServiceOrder).where(ServiceOrder.sales_order_id == sales_order.id,
                                   ServiceOrder.customer_id == customer.id,
                                   ServiceOrder.appliance_id.is_not(None))
        .order_by(ServiceOrder.id.desc()).limit(1))
    if earlier is not None:
        return await uow.session.get(Appliance, earlier.appliance_id)
    purchased = sales_order.created_at.astimezone(uow.company.timezone).date()
    appliance = Appliance(owner_id=customer.id, category=sales_order.category,
                                  brand=sales_order.brand, model=sales_order.model,
                                  purchase_date=purchased)
    uow.session.add(appliance)
    await uow.session.flush()
    return appliance
