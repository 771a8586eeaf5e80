"""What a manager sees of the business: the summary of a period (today, this week, this
month); its chart is drawn by core.charts, the order lists behind /orders' filters and the
morning digest are core.order_lists, the periods core.periods.

The summary is read from the daily figures core.summaries keeps with every change (a few
hundred small rows for a month, however many orders there are). The same figures can be
computed from the orders directly, in the database, by a handful of aggregate queries over
indexed ranges (`summary_statements`): that is how the summary answers while the figures are
not built, and what the tests compare them with (periods: see core.periods). Averages and
rates are computed here from integer sums and counts, so SQLite and PostgreSQL give the
very same figures.

What each figure means (all in the period):
- new: orders created; by status: those orders by the status they have now;
- completed: orders whose job was completed (`completed_at`); cancelled: "cancel" events;
- on time: of the technicians' arrivals (`arrived_at`; the last arrival of an order), those
  within the booked window, neither before it began nor after it ended (core.jobs.is_on_time);
- first-visit fix: of the completed orders, those that never waited for parts;
- quote approval: approvals / (approvals + declines, a declined revision included);
- rating: the stars given, their count and average;
- booking to completion: the average time from an order's creation to its completion;
- revenue: the final amounts of the completed orders, warranty orders excluded, split into
  parts and labour as billed (core.models.Completion);
- each technician: jobs booked in the period (assigned, not cancelled), completed, and the
  ratings they were given.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, select

from . import lifecycle, summaries
from .desk import UnitOfWork
from .lifecycle import CANCELLED, STATUSES
from .models import Completion, OrderEvent, Rating, ServiceOrder, User
from .periods import Period, day_of, epoch_seconds, period, within
from .ratings import LOW_RATING
from .roles import require_manager

# The events the summary counts, by action: one list for both ways of counting.
from .summaries import APPROVALS, CANCELS, COUNTED_ACTIONS, DECLINES, PARTS_MISSING

log = logging.getLogger(__name__)



# --- the summary ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TechnicianFigures:
    id: int
    name: str | None
    booked: int  # jobs booked in the period, assigned to them, not cancelled
    completed: int
    ratings: int
    stars: int  # the sum of the stars given

    @property
    def rating(self) -> float | None:
        return average_stars(self.stars, self.ratings)


@dataclass(frozen=True)
class DayFigures:
    day: date  # local
    by_status: dict[str, int]  # orders created that day, by their status now
    arrivals: int
    on_time: int

    @property
    def created(self) -> int:
        return sum(self.by_status.values())

    @property
    def on_time_percent(self) -> int | None:
        return percent(self.on_time, self.arrivals)


def average_stars(stars: int, ratings: int) -> float | None:
    """The average rating to two places, None without ratings."""
    return round(stars / ratings, 2) if ratings else None


def average_minutes(seconds: int, count: int) -> int | None:
    """An average duration in whole minutes (half up) from integer sums; None for no count."""
    return (seconds + 30 * count) // (60 * count) if count else None


def percent(part: int, whole: int) -> int | None:
    """A share as a whole percentage, rounded half up; None when there is nothing to share."""
    if not whole:
        return None
    return (200 * part + whole) // (2 * whole)


COMMENTS_SHOWN = 3  # the latest comments in the summary; all of them are in the CSV


@dataclass(frozen=True)
class RatingComment:
    number: str
    stars: int
    comment: str


@dataclass(frozen=True)
class Summary:
    period: Period
    by_status: dict[str, int]  # orders created in the period, by status now (lifecycle order)
    new: int
    completed: int
    cancelled: int
    arrivals: int
    on_time: int
    first_visit_fixed: int  # completed without ever waiting for parts
    quotes_approved: int
    quotes_declined: int
    ratings: int
    stars: int
    completion_seconds: int  # summed over the completed orders
    revenue: int  # fen; warranty orders excluded
    revenue_parts: int
    revenue_labour: int
    technicians: tuple[TechnicianFigures, ...]
    days: tuple[DayFigures, ...] = field(repr=False)
    low_ratings: int = 0  # 1 or 2 stars
    comments: tuple[RatingComment, ...] = ()  # the latest few, newest first

    @property
    def on_time_percent(self) -> int | None:
        return percent(self.on_time, self.arrivals)

    @property
    def first_visit_percent(self) -> int | None:
        return percent(self.first_visit_fixed, self.completed)

    @property
    def quotes_decided(self) -> int:
        return self.quotes_approved + self.quotes_declined

    @property
    def approval_percent(self) -> int | None:
        return percent(self.quotes_approved, self.quotes_decided)

    @property
    def rating(self) -> float | None:
        return average_stars(self.stars, self.ratings)

    @property
    def completion_minutes(self) -> int | None:
        """The average time from booking to completion, in whole minutes (half up)."""
        return average_minutes(self.completion_seconds, self.completed)


def arrived_on_time():
    """1 for an arrival inside the booked window (neither before it began nor after it ended,
    core.jobs.is_on_time), else 0: the one on-time rule in SQL (the summary, the scorecards)."""
    return case((and_(ServiceOrder.arrived_at >= ServiceOrder.window_start,
                      ServiceOrder.arrived_at <= ServiceOrder.window_end), 1), else_=0)


def summary_statements(period: Period) -> dict[str, object]:
    """The summary's queries for `period`, by name (the benchmark times each one)."""
    created = (select(day_of(ServiceOrder.created_at, period).label("day"),
                      ServiceOrder.status.label("status"))
               .where(within(ServiceOrder.created_at, period)).subquery())
    # Orders that ever waited for parts: one small set, hashed once by the database (a probe
    # of each completed order's events would cost far more at scale; see bench/SUMMARY.md).
    waited = select(OrderEvent.order_id).where(OrderEvent.action == PARTS_MISSING)
    paid = ServiceOrder.kind != lifecycle.WARRANTY
    arrived = (select(day_of(ServiceOrder.arrived_at, period).label("day"),
                   arrived_on_time().label("on_time"))
               .where(within(ServiceOrder.arrived_at, period),
                      ServiceOrder.window_end.is_not(None)).subquery())
    return {
        # Orders created in the period, by local day and present status.
        "created": select(created.c.day, created.c.status, func.count())
        .group_by(created.c.day, created.c.status),
        # Orders completed in the period, by technician: first-visit fixes, time from
        # booking, revenue without warranty orders.
        "completed": select(
            ServiceOrder.technician_id, func.count(),
            func.sum(case((ServiceOrder.id.in_(waited), 0), else_=1)),
            func.sum(epoch_seconds(ServiceOrder.completed_at)
                     - epoch_seconds(ServiceOrder.created_at)),
            func.sum(case((paid, func.coalesce(ServiceOrder.final_amount, 0)), else_=0)))
        .where(within(ServiceOrder.completed_at, period))
        .group_by(ServiceOrder.technician_id),
        # The same orders' bills split into parts and labour, warranty orders excluded.
        "revenue": select(func.sum(Completion.parts_amount), func.sum(Completion.labour_amount))
        .select_from(ServiceOrder)
        .join(Completion, Completion.order_id == ServiceOrder.id)
        .where(within(ServiceOrder.completed_at, period), paid),
        # Arrivals in the period by local day, and how many were on time.
        "arrivals": select(arrived.c.day, func.count(), func.sum(arrived.c.on_time))
        .group_by(arrived.c.day),
        # Quote decisions and cancellations in the period.
        "events": select(OrderEvent.action, func.count())
        .where(OrderEvent.action.in_(COUNTED_ACTIONS), within(OrderEvent.at, period))
        .group_by(OrderEvent.action),
        # Ratings given in the period, by technician.
        "ratings": select(Rating.technician_id, func.count(), func.sum(Rating.stars))
        .where(within(Rating.at, period)).group_by(Rating.technician_id),
        # The latest comments customers wrote with their stars, and the low ratings.
        # Jobs booked for the period's days, by technician.
        "booked": select(ServiceOrder.technician_id, func.count())
        .where(ServiceOrder.booked_date >= period.first_day,
               ServiceOrder.booked_date <= period.last_day,
               ServiceOrder.technician_id.is_not(None), ServiceOrder.status != CANCELLED)
        .group_by(ServiceOrder.technician_id),
    }


async def summary(uow: UnitOfWork, manager: User, period_name: str) -> Summary:
    """The figures of today, this week or this month (see the module's notes), from the daily
    figures core.summaries keeps; from the orders directly while none are kept."""
    require_manager(manager)
    span = period(uow, period_name)
    kept = await summaries.figures(uow, span.first_day, span.last_day)
    if kept is None:
        return await _summary_from_orders(uow, span)
    return await _summary_from_figures(uow, span, kept)


async def summary_from_orders(uow: UnitOfWork, manager: User, period_name: str) -> Summary:
    """The same figures by the direct queries (summary_statements), whatever is kept."""
    require_manager(manager)
    return await _summary_from_orders(uow, period(uow, period_name))


@dataclass
class _Tally:
    """What both ways of making a summary find, before it is put together."""

    by_day: list[dict[str, int]]  # status -> orders created that day
    arrivals_by_day: list[tuple[int, int]]  # (arrivals, on time)
    per_tech: dict[int, dict[str, int]] = field(default_factory=dict)
    completed: int = 0
    fixed: int = 0
    seconds: int = 0
    revenue: int = 0
    parts: int = 0
    labour: int = 0
    ratings: int = 0
    stars: int = 0
    actions: dict[str, int] = field(default_factory=dict)

    def tech(self, technician_id) -> dict[str, int]:
        return self.per_tech.setdefault(technician_id, dict(booked=0, completed=0, ratings=0,
                                                            stars=0))


async def _summary_from_orders(uow: UnitOfWork, span: Period) -> Summary:
    queries = summary_statements(span)
    run = uow.session.execute
    days = len(span.bounds) - 1
    tally = _Tally([{} for _ in range(days)], [(0, 0)] * days)
    for day, status, count in await run(queries["created"]):
        tally.by_day[day][status] = count
    for technician_id, count, first, spent, amount in await run(queries["completed"]):
        tally.completed += count
        tally.fixed += int(first or 0)
        tally.seconds += int(spent or 0)
        tally.revenue += int(amount or 0)
        if technician_id is not None:
            tally.tech(technician_id)["completed"] = count
    tally.parts, tally.labour = (int(x or 0) for x in (await run(queries["revenue"])).one())
    for day, count, on_time in await run(queries["arrivals"]):
        tally.arrivals_by_day[day] = (count, int(on_time or 0))
    tally.actions = dict((await run(queries["events"])).all())
    for technician_id, count, total in await run(queries["ratings"]):
        tally.ratings += count
        tally.stars += int(total or 0)
        if technician_id is not None:
            tally.tech(technician_id).update(ratings=count, stars=int(total or 0))
    for technician_id, count in await run(queries["booked"]):
        tally.tech(technician_id)["booked"] = count
    return await _put_together(uow, span, tally)


async def _summary_from_figures(uow: UnitOfWork, span: Period,
                                kept: summaries.Figures) -> Summary:
    days = span.days
    index = {day: i for i, day in enumerate(days)}
    tally = _Tally([{} for _ in days], [(0, 0)] * len(days))
    for (day, metric), value in kept.by_day.items():
        i = index[day]
        if metric.startswith("created:"):
            if value:
                tally.by_day[i][metric.split(":", 1)[1]] = value
        else:
            count, on_time = tally.arrivals_by_day[i]
            tally.arrivals_by_day[i] = ((value, on_time) if metric == "arrivals"
                                        else (count, value))
    company = summaries.COMPANY
    per_tech: dict[int, dict[str, int]] = {}
    for (technician_id, metric), value in kept.by_technician.items():
        if metric in ("completed", "first_visit", "completion_seconds", "revenue", "ratings",
                      "stars"):
            attribute = {"first_visit": "fixed", "completion_seconds": "seconds"}.get(metric,
                                                                                     metric)
            setattr(tally, attribute, getattr(tally, attribute) + value)
        elif metric in ("revenue_parts", "revenue_labour"):
            setattr(tally, metric.split("_")[1], value)
        elif metric in COUNTED_ACTIONS:
            if value:
                tally.actions[metric] = value
        if technician_id != company and metric in ("booked", "completed", "ratings", "stars"):
            per_tech.setdefault(technician_id, {})[metric] = value
    for technician_id, figures in per_tech.items():
        # Like the direct queries: a technician is listed for what they have in the period.
        if any(figures.get(m) for m in ("booked", "completed", "ratings")):
            tally.tech(technician_id).update(figures)
    return await _put_together(uow, span, tally)


async def _put_together(uow: UnitOfWork, span: Period, tally: _Tally) -> Summary:
    by_status = {s: sum(d.get(s, 0) for d in tally.by_day) for s in STATUSES}
    by_status = {s: n for s, n in by_status.items() if n}
    per_tech = tally.per_tech
    names = dict((await uow.session.execute(select(User.id, User.name).where(
        User.id.in_(per_tech)))).all()) if per_tech else {}
    technicians = tuple(sorted(
        (TechnicianFigures(id=i, name=names.get(i), **figures) for i, figures in per_tech.items()),
        key=lambda t: (-t.completed, -t.booked, (t.name or "").casefold(), t.id)))
    actions = tally.actions
    return Summary(
        period=span, by_status=by_status, new=sum(by_status.values()), completed=tally.completed,
        cancelled=sum(actions.get(a, 0) for a in CANCELS),
        arrivals=sum(a for a, _ in tally.arrivals_by_day),
        on_time=sum(o for _, o in tally.arrivals_by_day),
        first_visit_fixed=tally.fixed,
        quotes_approved=sum(actions.get(a, 0) for a in APPROVALS),
        quotes_declined=sum(actions.get(a, 0) for a in DECLINES),
        ratings=tally.ratings, stars=tally.stars, completion_seconds=tally.seconds,
        revenue=tally.revenue, revenue_parts=tally.parts, revenue_labour=tally.labour,
        technicians=technicians,
        days=tuple(DayFigures(day, tally.by_day[i], *tally.arrivals_by_day[i])
                   for i, day in enumerate(span.days)),
        # Few rows, by the ratings' time index: read directly, whatever the figures.
        low_ratings=int(await uow.session.scalar(
            select(func.count()).select_from(Rating)
            .where(within(Rating.at, span), Rating.stars <= LOW_RATING)) or 0),
        comments=tuple(RatingComment(number, stars, comment)
                       for number, stars, comment in await uow.session.execute(
                           select(ServiceOrder.number, Rating.stars, Rating.comment)
                           .join(ServiceOrder, ServiceOrder.id == Rating.order_id)
                           .where(within(Rating.at, span), Rating.comment.is_not(None))
                           .order_by(Rating.at.desc(), Rating.order_id.desc())
                           .limit(COMMENTS_SHOWN))))


