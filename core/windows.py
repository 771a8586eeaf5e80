"""The days and windows a customer may book, how many places each window has left, and
taking a place so that two customers can never both get the last one.

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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from .desk import UnitOfWork
from .errors import DomainError, InvalidInput
from .lifecycle import HOLDING_STATUSES, TECHNICIAN, check_category
from .models import BookingWindow, ServiceOrder, TechnicianSkill, User

log = logging.getLogger(__name__)

WINDOWS = ("09-12", "13-17", "17-20")
BOOKABLE_DAYS = 7  # today and the six days after it, local time
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
        need = needs[index]
        # A free technician first: nobody has to move (without this, every order would try
        # to move every placed one, and a window of n orders costs n cubed).
        for technician in technicians:
            if technician not in owner and fits(technician, need):
                owner[technician] = index
                return True
        for technician in technicians:
            if technician in tried or not fits(technician, need):
                continue
            tried.add(technician)
            if place(owner[technician], tried):
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
        .where(User.role == TECHNICIAN, User.active.is_(True))
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
    check_category(category)
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
