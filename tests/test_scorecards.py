"""Technicians' scorecards: random work through the real services (the summary's fuzz), then
each technician's month must give /summary's figures for them (from the kept daily figures
and from the orders), the new figures (on time per technician, time on site) must match a
count over the orders in Python, and next month's "last month" must be this month's. Who may
see what, and the monthly message on the 1st, planned once."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core import complaints, jobs, people, reminder_queue, reports, scorecards, stock, summaries
from core.errors import NotAllowed
from core.models import Reminder, ServiceOrder, User
from tests.test_summaries import CUSTOMERS, _random_step, _rebuild
from tests.workshop import ANN, BOSS, LI, TODAY, WANG, act, assigned, at, company, make_user


async def _history(desk, clock, seed: int, steps: int = 300) -> None:
    rng = random.Random(seed)
    clock.at = at(TODAY - timedelta(days=20), 8)
    await company(desk)
    async with desk.uow() as uow:
        for telegram_id in CUSTOMERS[2:]:
            await make_user(uow, telegram_id)
        await uow.commit()
    await act(desk, stock.receive, BOSS, "THERM-02", 500)
    await _rebuild(desk)  # figures kept from here on, as the bot does
    numbers: list[str] = []
    for _ in range(steps):
        clock.at = clock.now() + timedelta(minutes=rng.choice((5, 20, 45, 90, 180)))
        await _random_step(desk, clock, rng, numbers)


async def _cards(desk, who, which) -> list[scorecards.Scorecard]:
    async with desk.uow() as uow:
        viewer = await people.find_user(uow, who)
        found = await scorecards.scorecards(uow, viewer, which)
        cards = list(found.cards)
        for page in range(2, found.pages + 1):
            cards += (await scorecards.scorecards(uow, viewer, which, page)).cards
        return cards


def _python_figures(orders, span) -> dict[int, dict[str, int]]:
    """On time and time on site per technician, counted over the order rows in Python."""
    found: dict[int, dict[str, int]] = {}
    for order in orders:
        tech = found.setdefault(order.technician_id, dict(arrivals=0, on_time=0, jobs=0,
                                                          seconds=0))
        if order.arrived_at and span.start <= order.arrived_at < span.end \
                and jobs.is_on_time(order) is not None:
            tech["arrivals"] += 1
            tech["on_time"] += int(jobs.is_on_time(order))
        if order.completed_at and order.arrived_at and \
                span.start <= order.completed_at < span.end:
            tech["jobs"] += 1
            tech["seconds"] += int((order.completed_at.replace(microsecond=0)
                                    - order.arrived_at.replace(microsecond=0)).total_seconds())
    return found


@pytest.mark.parametrize("seed", [5, 11])
async def test_a_technicians_month_is_the_summarys_figures_for_them(desk, clock, seed):
    await _history(desk, clock, seed)
    cards = await _cards(desk, BOSS, "this")
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        kept_summary = await reports.summary(uow, boss, "month")
        direct_summary = await reports.summary_from_orders(uow, boss, "month")
        span = scorecards.month(uow, "this")
        kept = await summaries.figures(uow, span.first_day, span.last_day)
        orders = list(await uow.session.scalars(select(ServiceOrder)))
    assert kept is not None and kept_summary == direct_summary
    assert span.first_day == date(2026, 11, 1) and span.last_day == date(2026, 11, 30)
    by_id = {c.technician_id: c for c in cards}
    listed = {t.id: t for t in kept_summary.technicians}
    assert set(listed) <= set(by_id) and len(by_id) == 2  # both active technicians, once
    for technician_id, card in by_id.items():
        summary_tech = listed.get(technician_id)
        assert card.completed == (summary_tech.completed if summary_tech else 0)
        assert card.ratings == (summary_tech.ratings if summary_tech else 0)
        assert card.stars == (summary_tech.stars if summary_tech else 0)
        # The kept figures per technician: first-visit fixes and revenue.
        tech_figures = kept.by_technician
        assert card.first_visit_fixed == tech_figures.get((technician_id, "first_visit"), 0)
        assert card.revenue == tech_figures.get((technician_id, "revenue"), 0)
        assert card.completed == tech_figures.get((technician_id, "completed"), 0)
        python = _python_figures(orders, span).get(technician_id)
        assert (card.arrivals, card.on_time) == (python["arrivals"], python["on_time"])
        assert (card.on_site_jobs, card.on_site_seconds) == (python["jobs"], python["seconds"])
        assert card.complaints == 0  # none in this history
    # Every arrival, completion and rating of the month belongs to one technician's card.
    assert sum(c.completed for c in cards) == kept_summary.completed > 0
    assert sum(c.first_visit_fixed for c in cards) == kept_summary.first_visit_fixed
    assert sum(c.revenue for c in cards) == kept_summary.revenue > 0
    assert sum(c.arrivals for c in cards) == kept_summary.arrivals > 0
    assert sum(c.on_time for c in cards) == kept_summary.on_time > 0
    assert sum(c.ratings for c in cards) == kept_summary.ratings > 0
    assert any(c.on_site_minutes for c in cards)
    assert [c.rank_key for c in cards] == sorted(c.rank_key for c in cards)

    # In December, November is "last month": the same cards; this month has no work yet.
    clock.at = at(date(2026, 12, 3), 10)
    assert await _cards(desk, BOSS, "last") == cards
    december = await _cards(desk, BOSS, "this")
    assert {c.technician_id for c in december} == set(by_id)
    assert not any(c.completed or c.arrivals or c.ratings for c in december)


async def test_a_technician_sees_only_their_own_card_customers_none(desk, clock):
    await _history(desk, clock, 3, steps=120)
    everyone = {c.technician_id: c for c in await _cards(desk, BOSS, "this")}
    for who in (LI, WANG):
        own = await _cards(desk, who, "this")
        async with desk.uow() as uow:
            me = await people.find_user(uow, who)
        assert own == [everyone[me.id]]
    with pytest.raises(NotAllowed):
        await _cards(desk, ANN, "this")
    async with desk.uow() as uow:  # the chart is the managers'
        li = await people.find_user(uow, LI)
        li_id = li.id
        with pytest.raises(NotAllowed):
            await scorecards.ranking(uow, li, "this")
        li.active = False  # a deactivated technician sees nothing, and is still ranked
        await uow.commit()
    with pytest.raises(NotAllowed):
        await _cards(desk, LI, "this")
    ranked = {c.technician_id: c for c in await _cards(desk, BOSS, "this")}
    worked = everyone[li_id]
    assert (li_id in ranked) == bool(worked.completed or worked.arrivals or worked.ratings)


async def test_many_technicians_are_paged(desk, clock):
    await company(desk, parts=False)
    async with desk.uow() as uow:
        for n in range(20):
            await make_user(uow, 3000 + n, "technician", ["tv"], ["Xuhui"], name=f"Tech {n:02}")
        await uow.commit()
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        first = await scorecards.scorecards(uow, boss, "this")
        last = await scorecards.scorecards(uow, boss, "this", page=99)
    assert first.total == 22 and first.pages == 3 and len(first.cards) == scorecards.PAGE_SIZE
    assert last.page == 3 and last.ranks == tuple(range(17, 23))


async def test_the_monthly_scorecard_is_planned_on_the_first_at_nine_once(desk, clock):
    await company(desk, parts=False)

    async def plan():
        async with desk.uow() as uow:
            technicians, _ = await reminder_queue.technicians_and_managers(uow)
            written = await scorecards.plan_monthly(uow, technicians)
            await uow.commit()
            return written

    clock.at = at(date(2026, 11, 30), 7, 30)
    assert await plan() == 0
    clock.at = at(date(2026, 12, 1), 7, 30)
    assert await plan() == 2
    assert await plan() == 0  # a second scheduler (or instance): nothing more
    async with desk.uow() as uow:
        planned = list(await uow.session.scalars(select(Reminder).order_by(Reminder.id)))
        technicians = set(await uow.session.scalars(
            select(User.id).where(User.role == "technician")))
    assert {r.recipient_id for r in planned} == technicians
    assert all(r.kind == "scorecard" and r.due_at == at(date(2026, 12, 1), 9) for r in planned)
    assert {scorecards.scored_month(r.key) for r in planned} == {date(2026, 11, 1)}


async def test_a_complaint_about_a_technicians_order_counts_against_them_that_month(desk, clock):
    await company(desk)
    order = await assigned(desk)  # Li's
    await act(desk, complaints.open_complaint, ANN, order.number, "late", "Nobody came at nine")
    this_month = {c.technician_id: c.complaints for c in await _cards(desk, BOSS, "this")}
    last_month = {c.technician_id: c.complaints for c in await _cards(desk, BOSS, "last")}
    async with desk.uow() as uow:
        li, wang = await people.find_user(uow, LI), await people.find_user(uow, WANG)
    assert (this_month[li.id], this_month.get(wang.id, 0)) == (1, 0)
    assert last_month.get(li.id, 0) == 0
