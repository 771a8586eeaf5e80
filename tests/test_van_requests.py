"""Van replenishment with approval: a technician asks, a manager approves (the parts move from
the main warehouse to that van, the ledger rows naming the request), changes the quantities or
refuses; a request is decided once; and the evening's look at tomorrow's quotes."""
import asyncio

import pytest
from sqlalchemy import select

from core import jobs, people, quotes, stock, stock_levels, van_requests
from core.errors import InvalidInput, NotAllowed, NotFound
from core.models import Reminder, StockMovement, TriageHistory, User
from core.van_requests import AlreadyDecided, MainShort
from tests.workshop import (
    BOSS,
    LI,
    TODAY,
    TOMORROW,
    WANG,
    act,
    at,
    company,
    make_user,
    on_site,
)


async def stocked(desk, compressors=3, thermostats=1):
    await company(desk)
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        if compressors:
            await stock.receive(uow, boss, "CMP-01", compressors)
        if thermostats:
            await stock.receive(uow, boss, "THERM-02", thermostats)
        await uow.commit()


async def level(desk, where, sku):
    async with desk.uow() as uow:
        if where != "main":
            where = (await stock.van(uow, await people.find_user(uow, where))).id
        return await stock_levels.level(uow, where, sku)


async def notices(desk, kind):
    async with desk.uow() as uow:
        rows = await uow.session.execute(
            select(Reminder.key, User.telegram_id).join(User, User.id == Reminder.recipient_id)
            .where(Reminder.kind == kind).order_by(Reminder.id))
        return [(telegram_id, key) for key, telegram_id in rows]


async def test_a_request_approved_moves_the_parts_and_the_rows_name_it(desk):
    await stocked(desk)
    request = await act(desk, van_requests.create, LI, [("CMP-01", 2), ("THERM-02", 1),
                                                        ("cmp-01", 1)])
    assert await notices(desk, "van_request") == [(BOSS, f"van_request:{request.id}:van_request:1")]
    async with desk.uow() as uow:
        seen = await van_requests.view(uow, await people.find_user(uow, LI), request.id)
    assert seen.status == "pending" and seen.technician == "Li Wei"
    assert [(line.sku, line.quantity, line.in_main, line.in_van) for line in seen.lines] == [
        ("CMP-01", 3, 3, 0), ("THERM-02", 1, 1, 0)]

    await act(desk, van_requests.approve, BOSS, request.id)
    assert (await level(desk, "main", "CMP-01"), await level(desk, LI, "CMP-01"),
            await level(desk, "main", "THERM-02"), await level(desk, LI, "THERM-02")) == (
        0, 3, 0, 1)
    async with desk.uow() as uow:
        rows = (await uow.session.scalars(
            select(StockMovement).where(StockMovement.van_request_id == request.id)
            .order_by(StockMovement.id))).all()
        boss = await people.find_user(uow, BOSS)
        seen = await van_requests.view(uow, boss, request.id)
    assert [(m.kind, m.quantity, m.actor_id) for m in rows] == [
        ("transfer_out", -3, boss.id), ("transfer_in", 3, boss.id),
        ("transfer_out", -1, boss.id), ("transfer_in", 1, boss.id)]
    assert seen.status == "approved" and seen.decided_by == "Boss Zhang"
    assert await notices(desk, "van_request_decided") == [
        (LI, f"van_request:{request.id}:van_request_decided:2")]

    # Decided once: a second approval or a refusal says who decided.
    with pytest.raises(AlreadyDecided) as twice:
        await act(desk, van_requests.approve, BOSS, request.id)
    assert twice.value.details == {"status": "approved", "by": "Boss Zhang",
                                   "number": request.id}
    with pytest.raises(AlreadyDecided):
        await act(desk, van_requests.refuse, BOSS, request.id, "Too late")


async def test_changed_quantities_and_a_main_warehouse_short_of_parts(desk):
    await stocked(desk, compressors=1, thermostats=0)
    request = await act(desk, van_requests.create, LI, [("CMP-01", 2), ("THERM-02", 2)])
    # Both short: said together, nothing moves, the request still waits.
    with pytest.raises(MainShort) as short:
        await act(desk, van_requests.approve, BOSS, request.id)
    assert short.value.details["lines"] == [("CMP-01", "Compressor", 2, 1),
                                            ("THERM-02", "Thermostat", 2, 0)]
    assert await level(desk, "main", "CMP-01") == 1
    async with desk.uow() as uow:
        part_ids = {line.sku: line.part_id for line in (await van_requests.view(
            uow, await people.find_user(uow, BOSS), request.id)).lines}
    with pytest.raises(InvalidInput):  # a negative quantity
        await act(desk, van_requests.approve, BOSS, request.id, {part_ids["CMP-01"]: -1})
    with pytest.raises(InvalidInput):  # nothing left to approve
        await act(desk, van_requests.approve, BOSS, request.id,
                  {part_ids["CMP-01"]: 0, part_ids["THERM-02"]: 0})
    await act(desk, van_requests.approve, BOSS, request.id,
              {part_ids["CMP-01"]: 1, part_ids["THERM-02"]: 0})
    assert (await level(desk, "main", "CMP-01"), await level(desk, LI, "CMP-01")) == (0, 1)
    async with desk.uow() as uow:
        seen = await van_requests.view(uow, await people.find_user(uow, LI), request.id)
    assert [(line.sku, line.quantity, line.approved) for line in seen.lines] == [
        ("CMP-01", 2, 1), ("THERM-02", 2, 0)]


async def test_who_may_ask_decide_and_see(desk):
    await stocked(desk)
    async with desk.uow() as uow:
        await make_user(uow, 950, "manager", name="Second Boss")
        await uow.commit()
    with pytest.raises(NotAllowed):  # managers do not ask for a van
        await act(desk, van_requests.create, BOSS, [("CMP-01", 1)])
    for bad in ([], [("CMP-01", 0)], [("CMP-01", -2)], [("CMP-01", "lots")]):
        with pytest.raises(InvalidInput):
            await act(desk, van_requests.create, LI, bad)
    with pytest.raises(NotFound):
        await act(desk, van_requests.create, LI, [("NO-SUCH", 1)])
    request = await act(desk, van_requests.create, LI, [("CMP-01", 1)])
    assert {who for who, _ in await notices(desk, "van_request")} == {BOSS, 950}
    # A technician approves nothing: neither their own request nor anyone's.
    for technician in (LI, WANG):
        with pytest.raises(NotAllowed):
            await act(desk, van_requests.approve, technician, request.id)
        with pytest.raises(NotAllowed):
            await act(desk, van_requests.refuse, technician, request.id, "no")
    with pytest.raises(NotFound):  # nor sees another's
        async with desk.uow() as uow:
            await van_requests.view(uow, await people.find_user(uow, WANG), request.id)
    with pytest.raises(InvalidInput):  # a reason is needed
        await act(desk, van_requests.refuse, BOSS, request.id, " ")
    await act(desk, van_requests.refuse, 950, request.id, "Use the spare <in> Xuhui")
    with pytest.raises(AlreadyDecided) as twice:
        await act(desk, van_requests.approve, BOSS, request.id)
    assert twice.value.details["by"] == "Second Boss"
    assert twice.value.details["status"] == "refused"
    assert await level(desk, LI, "CMP-01") == 0
    async with desk.uow() as uow:
        seen = await van_requests.view(uow, await people.find_user(uow, LI), request.id)
    assert (seen.status, seen.reason) == ("refused", "Use the spare <in> Xuhui")


async def test_the_evening_tells_a_technician_what_tomorrows_quotes_need(desk, clock):
    await stocked(desk, compressors=5)
    order = await on_site(desk, clock, LI)  # booked for tomorrow
    await act(desk, jobs.diagnose, LI, order.number, "Compressor dead")
    await act(desk, quotes.add_part, LI, order.number, "CMP-01", 2)
    await act(desk, quotes.add_part, LI, order.number, "THERM-02", 1)
    await act(desk, quotes.send_quote, LI, order.number)
    async with desk.uow() as uow:  # one compressor already in the van
        boss = await people.find_user(uow, BOSS)
        li = await people.find_user(uow, LI)
        await stock.transfer(uow, boss, "CMP-01", 1, "main", await stock.van(uow, li))
        await uow.commit()
    clock.at = at(TODAY, 18, 0)
    async with desk.uow() as uow:
        li = await people.find_user(uow, LI)
        short = await van_requests.shortfall(uow, li, TOMORROW)
        assert await van_requests.shortfall(uow, await people.find_user(uow, WANG),
                                            TOMORROW) == []
        assert await van_requests.plan_evening(uow, clock.at) == 1
        assert await van_requests.plan_evening(uow, clock.at) == 0  # once a day
        await uow.commit()
    assert [(s.sku, s.needed, s.in_van, s.short) for s in short] == [
        ("CMP-01", 2, 1, 1), ("THERM-02", 1, 0, 1)]

    # Picking by appliance: the parts its quotes, finished and imported past jobs used.
    async with desk.uow() as uow:
        uow.session.add(TriageHistory(category="washing_machine", description="Noisy spin",
                                      parts=[["FAN-03", 1], ["NO-SUCH", 2]],
                                      imported_at=clock.at))
        await uow.commit()
        fridge = await van_requests.parts_for_appliance(uow, "refrigerator")
        washer = await van_requests.parts_for_appliance(uow, "washing_machine")
        tv = await van_requests.parts_for_appliance(uow, "tv")
    assert [p.sku for p in fridge.items] == ["CMP-01", "THERM-02"]
    assert [p.sku for p in washer.items] == ["FAN-03"] and tv.total == 0
    assert await notices(desk, "van_short") == [
        (LI, f"daily:van_short:{li.id}:{TOMORROW.isoformat()}")]


async def test_two_managers_deciding_at_once_exactly_one_does(desk):
    await stocked(desk, compressors=4)
    async with desk.uow() as uow:
        await make_user(uow, 950, "manager", name="Second Boss")
        await uow.commit()
    request = await act(desk, van_requests.create, LI, [("CMP-01", 2)])
    barrier = asyncio.Barrier(2)

    async def decide(telegram_id, service, *args):
        async with desk.uow() as uow:
            manager = await people.find_user(uow, telegram_id)
            await barrier.wait()
            try:
                await service(uow, manager, request.id, *args)
            except AlreadyDecided as decided:
                return decided
            await uow.commit()
            return "decided"

    results = await asyncio.gather(decide(BOSS, van_requests.approve),
                                   decide(950, van_requests.refuse, "Not now"))
    assert sorted(map(str, results)).count("decided") == 1
    assert sum(isinstance(r, AlreadyDecided) for r in results) == 1
    moved = await level(desk, LI, "CMP-01")
    async with desk.uow() as uow:
        seen = await van_requests.view(uow, await people.find_user(uow, BOSS), request.id)
    assert (seen.status, moved) in (("approved", 2), ("refused", 0))
