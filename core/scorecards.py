"""Technicians' scorecards (考核与奖惩; 绩效考核指标: 订单及时率、准确率、满意度): each technician's
month, for /scorecard (a manager sees everyone, a technician their own), the ranking chart and
the monthly message on the 1st.

What each figure means, all in one local month (the company's time zone), the very rules of
/summary (core.reports), so that a technician's figures are the summary's for them:
- jobs done: orders they completed in the month (`completed_at`), what /summary counts as
  completed for them (the same statement, core.reports.summary_statements "completed");
- first-visit fix: of those, the ones that never waited for parts (a parts wait is what brings
  a second visit: waiting_parts -> reschedule), /summary's "fixed on the first visit";
- on time: of their arrivals in the month (an order's last arrival, with a booked window),
  those inside the booked window (core.reports.arrived_on_time, as /summary counts them);
- rating: the stars customers gave their jobs in the month (`Rating.at`), count and average;
- revenue: the final amounts of the jobs they completed, warranty orders excluded (fen);
- time on site: from the (last) arrival to completion, averaged over the jobs done that have an
  arrival time;
- complaints against them: complaints made in the month about an order they did (the order's
  technician when the customer complained, core.complaints).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select

from . import charts, periods, reports
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed
from .lifecycle import MANAGER, TECHNICIAN
from .models import Complaint, ServiceOrder, User
from .periods import Period, epoch_seconds, within
from .reminder_queue import add_daily
from .reports import average_minutes, average_stars, percent

MONTHS = ("this", "last")  # this month, last month
PAGE_SIZE = 8  # technicians on one page of a manager's scorecard
MONTHLY_AT = time(9, 0)  # the monthly scorecard reaches each technician on the 1st, local
MONTHLY_KIND = "scorecard"


# --- the month ----------------------------------------------------------------------------------

def month_starting(first_day: date, uow: UnitOfWork) -> Period:
    """The local month that starts on `first_day`, as a periods.Period named by its month."""
    zone = uow.company.timezone
    last = (first_day + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    count = (last - first_day).days + 1
    bounds = tuple(periods.local_midnight(first_day + timedelta(days=i), zone)
                   for i in range(count + 1))
    today = uow.now().astimezone(zone).date()
    return Period(first_day.strftime("%Y-%m"), first_day, last, today, bounds)


def this_month_start(uow: UnitOfWork) -> date:
    return uow.now().astimezone(uow.company.timezone).date().replace(day=1)


def last_month_start(uow: UnitOfWork) -> date:
    return (this_month_start(uow) - timedelta(days=1)).replace(day=1)


def month(uow: UnitOfWork, which: str) -> Period:
    if which == "this":
        return month_starting(this_month_start(uow), uow)
    if which == "last":
        return month_starting(last_month_start(uow), uow)
    raise InvalidInput(field="month", reason="unknown")


# --- the figures --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scorecard:
    technician_id: int
    name: str | None
    active: bool
    completed: int  # jobs done
    first_visit_fixed: int
    arrivals: int
    on_time: int
    ratings: int
    stars: int  # their sum
    revenue: int  # fen, warranty orders excluded
    on_site_jobs: int  # jobs done with an arrival time
    on_site_seconds: int  # summed over those
    complaints: int = 0  # made in the month about an order they did

    @property
    def on_time_percent(self) -> int | None:
        return percent(self.on_time, self.arrivals)

    @property
    def first_visit_percent(self) -> int | None:
        return percent(self.first_visit_fixed, self.completed)

    @property
    def rating(self) -> float | None:
        return average_stars(self.stars, self.ratings)

    @property
    def on_site_minutes(self) -> int | None:
        """The average time on site, in whole minutes (half up)."""
        return average_minutes(self.on_site_seconds, self.on_site_jobs)

    @property
    def rank_key(self) -> tuple:
        """Ranked by jobs done, then on time, first-visit fix, rating, revenue; then by name."""
        return (-self.completed, -(self.on_time_percent or 0), -(self.first_visit_percent or 0),
                -(self.rating or 0), -self.revenue, (self.name or "").casefold(),
                self.technician_id)


@dataclass(frozen=True)
class Scorecards:
    period: Period
    cards: tuple[Scorecard, ...]  # this page's, ranked
    ranks: tuple[int, ...]  # each card's place in the whole ranking (1 = first)
    page: int
    pages: int
    total: int  # technicians ranked


def scorecard_statements(period: Period) -> dict[str, object]:
    """The scorecards' queries for `period`, each grouped by technician. Jobs done and ratings
    are /summary's own statements; arrivals and time on site use its on-time rule."""
    summary = reports.summary_statements(period)
    return {
        # technician, count, first-visit fixes, seconds from booking (unused), revenue
        "completed": summary["completed"],
        # technician, count, stars
        "ratings": summary["ratings"],
        "arrivals": select(ServiceOrder.technician_id, func.count(),
                           func.sum(reports.arrived_on_time()))
        .where(within(ServiceOrder.arrived_at, period), ServiceOrder.window_end.is_not(None))
        .group_by(ServiceOrder.technician_id),
        "on_site": select(ServiceOrder.technician_id, func.count(),
                          func.sum(epoch_seconds(ServiceOrder.completed_at)
                                   - epoch_seconds(ServiceOrder.arrived_at)))
        .where(within(ServiceOrder.completed_at, period), ServiceOrder.arrived_at.is_not(None))
        .group_by(ServiceOrder.technician_id),
    }


async def complaints_against(uow: UnitOfWork, period: Period) -> dict[int, int]:
    """Complaints made in the period about each technician's orders."""
    rows = await uow.session.execute(
        select(Complaint.technician_id, func.count(Complaint.id))
        .where(Complaint.technician_id.is_not(None), within(Complaint.created_at, period))
        .group_by(Complaint.technician_id))
    return dict(rows.all())


async def _all_cards(uow: UnitOfWork, period: Period, only: int | None = None) -> list[Scorecard]:
    figures: dict[int, dict[str, int]] = {}

    def of(technician_id) -> dict[str, int]:
        return figures.setdefault(technician_id, dict(
            completed=0, first_visit_fixed=0, arrivals=0, on_time=0, ratings=0, stars=0,
            revenue=0, on_site_jobs=0, on_site_seconds=0))

    queries = scorecard_statements(period)
    run = uow.session.execute
    for technician_id, count, first, _, amount in await run(queries["completed"]):
        if technician_id is not None:
            of(technician_id).update(completed=count, first_visit_fixed=int(first or 0),
                                     revenue=int(amount or 0))
    for technician_id, count, stars in await run(queries["ratings"]):
        if technician_id is not None:
            of(technician_id).update(ratings=count, stars=int(stars or 0))
    for technician_id, count, on_time in await run(queries["arrivals"]):
        if technician_id is not None:
            of(technician_id).update(arrivals=count, on_time=int(on_time or 0))
    for technician_id, count, seconds in await run(queries["on_site"]):
        if technician_id is not None:
            of(technician_id).update(on_site_jobs=count, on_site_seconds=int(seconds or 0))
    # Every active technician, with or without work; anyone else only for what they did.
    people = await run(select(User.id, User.name, User.active).where(
        or_(User.id.in_(list(figures)), (User.role == TECHNICIAN) & User.active.is_(True))))
    complaints = await complaints_against(uow, period)
    cards = [Scorecard(technician_id=i, name=name, active=active, **of(i),
                       complaints=complaints.get(i, 0))
             for i, name, active in people]
    if only is not None:
        cards = [c for c in cards if c.technician_id == only]
    return sorted(cards, key=lambda c: c.rank_key)


def _viewer(user: User | None) -> str:
    if user is None or not user.active or user.role not in (MANAGER, TECHNICIAN):
        raise NotAllowed(reason="staff_only")
    return user.role


async def scorecards(uow: UnitOfWork, viewer: User, which: str, page: int = 1) -> Scorecards:
    """The scorecards of this or last month: every technician's, ranked and paged, for a
    manager; a technician's own (one card), for a technician."""
    role = _viewer(viewer)
    span = month(uow, which)
    return await _scorecards(uow, span, viewer.id if role == TECHNICIAN else None, page)


async def _scorecards(uow: UnitOfWork, span: Period, only: int | None, page: int) -> Scorecards:
    cards = await _all_cards(uow, span, only)
    total = len(cards)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    return Scorecards(span, tuple(cards[start:start + PAGE_SIZE]),
                      tuple(range(start + 1, start + 1 + len(cards[start:start + PAGE_SIZE]))),
                      page, pages, total)


async def ranking(uow: UnitOfWork, manager: User, which: str) -> tuple[Period, list[Scorecard]]:
    """Every technician's card of the month, ranked, for the managers' chart."""
    if _viewer(manager) != MANAGER:
        raise NotAllowed(reason="manager_only")
    span = month(uow, which)
    return span, await _all_cards(uow, span)


async def monthly(uow: UnitOfWork, technician_id: int, first_day: date) -> Scorecard | None:
    """A technician's card of the month starting `first_day` (the message on the 1st), or None
    when they are no longer an active technician."""
    user = await uow.session.get(User, technician_id)
    if user is None or not user.active or user.role != TECHNICIAN:
        return None
    cards = await _all_cards(uow, month_starting(first_day, uow), technician_id)
    return cards[0] if cards else None


async def plan_monthly(uow: UnitOfWork, technician_ids) -> int:
    """On the 1st (local): last month's scorecard to each technician at MONTHLY_AT, once each
    however many schedulers ask (core.reminder_queue.add_daily). Other days: nothing. Returns how
    many were written now."""
    zone = uow.company.timezone
    today = uow.now().astimezone(zone).date()
    if today.day != 1:
        return 0
    scored = last_month_start(uow).strftime("%Y-%m")
    due = datetime.combine(today, MONTHLY_AT, tzinfo=zone)
    written = 0
    for technician_id in technician_ids:
        written += await add_daily(uow, MONTHLY_KIND, technician_id, scored, due)
    return written


def scored_month(reminder_key: str) -> date | None:
    """The month a monthly scorecard reminder is about, from its key (…:YYYY-MM)."""
    try:
        return datetime.strptime(reminder_key.rsplit(":", 1)[-1], "%Y-%m").date()
    except ValueError:
        return None


# --- the ranking chart --------------------------------------------------------------------------

CHART_MAX = 40  # technicians drawn; a bigger company's chart shows its first forty


@dataclass(frozen=True)
class RankingWords:
    """The chart's texts, in one language (the front end takes them from its labels)."""

    title: str
    jobs_axis: str
    nobody: str
    on_time: str  # "on time {percent}%"
    no_arrivals: str
    rating: str  # "★ {rating}"
    no_rating: str


def draw_ranking(cards: list[Scorecard], words: RankingWords) -> bytes:
    """A PNG: one bar per technician (jobs done, best at the top), each with its on-time rate
    and rating. Blocking: call it in a thread."""
    with charts.drawing:  # matplotlib's settings are global: one chart at a time
        return _draw_ranking(cards[:CHART_MAX], words)


def _draw_ranking(cards: list[Scorecard], words: RankingWords) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    family = [f for f in (charts.cjk_font(), "DejaVu Sans") if f]
    with rc_context({"font.family": family, "font.size": 9, "axes.unicode_minus": False}):
        figure = Figure(figsize=(8, max(3.0, 1.2 + 0.45 * len(cards))), dpi=100,
                        layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        ys = list(range(len(cards)))
        done = [c.completed for c in cards]
        axes.barh(ys, done, color="#43a047", height=0.6)
        axes.set_yticks(ys, [c.name or "?" for c in cards])
        axes.invert_yaxis()  # the first at the top
        top = max(done, default=0)
        axes.set_xlim(0, max(top, 1) * 1.6)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(words.jobs_axis)
        axes.set_title(words.title)
        for y, card in zip(ys, cards):
            on_time = (words.on_time.format(percent=card.on_time_percent) if card.arrivals
                       else words.no_arrivals)
            rating = (words.rating.format(rating=f"{card.rating:.2f}") if card.ratings
                      else words.no_rating)
            axes.text(card.completed + max(top, 1) * 0.02, y,
                      f"{card.completed} · {on_time} · {rating}", va="center", fontsize=8)
        if not cards:
            axes.text(0.5, 0.5, words.nobody, transform=axes.transAxes, ha="center",
                      va="center", color="#757575")
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()
