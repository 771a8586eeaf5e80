"""What a manager sees of the business: the summary of a period (today, this week, this
month) with its chart, and the order lists behind /orders' filters.

The summary is read from the daily figures core.summaries keeps with every change (a few
hundred small rows for a month, however many orders there are). The same figures can be
computed from the orders directly, in the database, by a handful of aggregate queries over
indexed ranges (`summary_statements`): that is how the summary answers while the figures are
not built, and what the tests compare them with. Periods are local (the company's time zone; a
week starts on Monday) but are turned into UTC bounds here, in Python, so that the SQL only
compares stored UTC times with bound parameters; a day of the chart is found by a CASE over
the period's local midnights (portable, and right across a daylight-saving change). The only
per-dialect piece is `epoch_seconds` (whole seconds of a time, for durations). Averages and
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

import io
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, and_, case, func, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import GenericFunction

from . import lifecycle, summaries
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
    STATUSES,
    WAITING_PARTS,
)
from .models import Appliance, Completion, OrderEvent, Rating, ServiceOrder, User
from .paging import Page, page_bounds
from .ratings import LOW_RATING
from .roles import require_manager
# The events the summary counts, by action: one list for both ways of counting.
from .summaries import APPROVALS, CANCELS, COUNTED_ACTIONS, DECLINES, PARTS_MISSING

log = logging.getLogger(__name__)

PERIODS = ("today", "week", "month")
PAGE_SIZE = 5
# An order in progress for longer than this is overdue.
IN_PROGRESS_LIMIT = timedelta(days=1)


# --- periods ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    name: str  # today, week, month
    first_day: date  # local
    last_day: date  # local, inclusive
    today: date  # local, the day the summary is made
    # The UTC start of each local day of the period, then the end of the period: day i is
    # [bounds[i], bounds[i + 1]).
    bounds: tuple[datetime, ...]

    @property
    def start(self) -> datetime:
        return self.bounds[0]

    @property
    def end(self) -> datetime:
        return self.bounds[-1]

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.first_day + timedelta(days=i) for i in range(len(self.bounds) - 1))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The moment a local day starts, as aware UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


def period_of(name: str, now: datetime, zone: ZoneInfo) -> Period:
    """Today, this week (from Monday) or this month, in `zone`, around `now`."""
    today = now.astimezone(zone).date()
    if name == "today":
        first, last = today, today
    elif name == "week":
        first = today - timedelta(days=today.weekday())
        last = first + timedelta(days=6)
    elif name == "month":
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        raise InvalidInput(field="period", reason="unknown")
    count = (last - first).days + 1
    bounds = tuple(local_midnight(first + timedelta(days=i), zone) for i in range(count + 1))
    return Period(name, first, last, today, bounds)


def period(uow: UnitOfWork, name: str) -> Period:
    return period_of(name, uow.now(), uow.company.timezone)


# --- the one per-dialect expression -----------------------------------------------------------

class epoch_seconds(GenericFunction):
    """Whole seconds since 1970 of a stored (naive UTC) time: integer on both databases, so
    sums of durations are exact and the same everywhere."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw):
    # Only the stored text's whole seconds ("YYYY-MM-DD HH:MM:SS"): SQLite rounds a time to
    # milliseconds first, so 10:00:00.9996 would count as 10:00:01 (PostgreSQL floors).
    stored = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('%s', substr({stored}, 1, 19)) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element, compiler, **kw):
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def day_of(column, period: Period):
    """Which day of the period (0, 1, ...) a time in the period falls on, in SQL."""
    bounds = period.bounds
    if len(bounds) == 2:
        return literal_column("0", Integer)
    return case(*[(column < bound, i) for i, bound in enumerate(bounds[1:-1])],
                else_=len(bounds) - 2)


def within(column, period: Period):
    return and_(column >= period.start, column < period.end)


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
        return round(self.stars / self.ratings, 2) if self.ratings else None


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
        return round(self.stars / self.ratings, 2) if self.ratings else None

    @property
    def completion_minutes(self) -> int | None:
        """The average time from booking to completion, in whole minutes (half up)."""
        if not self.completed:
            return None
        return (self.completion_seconds + 30 * self.completed) // (60 * self.completed)


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


# --- the chart --------------------------------------------------------------------------------

# Fonts with Chinese glyphs, best first (Debian: fonts-noto-cjk, fonts-wqy-microhei).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Source Han Sans SC",
             "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback",
             "AR PL UMing CN", "Noto Serif CJK SC")
STATUS_COLOURS = {
    NEW: "#9e9e9e", SCHEDULED: "#64b5f6", EN_ROUTE: "#1e88e5", lifecycle.ON_SITE: "#3949ab",
    AWAITING_APPROVAL: "#ffb300", IN_PROGRESS: "#8e24aa", WAITING_PARTS: "#f4511e",
    lifecycle.COMPLETED: "#43a047", lifecycle.CLOSED: "#1b5e20", CANCELLED: "#e53935",
}
_drawing = threading.Lock()  # matplotlib's settings are global: one chart at a time


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of a font that has Chinese glyphs, or None.

    First the one shipped with the install (the Noto Sans CJK file of a PyPI package, so a
    plain `pip install` draws Chinese), registered with matplotlib by its path; then an
    installed one. Matplotlib caches the fonts it found on its first run, so a font package
    installed later (Debian's fonts-noto-cjk) is looked for by file as well."""
    from matplotlib import font_manager

    for path in _cjk_font_files():
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):  # unreadable or not a font: try the next
            log.warning("font file %s could not be used", path)
    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    return next((name for name in sorted(installed) if "CJK" in name), None)


def _cjk_font_files() -> list[str]:
    files = []
    try:
        import cvttf_NotoSansCJK_Regular as packaged

        files.append(packaged.get_TTF_path())
    except (ImportError, FileNotFoundError):
        pass
    for folder in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto"):
        for name in ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf"):
            candidate = os.path.join(folder, name)
            if os.path.exists(candidate):
                files.append(candidate)
    return files


def chart_language(lang: str) -> str:
    """The language the chart can be drawn in: Chinese only with a font for it."""
    return lang if lang != "zh" or cjk_font() else "en"


@dataclass(frozen=True)
class ChartWords:
    """The chart's texts, in one language (the front end takes them from its labels)."""

    title: str
    orders_axis: str
    on_time_axis: str
    on_time_line: str
    no_orders: str
    statuses: dict[str, str]  # status -> short name
    day_format: str = "%m-%d"  # strftime of a day under its bar


def draw_chart(summary: Summary, words: ChartWords) -> bytes:
    """A PNG: orders created per day, stacked by status, and the on-time rate as a line.
    Blocking (a fraction of a second): call it in a thread."""
    with _drawing:
        return _draw(summary, words)


def _draw(summary: Summary, words: ChartWords) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    days = [d for d in summary.days if d.day <= summary.period.today] or list(summary.days[:1])
    family = [f for f in (cjk_font(), "DejaVu Sans") if f]
    with rc_context({"font.family": family, "font.size": 9, "axes.unicode_minus": False}):
        figure = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        xs = list(range(len(days)))
        bottoms = [0] * len(days)
        for status in STATUSES:
            heights = [d.by_status.get(status, 0) for d in days]
            if not any(heights):
                continue
            axes.bar(xs, heights, bottom=bottoms, color=STATUS_COLOURS[status], width=0.7,
                     label=words.statuses.get(status, status))
            bottoms = [b + h for b, h in zip(bottoms, heights)]
        axes.set_xticks(xs, [d.day.strftime(words.day_format) for d in days],
                        rotation=45 if len(days) > 10 else 0,
                        fontsize=7 if len(days) > 10 else 9)
        axes.set_ylabel(words.orders_axis)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max(max(bottoms, default=0), 1) * 1.15)
        axes.set_title(words.title)
        if not any(bottoms):
            axes.text(0.5, 0.5, words.no_orders, transform=axes.transAxes, ha="center",
                      va="center", color="#757575")
        rates = axes.twinx()
        points = [(x, d.on_time_percent) for x, d in zip(xs, days) if d.arrivals]
        if points:
            rates.plot([x for x, _ in points], [p for _, p in points], color="#212121",
                       marker="o", linewidth=1.5, label=words.on_time_line)
        rates.set_ylim(0, 105)
        rates.yaxis.set_major_formatter(PercentFormatter(100))
        rates.set_ylabel(words.on_time_axis)
        handles, labels = axes.get_legend_handles_labels()
        line_handles, line_labels = rates.get_legend_handles_labels()
        if handles or line_handles:
            figure.legend(handles + line_handles, labels + line_labels,
                          loc="outside lower center", fontsize=8, frameon=False,
                          ncols=min(6, len(handles) + len(line_handles)))
        axes.set_xlim(-0.6, len(days) - 0.4)
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


# --- the manager's order lists ----------------------------------------------------------------

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
    total = await uow.session.scalar(orders_counted(where)) or 0
    page, page_size, offset = page_bounds(page, page_size, total, PAGE_SIZE)
    technician = aliased(User)
    rows = await uow.session.execute(
        select(ServiceOrder.id, ServiceOrder.number, ServiceOrder.kind, ServiceOrder.status,
               func.coalesce(ServiceOrder.category, Appliance.category),
               ServiceOrder.booked_date, ServiceOrder.window, technician.name,
               ServiceOrder.completed_at)
        .outerjoin(Appliance, Appliance.id == ServiceOrder.appliance_id)
        .outerjoin(technician, technician.id == ServiceOrder.technician_id)
        .where(where).order_by(*order_by).offset(offset).limit(page_size))
    items = tuple(
        ListedOrder(id=i, number=number, kind=kind, status=status, category=category,
                    booked_date=booked, window=window,
                    technician_name=first_name(tech_name) if status != NEW else None,
                    completed_at=done)
        for i, number, kind, status, category, booked, window, tech_name, done in rows)
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
