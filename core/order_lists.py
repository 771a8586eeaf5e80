"""The order lists behind a manager's /orders filters (today, unassigned, overdue, awaiting
approval, waiting for parts, completed today), and the 08:00 digest, which counts the same
way: one definition of "overdue" for both."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from . import lifecycle
from .customer_orders import first_name
from .desk import UnitOfWork
from .errors import InvalidInput
from .lifecycle import (
    AWAITING_APPROVAL,
    CANCELLED,
    EN_ROUTE,
    IN_PROGRESS,
    NEW,
    SCHEDULED,
    WAITING_PARTS,
)
from .models import Appliance, OrderEvent, Rating, ServiceOrder, User
from .paging import LIMIT, OFFSET, Page, page_rows
from .periods import local_midnight, period, within
from .roles import require_manager

PAGE_SIZE = 5
# An order in progress for longer than this is overdue.
IN_PROGRESS_LIMIT = timedelta(days=1)


FILTERS = ("today", "unassigned", "overdue", "awaiting_approval", "waiting_parts",
           "completed_today")


@dataclass(frozen=True)
class ListedOrder:
    id: int
    number: str
    kind: str
    status: str
    category: str | None
    booked_date: date | None  # local
    window: str | None  # local, e.g. "09-12"
    technician_name: str | None  # first name
    completed_at: datetime | None  # aware UTC


def _entered_in_progress():
    """When the order last went into in_progress (not acts that kept it there)."""
    return (select(func.max(OrderEvent.at))
            .where(OrderEvent.order_id == ServiceOrder.id, OrderEvent.to_status == IN_PROGRESS,
                   or_(OrderEvent.from_status.is_(None), OrderEvent.from_status != IN_PROGRESS))
            .scalar_subquery())


def orders_counted(*where):
    """How many orders match: count(*), so that an index holding the filter's columns
    answers alone (an index-only scan), without reading the orders."""
    return select(func.count()).select_from(ServiceOrder).where(*where)


def overdue(now: datetime):
    """The one meaning of "overdue" (the /orders filter and the morning digest): the booked
    window has passed and nobody has arrived (new, scheduled or on the way), or the work has
    been in progress for longer than IN_PROGRESS_LIMIT."""
    return or_(and_(ServiceOrder.status.in_((NEW, SCHEDULED, EN_ROUTE)),
                    ServiceOrder.window_end < now),
               and_(ServiceOrder.status == IN_PROGRESS,
                    _entered_in_progress() < now - IN_PROGRESS_LIMIT))


def order_filter(uow: UnitOfWork, name: str):
    """(where clause, order by) of one of FILTERS, at the unit of work's now."""
    now = uow.now()
    today = period(uow, "today")
    no_window_last = (ServiceOrder.window_start.is_(None), ServiceOrder.window_start,
                      ServiceOrder.id)
    if name == "today":
        return (and_(ServiceOrder.booked_date == today.first_day,
                     ServiceOrder.status != CANCELLED), no_window_last)
    if name == "unassigned":
        return ServiceOrder.status == NEW, no_window_last
    if name == "overdue":
        return (overdue(now),
                (ServiceOrder.window_end.is_(None), ServiceOrder.window_end, ServiceOrder.id))
    if name in (AWAITING_APPROVAL, WAITING_PARTS):
        return ServiceOrder.status == name, (ServiceOrder.updated_at, ServiceOrder.id)
    if name == "completed_today":
        return (within(ServiceOrder.completed_at, today),
                (ServiceOrder.completed_at.desc(), ServiceOrder.id.desc()))
    raise InvalidInput(field="filter", reason="unknown")


async def filter_counts(uow: UnitOfWork, manager: User) -> dict[str, int]:
    """How many orders each filter finds now."""
    require_manager(manager)
    # One statement of six counts, each its own subquery on its own index: one round trip.
    counts = (await uow.session.execute(select(*(
        orders_counted(order_filter(uow, name)[0]).scalar_subquery()
        for name in FILTERS)))).one()
    return {name: count or 0 for name, count in zip(FILTERS, counts)}


async def filtered_orders(uow: UnitOfWork, manager: User, name: str, page: int = 1,
                          page_size: int = PAGE_SIZE) -> Page[ListedOrder]:
    """One page of the orders a filter finds."""
    require_manager(manager)
    where, order_by = order_filter(uow, name)
    technician = aliased(User)

    # The page's ids and how many match, in one pass over the filter (overdue evaluates its
    # in-progress lookup once, not for a count and again for the page); then only those few
    # rows joined to their appliance and technician (joined before the limit, PostgreSQL
    # would hash all appliances for every page).
    found = (select(ServiceOrder.id, func.count().over().label("total"))
             .where(where).order_by(*order_by).offset(OFFSET).limit(LIMIT).subquery())
    statement = (select(ServiceOrder.id, ServiceOrder.number, ServiceOrder.kind,
                        ServiceOrder.status,
                        func.coalesce(ServiceOrder.category, Appliance.category),
                        ServiceOrder.booked_date, ServiceOrder.window, technician.name,
                        ServiceOrder.completed_at, found.c.total)
                 .join(found, found.c.id == ServiceOrder.id)
                 .outerjoin(Appliance, Appliance.id == ServiceOrder.appliance_id)
                 .outerjoin(technician, technician.id == ServiceOrder.technician_id)
                 .order_by(*order_by))
    rows, page, page_size, total = await page_rows(uow.session, statement, page, page_size,
                                                   PAGE_SIZE)
    items = tuple(
        ListedOrder(id=i, number=number, kind=kind, status=status, category=category,
                    booked_date=booked, window=window,
                    technician_name=first_name(tech_name) if status != NEW else None,
                    completed_at=done)
        for i, number, kind, status, category, booked, window, tech_name, done, _ in rows)
    return Page(items, page, page_size, total)


# --- the managers' morning digest -------------------------------------------------------------

@dataclass(frozen=True)
class Digest:
    booked_today: int  # open orders booked for today
    unassigned: int
    overdue: int  # as the /orders filter counts them
    completed_yesterday: int
    rating: float | None  # the average of all stars given


async def digest(uow: UnitOfWork) -> Digest:
    """What the 08:00 digest tells managers, now."""
    today = period(uow, "today")
    yesterday = today.first_day - timedelta(days=1)
    count = lambda *where: uow.session.scalar(  # noqa: E731
        orders_counted(*where))
    done = (ServiceOrder.completed_at >= local_midnight(yesterday, uow.company.timezone),
            ServiceOrder.completed_at < today.start)
    return Digest(
        booked_today=await count(ServiceOrder.booked_date == today.first_day,
                                 ServiceOrder.status.in_(lifecycle.OPEN_STATUSES)),
        unassigned=await count(ServiceOrder.status == NEW),
        overdue=await count(overdue(uow.now())),
        completed_yesterday=await count(
            ServiceOrder.status.in_((lifecycle.COMPLETED, lifecycle.CLOSED)), *done),
        rating=await uow.session.scalar(select(func.avg(Rating.stars))))
