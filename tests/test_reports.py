"""The manager's reports: a known week of work built through the services with the clock
moved, then its summary (today, this week, this month), the /orders filters and the CSV
export checked figure by figure. The suite runs on SQLite and on PostgreSQL, so the same
expected figures prove both databases agree."""
from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import make_desk
from core import (
    booking,
    charts,
    dispatch,
    exports,
    job_completion,
    jobs,
    order_lists,
    orders,
    people,
    periods,
    quotes,
    ratings,
    reports,
    stock,
    summaries,
    warranty,
)
from core.clock import FixedClock
from core.db import make_engine, make_session_factory
from core.desk import CompanySettings, Desk
from core.errors import InvalidInput, NotAllowed
from handlers.reports import chart_words
from handlers.texts import Texts
from tests.conftest import AREAS, empty_database
from tests.workshop import ANN, BOB, BOSS, LI, WANG, act, add_lines, at, company, repair

SAT, SUN, MON, TUE, WED, THU = (date(2026, 11, d) for d in (21, 22, 23, 24, 25, 26))
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- the week of work -------------------------------------------------------------------------

async def _book(desk, customer, day, window, model, **overrides):
    async with desk.uow() as uow:
        person = await people.find_user(uow, customer)
        order = await booking.book_repair(uow, person, **repair(day=day, window=window,
                                                                model=model, **overrides))
        await uow.commit()
        return order.number


async def _assign(desk, number, technician):
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        await dispatch.assign(uow, boss, number, await people.find_user(uow, technician))
        await uow.commit()


async def _visit(desk, clock, tech, number, day, trip, arrive):
    """On the way at `trip` and arrived at `arrive` ((hour, minute), local, on `day`)."""
    clock.at = at(day, *trip)
    await act(desk, jobs.start_trip, tech, number)
    clock.at = at(day, *arrive)
    await act(desk, jobs.arrive, tech, number)


async def _quote(desk, clock, tech, number, day, when, lines):
    clock.at = at(day, *when)
    await act(desk, jobs.diagnose, tech, number, "Compressor relay burnt, does not start")
    await add_lines(desk, tech, number, lines)
    await act(desk, quotes.send_quote, tech, number)


async def _at(clock, day, hour, minute=0):
    clock.at = at(day, hour, minute)


async def build_week(desk, clock) -> dict[str, str]:
    """Orders F (last week) and A–K (this week, Mon 23 – Wed 25 Nov 2026); the clock ends on
    Wed 25 Nov at 18:00 in Shanghai. Returns the order numbers by letter.

    F  Ann  Sun 09-12  Li    on time, CMP-01 + call-out ¥500 approved, completed, ★4
    A  Ann  Mon 09-12  Li    on time, labour ¥160 approved, completed Mon 11:00, ★5
    B  Bob  Tue 09-12  Wang  late (12:30), quote declined: closed
    C  Ann  Tue 13-17  Li    on time, waits for parts, rescheduled to Wed 09-12, on time,
                             CMP-01 ¥450 approved, completed Wed 10:40 (not first visit)
    D  Bob  Wed 13-17  -     cancelled by Bob on Monday
    I  Bob  Wed 17-20  Wang  on time, quote sent Wed: awaiting approval
    J  Bob  Tue 13-17  Wang  on time, quote approved Tue 14:00: in progress since
    E  Ann  Wed 09-12  Wang  warranty claim on F (booked Tue): on time, CMP-01 free, a
                             thermostat ¥80, completed Wed 11:00, ★3 (not revenue)
    G  Bob  Thu 09-12  -     booked Tue, unassigned
    H  Ann  Wed 13-17  Li    booked Wed, scheduled: overdue by 18:00
    K  Ann  Wed 17-20  Li    booked Wed, on time, waits for parts
    """
    n: dict[str, str] = {}
    await _at(clock, SAT, 8)
    await company(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 5)
    await act(desk, stock.receive, BOSS, "THERM-02", 5)

    n["F"] = await _book(desk, ANN, SUN, "09-12", "M-F")
    await _assign(desk, n["F"], LI)
    await _visit(desk, clock, LI, n["F"], SUN, (9, 10), (9, 40))
    await _quote(desk, clock, LI, n["F"], SUN, (9, 50),
                 [("part", "CMP-01", 1), ("labour", "CALLOUT", 1)])
    await _at(clock, SUN, 10)
    await act(desk, quotes.approve_quote, ANN, n["F"])
    await _at(clock, SUN, 11)
    await act(desk, job_completion.complete, LI, n["F"], [("CMP-01", 1, "SN-F")])
    await _at(clock, SUN, 12)
    await act(desk, ratings.rate, ANN, n["F"], 4, "OK")

    # Monday
    await _at(clock, MON, 8)
    n["A"] = await _book(desk, ANN, MON, "09-12", "M-A")
    n["B"] = await _book(desk, BOB, TUE, "09-12", "M-B")
    n["C"] = await _book(desk, ANN, TUE, "13-17", "M-C")
    n["D"] = await _book(desk, BOB, WED, "13-17", "M-D")
    n["I"] = await _book(desk, BOB, WED, "17-20", "M-I")
    n["J"] = await _book(desk, BOB, TUE, "13-17", "M-J")
    for letter, tech in (("A", LI), ("B", WANG), ("C", LI), ("I", WANG), ("J", WANG)):
        await _assign(desk, n[letter], tech)
    await _visit(desk, clock, LI, n["A"], MON, (9, 10), (9, 40))
    await _quote(desk, clock, LI, n["A"], MON, (9, 50), [("labour", "LAB-H", 2)])
    await _at(clock, MON, 10)
    await act(desk, quotes.approve_quote, ANN, n["A"])
    await _at(clock, MON, 11)
    await act(desk, job_completion.complete, LI, n["A"])
    await _at(clock, MON, 12)
    await act(desk, ratings.rate, ANN, n["A"], 5, "=Fast, tidy")
    await _at(clock, MON, 12, 30)
    async with desk.uow() as uow:
        bob = await people.find_user(uow, BOB)
        await booking.cancel(uow, bob, await orders.find_order_for(uow, bob, n["D"]),
                             "changed_mind")
        await uow.commit()

    # Tuesday
    await _at(clock, TUE, 8)
    async with desk.uow() as uow:
        ann = await people.find_user(uow, ANN)
        covered = await warranty.parts_under_warranty(uow, ann, n["F"])
        claim = await warranty.open_warranty_claim(
            uow, ann, n["F"], [p.replaced_part_id for p in covered],
            "Not cooling again, compressor clicks", WED, "09-12")
        await uow.commit()
        n["E"] = claim.number
    await _assign(desk, n["E"], WANG)
    n["G"] = await _book(desk, BOB, THU, "09-12", "M-G",
                         address="=HYPERLINK(\"http://x\") Pudong")
    await _visit(desk, clock, WANG, n["B"], TUE, (9, 10), (12, 30))
    await _quote(desk, clock, WANG, n["B"], TUE, (12, 40),
                 [("part", "THERM-02", 1), ("labour", "CALLOUT", 1)])
    await _at(clock, TUE, 13)
    await act(desk, quotes.decline_quote, BOB, n["B"])
    await _visit(desk, clock, LI, n["C"], TUE, (13, 5), (13, 20))
    await _visit(desk, clock, WANG, n["J"], TUE, (13, 10), (13, 30))
    await _at(clock, TUE, 13, 40)
    await act(desk, jobs.parts_missing, LI, n["C"], [("CMP-01", 1)])
    await _quote(desk, clock, WANG, n["J"], TUE, (13, 50), [("labour", "LAB-H", 1)])
    await _at(clock, TUE, 14)
    await act(desk, quotes.approve_quote, BOB, n["J"])
    await act(desk, dispatch.reschedule_visit, BOSS, n["C"], WED, "09-12")

    # Wednesday
    await _at(clock, WED, 8)
    n["H"] = await _book(desk, ANN, WED, "13-17", "M-H", address="徐汇区天钥桥路1号 502室")
    n["K"] = await _book(desk, ANN, WED, "17-20", "M-K", category="washing_machine")
    await _assign(desk, n["H"], LI)
    await _assign(desk, n["K"], LI)
    await _visit(desk, clock, LI, n["C"], WED, (9, 5), (9, 30))
    await _visit(desk, clock, WANG, n["E"], WED, (9, 40), (9, 50))
    await _quote(desk, clock, LI, n["C"], WED, (9, 55), [("part", "CMP-01", 1)])
    await _quote(desk, clock, WANG, n["E"], WED, (10, 5),
                 [("part", "CMP-01", 1), ("part", "THERM-02", 1), ("labour", "CALLOUT", 1)])
    await _at(clock, WED, 10, 10)
    await act(desk, quotes.approve_quote, ANN, n["C"])
    await _at(clock, WED, 10, 30)
    await act(desk, quotes.approve_quote, ANN, n["E"])
    await _at(clock, WED, 10, 40)
    await act(desk, job_completion.complete, LI, n["C"], [("CMP-01", 1, "SN-C")])
    await _at(clock, WED, 11)
    await act(desk, job_completion.complete, WANG, n["E"], [("CMP-01", 1, "SN-E"), ("THERM-02", 1)])
    await _at(clock, WED, 12)
    await act(desk, ratings.rate, ANN, n["E"], 3)
    await _visit(desk, clock, WANG, n["I"], WED, (17, 0), (17, 10))
    await _visit(desk, clock, LI, n["K"], WED, (17, 5), (17, 20))
    await _quote(desk, clock, WANG, n["I"], WED, (17, 30), [("labour", "CALLOUT", 1)])
    await _at(clock, WED, 17, 40)
    await act(desk, jobs.parts_missing, LI, n["K"], note="Drum bearing worn out")
    await _at(clock, WED, 18)
    return n


def company_desk(url, clock):
    """A desk as tests/conftest.py makes it, on `url`."""
    engine = make_engine(url)
    return engine, make_desk(make_session_factory(engine),
                        CompanySettings(manager_ids=frozenset({900}), service_areas=AREAS), clock)


@pytest.fixture(scope="module")
def built_week(database_url):
    """The week is built once for this module (it takes a few seconds): the tests below only
    read it, each with a desk and a clock of its own."""
    async def build():
        await empty_database(database_url)
        engine, desk = company_desk(database_url, FixedClock(at(SAT, 8)))
        try:
            return await build_week(desk, desk.clock)
        finally:
            await engine.dispose()

    return asyncio.run(build())


@dataclass
class Week:
    desk: Desk
    clock: FixedClock
    n: dict[str, str]  # order numbers by letter


@pytest.fixture
async def week(database_url, built_week):
    clock = FixedClock(at(WED, 18))
    engine, desk = company_desk(database_url, clock)
    yield Week(desk, clock, built_week)
    await engine.dispose()


# --- periods ----------------------------------------------------------------------------------

def test_periods_are_local_days_weeks_from_monday_and_months():
    now = datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc)  # Thu 00:30 in Shanghai
    today = periods.period_of("today", now, SHANGHAI)
    assert (today.first_day, today.last_day) == (THU, THU)
    assert today.bounds == (datetime(2026, 11, 25, 16, tzinfo=timezone.utc),
                            datetime(2026, 11, 26, 16, tzinfo=timezone.utc))
    week = periods.period_of("week", now, SHANGHAI)
    assert (week.first_day, week.last_day, len(week.days)) == (MON, date(2026, 11, 29), 7)
    assert week.start == datetime(2026, 11, 22, 16, tzinfo=timezone.utc)
    month = periods.period_of("month", now, SHANGHAI)
    assert (month.first_day, month.last_day, len(month.days)) == (
        date(2026, 11, 1), date(2026, 11, 30), 30)
    december = periods.period_of("month", datetime(2026, 12, 31, 17, tzinfo=timezone.utc),
                                 SHANGHAI)  # 1 Jan 01:00 local
    assert (december.first_day, december.last_day) == (date(2027, 1, 1), date(2027, 1, 31))
    with pytest.raises(InvalidInput):
        periods.period_of("year", now, SHANGHAI)


def test_a_day_across_a_daylight_saving_change_has_its_own_length():
    berlin = ZoneInfo("Europe/Berlin")  # clocks went back on Sun 25 Oct 2026
    week = periods.period_of("week", datetime(2026, 10, 25, 12, tzinfo=timezone.utc), berlin)
    lengths = [(b - a).total_seconds() / 3600 for a, b in zip(week.bounds, week.bounds[1:])]
    assert lengths == [24, 24, 24, 24, 24, 24, 25]


def test_shares_are_whole_percentages_rounded_half_up():
    assert reports.percent(6, 7) == 86
    assert reports.percent(7, 8) == 88
    assert reports.percent(1, 2) == 50
    assert reports.percent(2, 3) == 67
    assert reports.percent(0, 0) is None


# --- the summary ------------------------------------------------------------------------------

def _technicians(figures):
    return [(t.name, t.booked, t.completed, t.ratings, t.rating) for t in figures.technicians]


async def test_the_weeks_figures(week):
    desk = week.desk
    figures = await act(desk, reports.summary, BOSS, "week")
    assert figures.by_status == {"new": 1, "scheduled": 1, "awaiting_approval": 1,
                                 "in_progress": 1, "waiting_parts": 1, "completed": 3,
                                 "closed": 1, "cancelled": 1}
    assert list(figures.by_status) == [s for s in reports.STATUSES if s in figures.by_status]
    assert (figures.new, figures.completed, figures.cancelled) == (10, 3, 1)
    assert (figures.arrivals, figures.on_time, figures.on_time_percent) == (7, 6, 86)
    assert (figures.first_visit_fixed, figures.first_visit_percent) == (2, 67)
    assert (figures.quotes_approved, figures.quotes_declined, figures.approval_percent) == (
        4, 1, 80)
    assert (figures.ratings, figures.rating) == (2, 4.0)
    # A 3 h, C 50 h 40 min, E 27 h: 1 day 2 h 53 min on average
    assert (figures.completion_seconds, figures.completion_minutes) == (290400, 1613)
    assert (figures.revenue, figures.revenue_parts, figures.revenue_labour) == (
        61000, 45000, 16000)
    assert _technicians(figures) == [("Li Wei", 4, 2, 1, 5.0), ("Wang Fang", 4, 1, 1, 3.0)]
    days = {d.day: d for d in figures.days}
    assert len(figures.days) == 7
    assert days[MON].by_status == {"completed": 2, "closed": 1, "cancelled": 1,
                                   "awaiting_approval": 1, "in_progress": 1}
    assert days[TUE].by_status == {"completed": 1, "new": 1}
    assert days[WED].by_status == {"scheduled": 1, "waiting_parts": 1}
    assert [(days[d].arrivals, days[d].on_time) for d in (MON, TUE, WED, THU)] == [
        (1, 1), (2, 1), (4, 4), (0, 0)]
    assert days[TUE].on_time_percent == 50 and days[THU].on_time_percent is None


async def test_todays_figures(week):
    desk = week.desk
    figures = await act(desk, reports.summary, BOSS, "today")
    assert figures.by_status == {"scheduled": 1, "waiting_parts": 1}
    assert (figures.new, figures.completed, figures.cancelled) == (2, 2, 0)
    assert (figures.arrivals, figures.on_time) == (4, 4)
    assert (figures.first_visit_fixed, figures.first_visit_percent) == (1, 50)
    assert (figures.quotes_approved, figures.quotes_declined) == (2, 0)
    assert (figures.ratings, figures.rating) == (1, 3.0)
    assert (figures.completion_seconds, figures.completion_minutes) == (279600, 2330)
    assert (figures.revenue, figures.revenue_parts, figures.revenue_labour) == (45000, 45000, 0)
    assert _technicians(figures) == [("Li Wei", 3, 1, 0, None), ("Wang Fang", 2, 1, 1, 3.0)]
    assert [d.day for d in figures.days] == [WED]


async def test_the_months_figures_include_last_week(week):
    desk = week.desk
    figures = await act(desk, reports.summary, BOSS, "month")
    assert (figures.new, figures.completed, figures.cancelled) == (11, 4, 1)
    assert figures.by_status["completed"] == 4
    assert (figures.arrivals, figures.on_time, figures.on_time_percent) == (8, 7, 88)
    assert (figures.first_visit_fixed, figures.first_visit_percent) == (3, 75)
    assert (figures.quotes_approved, figures.quotes_declined, figures.approval_percent) == (
        5, 1, 83)
    assert (figures.ratings, figures.stars, figures.rating) == (3, 12, 4.0)
    assert (figures.completion_seconds, figures.completion_minutes) == (387600, 1615)
    assert (figures.revenue, figures.revenue_parts, figures.revenue_labour) == (
        111000, 90000, 21000)
    assert _technicians(figures) == [("Li Wei", 5, 3, 2, 4.5), ("Wang Fang", 4, 1, 1, 3.0)]
    assert len(figures.days) == 30
    # what the customers wrote, newest first; no rating of 1 or 2 stars
    assert [(c.number, c.stars, c.comment) for c in figures.comments] == [
        (week.n["A"], 5, "=Fast, tidy"), (week.n["F"], 4, "OK")]
    assert figures.low_ratings == 0


async def test_an_empty_period_and_only_managers(week):
    desk = week.desk
    week.clock.at = at(date(2026, 12, 2), 10)
    figures = await act(desk, reports.summary, BOSS, "today")
    assert (figures.new, figures.completed, figures.arrivals, figures.revenue) == (0, 0, 0, 0)
    assert figures.on_time_percent is None and figures.rating is None
    assert figures.completion_minutes is None and figures.technicians == ()
    for who in (ANN, LI):
        with pytest.raises(NotAllowed) as refused:
            await act(desk, reports.summary, who, "week")
        assert refused.value.details == {"reason": "manager_only"}
    with pytest.raises(InvalidInput):
        await act(desk, reports.summary, BOSS, "forever")


# --- the chart --------------------------------------------------------------------------------


async def test_the_weeks_kept_figures_equal_the_direct_queries(week):
    """Built from the week's orders (a warranty job, a declined quote, a cancellation, parts
    missing and a reschedule among them), the kept figures give the very same summaries."""
    async with week.desk.uow() as uow:
        rebuilt = await summaries.rebuild(uow)
    assert rebuilt.orders == len(week.n)
    for when in (at(WED, 18), at(THU, 8)):
        week.clock.at = when
        for name in periods.PERIODS:
            kept = await act(week.desk, reports.summary, BOSS, name)
            assert kept == await act(week.desk, reports.summary_from_orders, BOSS, name)

def _words(lang="en"):
    span = periods.period_of("week", datetime(2026, 11, 25, 10, tzinfo=timezone.utc), SHANGHAI)
    return chart_words(Texts(SHANGHAI), lang, span)


async def test_the_chart_is_a_png_in_either_language(week):
    desk = week.desk
    figures = await act(desk, reports.summary, BOSS, "week")
    for lang in ("en", "zh"):
        png = charts.draw_chart(figures, _words(lang))
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    week.clock.at = at(date(2026, 12, 2), 10)
    empty = await act(desk, reports.summary, BOSS, "today")
    assert charts.draw_chart(empty, _words()).startswith(b"\x89PNG")


def test_chinese_needs_a_font_else_the_chart_is_in_english(monkeypatch):
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    assert charts.chart_language("zh") == "en"
    assert _words("zh").orders_axis == "Orders created"  # English axes, not empty boxes
    monkeypatch.setattr(charts, "cjk_font", lambda: "Noto Sans CJK SC")
    assert charts.chart_language("zh") == "zh"
    assert charts.chart_language("en") == "en"


# --- the /orders filters ----------------------------------------------------------------------

async def test_each_filter_finds_its_orders(week):
    desk, n = week.desk, week.n
    counts = await act(desk, order_lists.filter_counts, BOSS)
    assert counts == {"today": 5, "unassigned": 1, "overdue": 2, "awaiting_approval": 1,
                      "waiting_parts": 1, "completed_today": 2}

    async def numbers(name, **kw):
        found = await act(desk, order_lists.filtered_orders, BOSS, name, **kw)
        return [line.number for line in found.items]

    assert await numbers("today") == [n["C"], n["E"], n["H"], n["I"], n["K"]]
    assert await numbers("unassigned") == [n["G"]]
    assert await numbers("overdue") == [n["J"], n["H"]]  # in progress since Tue; window passed
    assert await numbers("awaiting_approval") == [n["I"]]
    assert await numbers("waiting_parts") == [n["K"]]
    assert await numbers("completed_today") == [n["E"], n["C"]]
    page = await act(desk, order_lists.filtered_orders, BOSS, "today", 2, page_size=2)
    assert ([line.number for line in page.items], page.pages, page.has_next) == (
        [n["H"], n["I"]], 3, True)
    # A page past the end shows the last one; anything not a page number, the first.
    past = await act(desk, order_lists.filtered_orders, BOSS, "today", 9, page_size=2)
    assert ([line.number for line in past.items], past.page, past.total) == ([n["K"]], 3, 5)
    for odd in (0, -1, "2", True):
        first = await act(desk, order_lists.filtered_orders, BOSS, "today", odd, page_size=2)
        assert ([line.number for line in first.items], first.page, first.total) == (
            [n["C"], n["E"]], 1, 5)
    only = await act(desk, order_lists.filtered_orders, BOSS, "unassigned", 3)
    assert ([line.number for line in only.items], only.page) == (
        [n["G"]], 1)
    line = (await act(desk, order_lists.filtered_orders, BOSS, "overdue")).items[1]
    assert (line.status, line.technician_name, line.window, line.category) == (
        "scheduled", "Li", "13-17", "refrigerator")
    with pytest.raises(InvalidInput):
        await act(desk, order_lists.filtered_orders, BOSS, "everything")
    with pytest.raises(NotAllowed):
        await act(desk, order_lists.filter_counts, LI)


async def test_in_progress_for_a_day_counts_from_when_it_went_in_progress(week):
    week.clock.at = at(WED, 13, 59)  # J went in progress on Tue at 14:00
    found = await act(week.desk, order_lists.filtered_orders, BOSS, "overdue")
    assert week.n["J"] not in [line.number for line in found.items]
    week.clock.at = at(WED, 14, 1)
    found = await act(week.desk, order_lists.filtered_orders, BOSS, "overdue")
    assert week.n["J"] in [line.number for line in found.items]



async def test_the_morning_digest_counts_the_overdue_orders_the_filter_lists(week):
    """One meaning of overdue: the 08:00 digest's number is the /orders filter's count,
    the job in progress for over a day included (the digest used to leave it out)."""
    for when in (at(WED, 18), at(THU, 8)):
        week.clock.at = when
        counts = await act(week.desk, order_lists.filter_counts, BOSS)
        async with week.desk.uow() as uow:
            morning = await order_lists.digest(uow)
        assert morning.overdue == counts["overdue"] == 2  # H: window passed; J: since Tue
        assert morning.unassigned == counts["unassigned"] == 1

# --- the CSV ----------------------------------------------------------------------------------

def _csv_words(lang):
    texts = Texts(SHANGHAI)
    keys = {"column": "reports.column.{}", "kind": "kind.{}", "status": "reports.status.{}",
            "category": "category.{}"}
    return lambda group, key: texts.label(lang, keys[group].format(key))


async def _export(desk, period, lang="en", **kw):
    exported = await act(desk, exports.export_orders, BOSS, period, _csv_words(lang), **kw)
    data = exported.file.read()
    exported.file.close()
    return exported, data


async def test_the_csv_has_a_bom_a_header_and_a_row_per_order(week):
    desk, n = week.desk, week.n
    exported, data = await _export(desk, "week", batch=3)  # several batches
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["Order", "Kind", "Status", "Customer", "Phone", "Appliance", "Address",
                       "Booked window", "Technician", "Arrived at", "Completed at",
                       "Quote total (yuan)", "Final amount (yuan)", "Rating",
                       "Customer's comment"]
    assert exported.rows == 10 and len(rows) == 11
    assert exported.filename == "orders_2026-11-23_2026-11-29.csv"
    by_number = {row[0]: row for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == [n[x] for x in "ABCDIJEGHK"]  # oldest first
    assert by_number[n["A"]] == [
        n["A"], "Repair", "Completed", "Ann Chen", "+8613800138000",
        "Refrigerator Haier M-A", "Xuhui, Tianyaoqiao Rd 1, flat 502",
        "2026-11-23 09:00-12:00", "Li Wei", "2026-11-23 09:40", "2026-11-23 11:00",
        "160.00", "160.00", "5", "'=Fast, tidy"]  # what the customer wrote, never a formula
    assert by_number[n["E"]][1:3] == ["Warranty repair", "Completed"]
    assert by_number[n["E"]][11:] == ["80.00", "80.00", "3", ""]
    assert by_number[n["D"]][2] == "Cancelled" and by_number[n["D"]][8:] == [""] * 7
    assert by_number[n["G"]][6] == "'=HYPERLINK(\"http://x\") Pudong"  # never a formula
    assert by_number[n["H"]][6] == "徐汇区天钥桥路1号 502室"
    assert data.count(b"\r\n") == 11  # Excel's line ends


async def test_the_csv_in_chinese_and_for_an_empty_period(week):
    desk, clock = week.desk, week.clock
    _, data = await _export(desk, "today", lang="zh")
    text = data.decode("utf-8")
    assert text.startswith("\ufeff订单号,类型,状态,客户")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert [row[2] for row in rows[1:]] == ["已派单", "等待配件"]
    assert rows[1][5] == "冰箱 Haier M-H" and rows[1][6] == "徐汇区天钥桥路1号 502室"
    clock.at = at(date(2026, 12, 2), 10)
    exported, data = await _export(desk, "today")
    assert exported.rows == 0 and data.decode("utf-8-sig").count("\r\n") == 1


async def test_only_managers_export(week):
    for who in (ANN, LI):
        with pytest.raises(NotAllowed):
            await act(week.desk, exports.export_orders, who, "week", _csv_words("en"))


async def test_a_chinese_chart_is_drawn_with_chinese_glyphs_not_boxes(week, recwarn):
    """The font is found wherever the package installed (not only with system fonts): every
    character of the chart's words is in it, and matplotlib reported no missing glyph."""
    import warnings

    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    charts.cjk_font.cache_clear()
    font = charts.cjk_font()
    assert font is not None
    assert charts.chart_language("zh") == "zh"
    words = _words("zh")
    assert words.orders_axis != _words("en").orders_axis  # Chinese, not English
    path = font_manager.findfont(font_manager.FontProperties(family=font),
                                 fallback_to_default=False)
    covered = FT2Font(path).get_charmap()
    texts = [words.title, words.orders_axis, words.on_time_axis, words.on_time_line,
             words.no_orders, *words.statuses.values()]
    wanted = {ch for text in texts for ch in text if ord(ch) > 0x2e80}
    assert wanted and not [ch for ch in wanted if ord(ch) not in covered]
    figures = await act(week.desk, reports.summary, BOSS, "week")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = charts.draw_chart(figures, words)
    assert png.startswith(b"\x89PNG")
    assert not [w for w in caught if "missing from" in str(w.message)], caught
