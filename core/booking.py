"""Booking a visit: the days and windows a customer may choose, how many places each window
has left, and taking a place so that two customers can never both get the last one.

Windows are local times in the company's time zone ("09-12" is 09:00 to 12:00 there); they are
stored with the order as the day and window name plus the window's start and end in UTC.

Capacity. A window has one place per active technician: each technician does at most one job
in a window. An order holds a place while it still needs its visit (`HOLDING_STATUSES`: new,
scheduled, en_route, on_site, awaiting_approval, in_progress); cancelled, completed and closed
orders do not, nor do orders waiting for parts (their visit is over; they are rescheduled into
a new window when the parts come). A place is free for a category when every order holding a
place in the window can still be given its own technician whose skills cover the order's
category, with one more order of that category among them: a bipartite matching of orders to
technicians (`free_places`). So a technician who covers two categories counts once, never once
per category, yet is not held back for a category other technicians could cover. An order
without a category (made by other code) may take any technician. Which technician a manager
actually assigned is not part of the count: before the visit a manager can still reassign.

Taking a place (`take_place`) first locks the window's row in `booking_windows` (insert it if
missing, then update it: the update waits for anyone else booking the same window until they
commit), and only then counts. On PostgreSQL that is a row lock held to the end of the
transaction, so bookings of one window run one after another and each count (READ COMMITTED:
every statement sees what was committed before it) includes the orders just booked; bookings
of different windows do not wait for each other. On SQLite the insert takes the database's
single write lock, which is likewise held until commit; a second booking waits for it (busy
timeout, see core/db.py) rather than failing with "database is locked", because its
transaction starts with that write and so never holds an older snapshot. (That rests on the
sqlite3 driver's default, kept by SQLAlchemy: a transaction begins at the first write, reads
before it take no snapshot. Whoever changes that to BEGIN on the first read must make it
BEGIN IMMEDIATE.) The loser gets `WindowFull` before anything of theirs was added to the
session.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from . import lifecycle, orders, priority
from .desk import UnitOfWork
from .errors import DomainError, InvalidInput, NotAllowed, NotFound, TransitionRefused
from .lifecycle import CUSTOMER
from .models import (
    Address,
    Appliance,
    BookingWindow,
    OrderEvent,
    ServiceOrder,
    TechnicianSkill,
    User,
)
from .people import APPLIANCE_CATEGORIES, clean_phone

log = logging.getLogger(__name__)

WINDOWS = ("09-12", "13-17", "17-20")
BOOKABLE_DAYS = 7  # today and the six days after it, local time
HOLDING_STATUSES = (
    lifecycle.NEW, lifecycle.SCHEDULED, lifecycle.EN_ROUTE, lifecycle.ON_SITE,
    lifecycle.AWAITING_APPROVAL, lifecycle.IN_PROGRESS,
)
# A customer may reschedule until the technician sets off.
RESCHEDULABLE_STATUSES = (lifecycle.NEW, lifecycle.SCHEDULED)
CANCEL_REASONS = ("changed_mind", "fixed_itself", "found_other", "wrong_time", "other")
OPEN_ORDERS_MAX = 5  # open orders one customer may have at once: no one books out a week

DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 1000
PHOTOS_MAX = 5
ADDRESS_MAX = 300
APPLIANCE_TEXT_MAX = 64  # brand, model, serial
FILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram file ids are made of
WINDOW_NAME = re.compile(r"^(\d{2})-(\d{2})$")


class WindowFull(DomainError):
    """The chosen window has no free place (any more) for the appliance's category."""

    code = "window_full"


@dataclass(frozen=True)
class WindowOffer:
    day: date  # local
    window: str  # e.g. "09-12", local times
    starts_at: datetime  # aware UTC
    ends_at: datetime  # aware UTC
    free: int  # places left for the asked category; 0 means full


@dataclass(frozen=True)
class DayOffers:
    day: date
    windows: tuple[WindowOffer, ...]  # the day's windows that have not started yet

    @property
    def free(self) -> int:
        return sum(w.free for w in self.windows)


# --- days and windows -----------------------------------------------------------------------

def local_today(uow: UnitOfWork) -> date:
    return uow.now().astimezone(uow.company.timezone).date()


def bookable_days(uow: UnitOfWork) -> list[date]:
    """Today and the next six days, in the company's time zone."""
    today = local_today(uow)
    return [today + timedelta(days=n) for n in range(BOOKABLE_DAYS)]


def window_hours(window: str) -> tuple[int, int]:
    """(start hour, end hour) of a window name like "09-12"."""
    match = WINDOW_NAME.match(window or "")
    if not match:
        raise InvalidInput(field="window", reason="unknown")
    start, end = int(match[1]), int(match[2])
    if not 0 <= start < end <= 24:
        raise InvalidInput(field="window", reason="unknown")
    return start, end


def window_bounds(uow: UnitOfWork, day: date, window: str) -> tuple[datetime, datetime]:
    """The window's start and end as aware UTC datetimes."""
    start, end = window_hours(window)
    zone = uow.company.timezone
    local_start = datetime.combine(day, time(start), tzinfo=zone)
    local_end = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) if end == 24
                 else datetime.combine(day, time(end), tzinfo=zone))
    return local_start.astimezone(timezone.utc), local_end.astimezone(timezone.utc)


def check_slot(uow: UnitOfWork, day: date | str, window: str,
               windows: tuple[str, ...] | None = None) -> tuple[date, datetime, datetime]:
    """A chosen day (a date or "YYYY-MM-DD") and window, checked: (day, start UTC, end UTC).

    Refuses a window the company does not have, a day before today or beyond the bookable
    week, and a window that has already started (even by a minute).
    """
    windows = windows or WINDOWS
    if not isinstance(window, str) or window not in windows:
        raise InvalidInput(field="window", reason="unknown")
    day = _as_date(day)
    days = bookable_days(uow)
    if day < days[0]:
        raise InvalidInput(field="day", reason="past")
    if day > days[-1]:
        raise InvalidInput(field="day", reason="too_far", limit=BOOKABLE_DAYS)
    start, end = window_bounds(uow, day, window)
    if start <= uow.now():
        raise InvalidInput(field="window", reason="past", day=day, window=window)
    return day, start, end


def _as_date(day: date | str) -> date:
    if isinstance(day, date) and not isinstance(day, datetime):
        return day
    if isinstance(day, str):
        try:
            return date.fromisoformat(day.strip())
        except ValueError:
            pass
    raise InvalidInput(field="day", reason="format")


# --- capacity -------------------------------------------------------------------------------

def free_places(skills: dict[int, frozenset[str]], booked: list[str | None],
                category: str) -> int:
    """How many more orders of `category` a window can take.

    `skills` maps each active technician to the categories they cover; `booked` lists the
    category of every order holding a place in the window. Orders are matched to technicians
    one each (augmenting paths, Kuhn's algorithm); the answer is how many orders of `category`
    can be added while every order that was matched stays matched.
    """
    technicians = sorted(skills)
    owner: dict[int, int] = {}  # technician -> index of the order they take
    needs: list[str | None] = list(booked)

    def fits(technician: int, need: str | None) -> bool:
        return need is None or need in skills[technician]

    def place(index: int, tried: set[int]) -> bool:
        for technician in technicians:
            if technician in tried or not fits(technician, needs[index]):
                continue
            tried.add(technician)
            if technician not in owner or place(owner[technician], tried):
                owner[technician] = index
                return True
        return False

    for index in range(len(needs)):
        place(index, set())
    able = sum(1 for t in technicians if category in skills[t])
    free = 0
    while free < able:
        needs.append(category)
        if not place(len(needs) - 1, set()):
            break
        free += 1
    return free


async def technician_skills(uow: UnitOfWork) -> dict[int, frozenset[str]]:
    """Every active technician with the categories they cover."""
    rows = await uow.session.execute(
        select(TechnicianSkill.user_id, TechnicianSkill.category)
        .join(User, User.id == TechnicianSkill.user_id)
        .where(User.role == lifecycle.TECHNICIAN, User.active.is_(True))
    )
    skills: dict[int, set[str]] = {}
    for user_id, category in rows:
        skills.setdefault(user_id, set()).add(category)
    return {user_id: frozenset(categories) for user_id, categories in skills.items()}


async def _booked(uow: UnitOfWork, days: list[date], windows: tuple[str, ...],
                  exclude_order_id: int | None = None) -> dict[tuple[date, str], list[str | None]]:
    query = (
        select(ServiceOrder.booked_date, ServiceOrder.window, ServiceOrder.category)
        .where(ServiceOrder.booked_date.in_(days), ServiceOrder.window.in_(windows),
               ServiceOrder.status.in_(HOLDING_STATUSES))
    )
    if exclude_order_id is not None:
        query = query.where(ServiceOrder.id != exclude_order_id)
    booked: dict[tuple[date, str], list[str | None]] = {}
    for day, window, category in await uow.session.execute(query):
        booked.setdefault((day, window), []).append(category)
    return booked


async def offers(uow: UnitOfWork, category: str, *, days: list[date] | None = None,
                 windows: tuple[str, ...] | None = None,
                 order: ServiceOrder | None = None) -> list[DayOffers]:
    """Each bookable day (or each of `days` within them) that still has a window not started
    yet, with those windows and their free places for `category` (late in the evening today
    is not among them: it is over, not "full"). With `order` (rescheduling it), that
    order's own place does not count against it."""
    _check_category(category)
    windows = windows or WINDOWS
    bookable = bookable_days(uow)
    wanted = [d for d in (days or bookable) if d in bookable]
    skills = await technician_skills(uow)
    booked = await _booked(uow, wanted, windows, order.id if order is not None else None)
    now = uow.now()
    result = []
    for day in wanted:
        day_offers = []
        for window in windows:
            start, end = window_bounds(uow, day, window)
            if start <= now:
                continue  # started or past: never offered
            free = free_places(skills, booked.get((day, window), []), category)
            day_offers.append(WindowOffer(day, window, start, end, free))
        if day_offers:  # a day whose windows have all begun is over: not offered at all
            result.append(DayOffers(day, tuple(day_offers)))
    return result


async def window_offers(uow: UnitOfWork, day: date, category: str, *,
                        windows: tuple[str, ...] | None = None,
                        order: ServiceOrder | None = None) -> list[WindowOffer]:
    """The day's windows that have not started yet, each with its free places for
    `category` (0 when full). A day outside the bookable week has none."""
    found = await offers(uow, category, days=[_as_date(day)], windows=windows, order=order)
    return list(found[0].windows) if found else []


async def lock_window(uow: UnitOfWork, day: date, window: str) -> None:
    """Waits until no one else is booking this window, and keeps others waiting until the
    unit of work ends. Call before counting a window's places."""
    session = uow.session
    now = uow.now()
    values = dict(day=day, window=window, version=0, updated_at=now)
    dialect = (await session.connection()).dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    # If someone else is inserting the row right now, this waits for them, then does nothing.
    await session.execute(insert(BookingWindow).values(**values)
                          .on_conflict_do_nothing(index_elements=["day", "window"]))
    await session.execute(
        update(BookingWindow)
        .where(BookingWindow.day == day, BookingWindow.window == window)
        .values(version=BookingWindow.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def take_place(uow: UnitOfWork, day: date, window: str, category: str, *,
                     exclude_order_id: int | None = None) -> None:
    """Locks the window and makes sure it has a free place for `category`, or WindowFull.
    The place is taken by the order the caller then writes in the same unit of work."""
    await lock_window(uow, day, window)
    await require_free_place(uow, day, window, category, exclude_order_id=exclude_order_id)


async def require_free_place(uow: UnitOfWork, day: date, window: str, category: str, *,
                             exclude_order_id: int | None = None) -> None:
    """WindowFull unless the window has a place for `category`; call with the window locked."""
    skills = await technician_skills(uow)
    booked = await _booked(uow, [day], (window,), exclude_order_id)
    if free_places(skills, booked.get((day, window), []), category) < 1:
        log.info("window %s %s full for %s", day, window, category)
        raise WindowFull(day=day, window=window, category=category)


# --- cleaning what customers type -------------------------------------------------------------

def clean_text(text: str | None, field: str, *, minimum: int = 0, maximum: int,
               multiline: bool = False) -> str | None:
    """Typed text trimmed, runs of spaces made one (one line unless `multiline`, which keeps
    line breaks, at most one empty line in a row); None when empty and allowed to be.
    Refuses control and format characters (such as right-to-left overrides) except the
    zero-width joiner of emoji."""
    if text is not None and not isinstance(text, str):
        raise InvalidInput(field=field, reason="format")
    value = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        value = "\n".join(" ".join(line.split()) for line in value.split("\n")).strip()
        value = re.sub(r"\n{3,}", "\n\n", value)
    else:
        value = " ".join(value.split())
    allowed = "\u200d\n" if multiline else "\u200d"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") and ch not in allowed
           for ch in value):
        raise InvalidInput(field=field, reason="characters")
    if not value:
        if minimum:
            raise InvalidInput(field=field, reason="empty")
        return None
    if len(value) < minimum:
        raise InvalidInput(field=field, reason="too_short", limit=minimum)
    if len(value) > maximum:
        raise InvalidInput(field=field, reason="too_long", limit=maximum)
    return value


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


def _check_category(category: str) -> None:
    if category not in APPLIANCE_CATEGORIES:
        raise InvalidInput(field="category", reason="unknown")


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


def require_customer(user: User) -> None:
    if user.role != CUSTOMER or not user.active:
        raise NotAllowed(reason="customer_only")


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
    _check_category(category)
    brand = clean_text(brand, "brand", maximum=APPLIANCE_TEXT_MAX)
    model = clean_text(model, "model", maximum=APPLIANCE_TEXT_MAX)
    serial = clean_text(serial, "serial", maximum=APPLIANCE_TEXT_MAX)
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


async def lock_order(uow: UnitOfWork, order: ServiceOrder) -> None:
    """Holds the order's row until the unit of work ends and reloads it, so a status checked
    afterwards cannot be changed underneath (by a technician setting off, say). The update
    changes nothing; it takes the row lock (PostgreSQL) or the write lock (SQLite)."""
    await uow.session.execute(
        update(ServiceOrder).where(ServiceOrder.id == order.id)
        .values(updated_at=ServiceOrder.updated_at)
        .execution_options(synchronize_session=False))
    await uow.session.refresh(order)


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
    _check_reschedulable(order)
    day, start, end = check_slot(uow, day, window, windows)
    if (day, window) == (order.booked_date, order.window):
        raise InvalidInput(field="window", reason="unchanged", day=day, window=window)
    await take_place(uow, day, window, order.category or await _category_of(uow, order),
                     exclude_order_id=order.id)
    await lock_order(uow, order)
    _check_reschedulable(order)  # as it is now, not as it was read
    old = f"{order.booked_date} {order.window}" if order.booked_date else "-"
    event = orders.record(uow, order, "reschedule", customer,
                          note=f"{old} → {day} {window}")
    order.booked_date, order.window = day, window
    order.window_start, order.window_end = start, end
    await uow.session.flush()
    log.info("order %s rescheduled: %s", order.number, event.note)
    return event


def _check_reschedulable(order: ServiceOrder) -> None:
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
