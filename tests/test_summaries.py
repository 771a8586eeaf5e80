"""The summary's daily figures: random work done through the real services over a fortnight
(bookings, assignments, visits on time and late, quotes approved and declined, parts missing,
reschedules, completions, payments, cancellations, ratings), then /summary from the kept
figures must equal /summary from the orders directly, for today, this week and this month,
at several moments; and a rebuild must make exactly the figures that were kept."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import literal, select

from core import (
    booking,
    dispatch,
    job_completion,
    jobs,
    people,
    periods,
    quotes,
    ratings,
    reports,
    stock,
    summaries,
)
from core.errors import DomainError
from core.models import (
    ServiceOrder,
    SummaryDay,
    SummaryMark,
    SummaryState,
    User,
    UTCDateTime,
)
from tests.workshop import (
    ANN,
    BOB,
    BOSS,
    LI,
    TODAY,
    WANG,
    act,
    at,
    company,
    make_user,
    repair,
)

WINDOWS = ("09-12", "13-17", "17-20")
SHANGHAI = ZoneInfo("Asia/Shanghai")
CUSTOMERS = (ANN, BOB, 3, 4, 5, 6, 7, 8)  # each may have five open orders


async def _assign(uow, manager, number, technician):
    return await dispatch.assign(uow, manager, number,
                                 await people.find_user(uow, technician))


async def _reassign(uow, manager, number, technician):
    return await dispatch.reassign(uow, manager, number,
                                   await people.find_user(uow, technician))


async def _summaries(desk):
    """{period: (from the kept figures, from the orders)} now."""
    found = {}
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        for name in periods.PERIODS:
            found[name] = (await reports.summary(uow, boss, name),
                           await reports.summary_from_orders(uow, boss, name))
    return found


async def _kept(desk):
    async with desk.uow() as uow:
        figures = {(d.day, d.technician_id, d.metric): d.value
                   for d in await uow.session.scalars(select(SummaryDay)) if d.value}
        marks = {tuple(getattr(m, c) for c in summaries.MARK_COLUMNS)
                 for m in await uow.session.scalars(select(SummaryMark))}
        return figures, marks


async def _rebuild(desk):
    async with desk.uow() as uow:
        return await summaries.rebuild(uow)


async def _try(desk, service, who, *args, **kwargs):
    try:
        await act(desk, service, who, *args, **kwargs)
        return True
    except DomainError:
        return False


def _local_day(clock):
    return clock.now().astimezone(SHANGHAI).date()


async def _random_step(desk, clock, rng: random.Random, numbers: list[str]):
    """One thing someone does to a random order (or a new booking), as a chat would."""
    if not numbers or rng.random() < 0.25:
        day = _local_day(clock) + timedelta(days=rng.choice((0, 1, 1, 2, 3)))
        customer = rng.choice(CUSTOMERS)
        try:
            async with desk.uow() as uow:
                person = await people.find_user(uow, customer)
                order = await booking.book_repair(
                    uow, person, **repair(day=day, window=rng.choice(WINDOWS),
                                          model=f"M-{len(numbers)}"))
                await uow.commit()
                numbers.append(order.number)
        except DomainError:
            pass
        return
    number = rng.choice(numbers)
    # A technician goes to the visits whose window is near, whichever else happens.
    async with desk.uow() as uow:
        now = clock.now()
        due = list(await uow.session.scalars(
            select(ServiceOrder.number).where(
                ServiceOrder.status == "scheduled",
                ServiceOrder.window_start <= now + timedelta(hours=2),
                ServiceOrder.window_end >= now).order_by(ServiceOrder.id)))
    if due and rng.random() < 0.5:
        number = rng.choice(due)
    async with desk.uow() as uow:
        order = await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == number))
        status, tech, customer_id = order.status, order.technician_id, order.customer_id
        window = (order.window_start, order.window_end)
        customer = (await uow.session.get(User, customer_id)).telegram_id
        tech_tg = (await uow.session.get(User, tech)).telegram_id if tech else None
    if status == "new":
        if rng.random() < 0.85:
            await _try(desk, _assign, BOSS, number, rng.choice((LI, WANG)))
        else:
            async with desk.uow() as uow:
                person = await people.find_user(uow, customer)
                try:
                    await booking.cancel(uow, person, await uow.session.get(ServiceOrder,
                                                                            order.id),
                                         "changed_mind")
                    await uow.commit()
                except DomainError:
                    pass
    elif status == "scheduled":
        choice = rng.random()
        if choice < 0.1:
            await _try(desk, dispatch.unassign, BOSS, number)
        elif choice < 0.2:
            await _try(desk, _reassign, BOSS, number, WANG if tech_tg == LI else LI)
        else:
            await _try(desk, jobs.accept, tech_tg, number)
            # Mostly as the booked window nears, now and then at another time (early or late).
            soon = window[0] and window[0] - timedelta(hours=2) <= clock.now() <= window[1]
            if soon:
                await _try(desk, jobs.start_trip, tech_tg, number)
                clock.at = clock.now() + timedelta(minutes=rng.choice((10, 30, 50)))
                await _try(desk, jobs.arrive, tech_tg, number)
            elif rng.random() < 0.15:
                await _try(desk, jobs.start_trip, tech_tg, number)
    elif status == "en_route":
        await _try(desk, jobs.arrive, tech_tg, number)
    elif status == "on_site":
        if rng.random() < 0.3:
            await _try(desk, jobs.parts_missing, tech_tg, number, [("THERM-02", 1)])
        else:
            await _try(desk, jobs.diagnose, tech_tg, number, "Relay burnt, does not start")
            await _try(desk, quotes.add_labour, tech_tg, number, "LAB-H", rng.randint(1, 3))
            if rng.random() < 0.5:
                await _try(desk, quotes.add_part, tech_tg, number, "THERM-02", 1)
            await _try(desk, quotes.send_quote, tech_tg, number)
    elif status == "awaiting_approval":
        if rng.random() < 0.6:
            await _try(desk, quotes.approve_quote, customer, number)
        else:
            await _try(desk, quotes.decline_quote, customer, number)
    elif status == "in_progress":
        if rng.random() < 0.15:
            await _try(desk, jobs.parts_missing, tech_tg, number, note="Drum bearing worn out")
        elif not (rng.random() < 0.5 and await _try(
                desk, job_completion.complete, tech_tg, number, [("THERM-02", 1, f"SN-{number}")])):
            await _try(desk, job_completion.complete, tech_tg, number)
    elif status == "waiting_parts":
        day = _local_day(clock) + timedelta(days=1)
        await _try(desk, dispatch.reschedule_visit, BOSS, number, day, rng.choice(WINDOWS))
    elif status in ("completed", "closed"):
        if rng.random() < 0.5:
            await _try(desk, ratings.rate, customer, number, rng.randint(1, 5))
        elif status == "completed":
            await _try(desk, jobs.settle, tech_tg, number, rng.choice(("cash", "transfer")))


@pytest.mark.parametrize("seed", [7, 3])
async def test_kept_figures_equal_the_direct_queries(desk, clock, seed):
    rng = random.Random(seed)
    clock.at = at(TODAY - timedelta(days=20), 8)
    await company(desk)
    async with desk.uow() as uow:
        for telegram_id in CUSTOMERS[2:]:
            await make_user(uow, telegram_id)
        await uow.commit()
    await act(desk, stock.receive, BOSS, "THERM-02", 500)
    # A new database: nothing kept until the first build (the bot runs it at start).
    async with desk.uow() as uow:
        assert await summaries.figures(uow, TODAY, TODAY) is None
    assert (await _rebuild(desk)).orders == 0
    numbers: list[str] = []
    checked = 0
    for step in range(400):
        clock.at = clock.now() + timedelta(minutes=rng.choice((5, 20, 45, 90, 180)))
        await _random_step(desk, clock, rng, numbers)
        if step % 100 == 99:
            for name, (kept, direct) in (await _summaries(desk)).items():
                assert kept == direct, (name, step)
                checked += kept.new + kept.completed + kept.arrivals
    assert checked > 0 and len(numbers) > 20
    # Late at night, a day later: other days, other periods.
    clock.at = clock.now() + timedelta(days=1, hours=3)
    final = await _summaries(desk)
    for name, (kept, direct) in final.items():
        assert kept == direct, name
    month = final["month"][0]
    assert month.completed and month.quotes_approved and month.quotes_declined
    assert month.arrivals and month.on_time and month.ratings and month.revenue_parts
    assert month.cancelled and month.first_visit_fixed < month.completed
    # Rebuilding from the orders makes exactly what was kept along the way.
    before = await _kept(desk)
    rebuilt = await _rebuild(desk)
    assert rebuilt.orders == len(numbers)
    assert await _kept(desk) == before


async def test_whole_seconds_are_floored_alike_in_python_and_on_both_databases(desk):
    """Durations (booking to completion) count whole seconds: 10:00:00.9996 is 10:00:00, as
    PostgreSQL floors it (SQLite alone would round it to 10:00:01 first)."""
    moment = datetime(2026, 11, 24, 2, 0, 0, 999600, tzinfo=timezone.utc)
    async with desk.uow() as uow:
        stored = await uow.session.scalar(
            select(periods.epoch_seconds(literal(moment, UTCDateTime()))))
    assert stored == summaries._seconds(moment) == int(moment.replace(microsecond=0).timestamp())


async def test_figures_are_kept_only_in_the_zone_they_were_built_in(desk, clock):
    await company(desk, parts=False)
    await _rebuild(desk)
    async with desk.uow() as uow:
        state = await uow.session.get(SummaryState, 1)
        state.zone = "Europe/Berlin"  # as if TIMEZONE had changed since
        await uow.session.commit()
    # Not kept meanwhile; the summary still answers, from the orders.
    async with desk.uow() as uow:
        customer = await people.find_user(uow, ANN)
        await booking.book_repair(uow, customer, **repair())
        await uow.commit()
    assert (await _kept(desk))[1] == set()
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        assert (await reports.summary(uow, boss, "today")).new == 1
    # The bot's start rebuilds them in the company's zone, once.
    assert (await summaries.ensure(desk)).orders == 1
    assert await summaries.ensure(desk) is None
    for kept, direct in (await _summaries(desk)).values():
        assert kept == direct
