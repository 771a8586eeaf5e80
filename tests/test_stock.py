"""Stock: warehouses, every movement a ledger row, levels that agree with the ledger and never
go below zero, even when technicians take the last unit at the same moment."""
import asyncio
import random

import pytest
from sqlalchemy import func, select

from core import orders, people, stock, stock_levels
from core.errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from core.models import StockLevel, StockMovement, Warehouse
from core.stock import NotEnoughStock
from tests.workshop import ANN, BOSS, LI, WANG, act, book, company, make_user


async def warehouses(desk):
    """(main id, Li's van id, Wang's van id)."""
    async with desk.uow() as uow:
        main = await stock.main_warehouse(uow)
        li = await stock.van(uow, await people.find_user(uow, LI))
        wang = await stock.van(uow, await people.find_user(uow, WANG))
        await uow.commit()
        return main.id, li.id, wang.id


async def level(desk, warehouse_id, sku):
    async with desk.uow() as uow:
        return await stock_levels.level(uow, warehouse_id, sku)


async def job_in_progress(desk, technician, customer=ANN, **overrides):
    """A repair order assigned to `technician` and in progress (set directly: the lifecycle
    up to here is the jobs tests' business)."""
    order = await book(desk, customer, **overrides)
    async with desk.uow() as uow:
        tech = await people.find_user(uow, technician)
        stored = await orders.find_order_for(uow, await people.find_user(uow, BOSS), order.id)
        stored.technician_id, stored.status = tech.id, "in_progress"
        await uow.commit()
    return order


async def test_warehouses_are_made_on_demand_once(desk):
    await company(desk)
    first = await warehouses(desk)
    again = await warehouses(desk)
    assert first == again
    async with desk.uow() as uow:
        keys = (await uow.session.scalars(select(Warehouse.key).order_by(Warehouse.id))).all()
        choices = await stock.warehouse_choices(uow)
        with pytest.raises(NotFound):
            await stock.van(uow, await people.find_user(uow, ANN))
    assert keys == ["main", "van:2", "van:3"]
    assert [(c.key, c.technician_name) for c in choices] == [
        ("main", None), ("van:2", "Li Wei"), ("van:3", "Wang Fang")]


async def test_receive_transfer_scrap_each_leave_ledger_rows_with_who_and_balance(desk):
    await company(desk)
    main, li_van, _ = await warehouses(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 5, "Supplier: Haier parts, invoice 778")
    await act(desk, stock.transfer, BOSS, "cmp-01", 2, "main", li_van)
    await act(desk, stock.scrap, BOSS, "CMP-01", 1, main, "Dented in transport")
    assert (await level(desk, main, "CMP-01"), await level(desk, li_van, "CMP-01")) == (2, 2)
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        rows = (await uow.session.scalars(
            select(StockMovement).order_by(StockMovement.id))).all()
        page = await stock_levels.ledger(uow, warehouse=main)
    assert [(r.kind, r.warehouse_id, r.quantity, r.balance, r.other_warehouse_id, r.note)
            for r in rows] == [
        ("receive", main, 5, 5, None, "Supplier: Haier parts, invoice 778"),
        ("transfer_out", main, -2, 3, li_van, None),
        ("transfer_in", li_van, 2, 2, main, None),
        ("scrap", main, -1, 2, None, "Dented in transport"),
    ]
    assert {r.actor_id for r in rows} == {boss.id}
    assert [line.kind for line in page.items] == ["scrap", "transfer_out", "receive"]
    assert page.items[0].actor_name == "Boss Zhang" and page.items[0].sku == "CMP-01"


async def test_a_level_never_goes_negative_and_the_refusal_says_how_many_there_are(desk):
    await company(desk)
    main, li_van, _ = await warehouses(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 2)
    with pytest.raises(NotEnoughStock) as refused:
        await act(desk, stock.transfer, BOSS, "CMP-01", 3, main, li_van)
    assert refused.value.code == "not_enough_stock"
    assert refused.value.details == {"sku": "CMP-01", "requested": 3, "available": 2,
                                     "warehouse": "main"}
    with pytest.raises(NotEnoughStock) as refused:
        await act(desk, stock.scrap, BOSS, "THERM-02", 1, li_van, "broken")
    assert refused.value.details["available"] == 0
    with pytest.raises(InvalidInput) as refused:
        await act(desk, stock.transfer, BOSS, "CMP-01", 1, main, main)
    assert refused.value.details == {"field": "destination", "reason": "same_warehouse"}
    for quantity in (0, -1, 1.5, True, 100_001):
        with pytest.raises(InvalidInput) as refused:
            await act(desk, stock.receive, BOSS, "CMP-01", quantity)
        assert refused.value.details["field"] == "quantity"
    with pytest.raises(InvalidInput) as refused:
        await act(desk, stock.scrap, BOSS, "CMP-01", 1, main, " ")
    assert refused.value.details == {"field": "reason", "reason": "empty"}
    with pytest.raises(NotAllowed):
        await act(desk, stock.receive, LI, "CMP-01", 1)
    assert await level(desk, main, "CMP-01") == 2
    async with desk.uow() as uow:
        assert await uow.session.scalar(select(func.count(StockMovement.id))) == 1


async def test_a_count_records_the_differences_as_adjustments(desk):
    await company(desk)
    main, li_van, _ = await warehouses(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 5)
    await act(desk, stock.receive, BOSS, "THERM-02", 3)
    counted = {"CMP-01": 4, "THERM-02": 3, "FAN-03": 2}
    preview = await act(desk, stock.count_preview, BOSS, main, counted)
    assert [(c.sku, c.expected, c.counted, c.difference) for c in preview] == [
        ("CMP-01", 5, 4, -1), ("FAN-03", 0, 2, 2), ("THERM-02", 3, 3, 0)]
    async with desk.uow() as uow:
        assert await uow.session.scalar(select(func.count(StockMovement.id))) == 2  # nothing yet
    lines = await act(desk, stock.count, BOSS, main, counted, "November count")
    assert lines == preview
    async with desk.uow() as uow:
        rows = (await uow.session.scalars(
            select(StockMovement).where(StockMovement.kind == "count_adjustment")
            .order_by(StockMovement.id))).all()
    assert [(r.quantity, r.balance, r.note) for r in rows] == [
        (-1, 4, "November count"), (2, 2, "November count")]
    assert (await level(desk, main, "CMP-01"), await level(desk, main, "FAN-03")) == (4, 2)
    with pytest.raises(InvalidInput) as refused:
        await act(desk, stock.count, BOSS, main, {"CMP-01": -1})
    assert refused.value.details["field"] == "counted"
    with pytest.raises(InvalidInput):
        await act(desk, stock.count, BOSS, main, {})
    with pytest.raises(NotFound):
        await act(desk, stock.count, BOSS, main, {"NO-SUCH": 1})


async def test_what_a_manager_types_for_a_move_or_a_count(desk):
    await company(desk)  # minimums: CMP-01 2, THERM-02 0, FAN-03 1
    main, li_van, _ = await warehouses(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 3)
    async with desk.uow() as uow:
        await stock_levels.require_available(uow, main, "CMP-01", 3)
        with pytest.raises(NotEnoughStock) as short:
            await stock_levels.require_available(uow, li_van, "CMP-01", 1)
        assert short.value.details == {"sku": "CMP-01", "requested": 1, "available": 0,
                                       "warehouse": (await stock.warehouse_info(uow, li_van)).key}
        assert await stock_levels.parts_to_count(uow, main) == [
            line.part_id for line in (await stock_levels.levels(uow, main)).items]
        assert await stock_levels.parts_to_count(uow, li_van) == []
    assert [stock_levels.parse_counted(t) for t in ("0", "０", "１２", " 7 ")] == [0, 0, 12, 7]
    for typed in ("-1", "1 2", "lots", str(stock.QUANTITY_MAX + 1)):
        with pytest.raises(InvalidInput) as refused:
            stock_levels.parse_counted(typed)
        assert refused.value.details["field"] == "counted"
        assert refused.value.details["minimum"] == 0
    # A count's adjustments tell which parts it leaves under their minimum, and whether it
    # was the count that took them there.
    lines = await act(desk, stock.count, BOSS, main, {"CMP-01": 1, "FAN-03": 0, "THERM-02": 4})
    async with desk.uow() as uow:
        low = await stock_levels.count_under_minimum(uow, main, lines)
        in_van = await stock_levels.count_under_minimum(uow, li_van, lines)
    assert [(u.sku, u.quantity, u.crossed) for u in low] == [("CMP-01", 1, True)]
    assert in_van == []


async def test_levels_mark_parts_under_their_minimum_in_the_main_warehouse(desk):
    await company(desk)  # minimums: CMP-01 2, THERM-02 0, FAN-03 1
    main, li_van, _ = await warehouses(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 3)
    await act(desk, stock.transfer, BOSS, "CMP-01", 2, main, li_van)
    async with desk.uow() as uow:
        main_levels = await stock_levels.levels(uow, main)
        van_levels = await stock_levels.levels(uow, li_van)
        low = await stock_levels.low_stock(uow)
        only_low = await stock_levels.levels(uow, main, under_minimum_only=True)
    assert [(l.sku, l.quantity, l.under_minimum) for l in main_levels.items] == [
        ("CMP-01", 1, True), ("FAN-03", 0, True), ("THERM-02", 0, False)]
    assert [(l.sku, l.quantity, l.under_minimum) for l in van_levels.items] == [
        ("CMP-01", 2, False)]
    assert [l.sku for l in low] == ["CMP-01", "FAN-03"] == [l.sku for l in only_low.items]


async def test_issuing_to_an_order_takes_from_the_van_first_then_the_main_warehouse(desk):
    await company(desk)
    main, li_van, _ = await warehouses(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 3)
    await act(desk, stock.transfer, BOSS, "CMP-01", 1, main, li_van)
    order = await job_in_progress(desk, LI)
    rows = await act(desk, issue, LI, "CMP-01", 2, order)
    assert [(r.kind, r.warehouse_id, r.quantity, r.order_id) for r in rows] == [
        ("issue", li_van, -1, order.id), ("issue", main, -1, order.id)]
    assert (await level(desk, li_van, "CMP-01"), await level(desk, main, "CMP-01")) == (0, 1)
    with pytest.raises(NotEnoughStock) as refused:
        await act(desk, issue, LI, "CMP-01", 2, order)
    assert refused.value.details == {"sku": "CMP-01", "requested": 2, "available": 1,
                                     "van": 0, "main": 1}
    with pytest.raises(NotFound):  # not Wang's job
        await act(desk, issue, WANG, "CMP-01", 1, order)


async def test_no_issue_to_an_order_that_is_not_being_worked_on(desk):
    await company(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 3)
    order = await job_in_progress(desk, LI)
    async with desk.uow() as uow:
        stored = await orders.find_order_for(uow, await people.find_user(uow, BOSS), order.id)
        stored.status = "scheduled"
        await uow.commit()
    with pytest.raises(TransitionRefused) as refused:
        await act(desk, issue, LI, "CMP-01", 1, order)
    assert refused.value.details == {"action": "issue", "status": "scheduled",
                                     "reason": "status", "order": order.number}


async def ledger_agrees_with_levels(desk):
    async with desk.uow() as uow:
        sums = dict(((w, p), q) for w, p, q in await uow.session.execute(
            select(StockMovement.warehouse_id, StockMovement.part_id,
                   func.sum(StockMovement.quantity))
            .group_by(StockMovement.warehouse_id, StockMovement.part_id)))
        levels = dict(((w, p), q) for w, p, q in await uow.session.execute(
            select(StockLevel.warehouse_id, StockLevel.part_id, StockLevel.quantity)))
        rows = (await uow.session.scalars(select(StockMovement).order_by(StockMovement.id))).all()
    assert {k: v for k, v in levels.items() if v} == {k: v for k, v in sums.items() if v}
    assert min(levels.values(), default=0) >= 0
    running: dict = {}
    for row in rows:  # each row's balance is the running sum of its warehouse and part
        key = (row.warehouse_id, row.part_id)
        running[key] = running.get(key, 0) + row.quantity
        assert row.balance == running[key] >= 0


async def test_after_random_moves_the_ledger_and_the_levels_agree(desk):
    await company(desk)
    main, li_van, wang_van = await warehouses(desk)
    order = await job_in_progress(desk, LI)
    places, skus = [main, li_van, wang_van], ["CMP-01", "THERM-02", "FAN-03"]
    chance = random.Random(20261124)
    refused = done = 0
    for _ in range(120):
        move = chance.choice(["receive", "transfer", "scrap", "count", "issue"])
        sku, n = chance.choice(skus), chance.randint(1, 4)
        source, target = chance.sample(places, 2)
        try:
            if move == "receive":
                await act(desk, stock.receive, BOSS, sku, n + 2, None, source)
            elif move == "transfer":
                await act(desk, stock.transfer, BOSS, sku, n, source, target)
            elif move == "scrap":
                await act(desk, stock.scrap, BOSS, sku, n, source, "worn out")
            elif move == "count":
                await act(desk, stock.count, BOSS, source, {sku: chance.randint(0, 6)})
            else:
                await act(desk, issue, LI, sku, n, order)
            done += 1
        except NotEnoughStock:
            refused += 1
    assert done > 60 and refused > 5  # the sequence really tried both
    await ledger_agrees_with_levels(desk)


# --- the last unit, taken at the same moment ----------------------------------------------------

async def race(desk, attempts):
    """Runs the calls at once, each in its own unit of work (its own connection); returns
    what each got: its result or the refusal."""
    barrier = asyncio.Barrier(len(attempts))

    async def attempt(service, telegram_id, *args):
        async with desk.uow() as uow:
            person = await people.find_user(uow, telegram_id)
            await barrier.wait()
            try:
                result = await service(uow, person, *args)
            except NotEnoughStock as refusal:
                return refusal
            await uow.commit()
            return result

    return await asyncio.gather(*(attempt(*a) for a in attempts))


@pytest.mark.parametrize("technicians", [2, 6])
async def test_technicians_taking_the_last_unit_at_once_exactly_one_gets_it(desk, technicians):
    await company(desk)
    async with desk.uow() as uow:
        for n in range(3, technicians + 1):
            await make_user(uow, 10 + n, "technician", ["refrigerator"], name=f"Tech {n}")
            await make_user(uow, 100 + n)
        await uow.commit()
    ids = [10 + n for n in range(1, technicians + 1)]
    jobs = [await job_in_progress(desk, t, ANN if n < 3 else 100 + n, brand=f"Brand {t}")
            for n, t in enumerate(ids, start=1)]
    main, _, _ = await warehouses(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 1)
    results = await race(desk, [(_issue, t, job.id) for t, job in zip(ids, jobs)])
    won = [r for r in results if not isinstance(r, NotEnoughStock)]
    lost = [r for r in results if isinstance(r, NotEnoughStock)]
    assert len(won) == 1 and len(lost) == technicians - 1
    assert all(r.details["available"] == 0 for r in lost)
    assert await level(desk, main, "CMP-01") == 0
    async with desk.uow() as uow:
        issues = (await uow.session.scalars(
            select(StockMovement).where(StockMovement.kind == "issue"))).all()
    assert len(issues) == 1 and issues[0].balance == 0
    await ledger_agrees_with_levels(desk)


async def issue(uow, technician, sku, quantity, order):
    """issue_to_order with the technician first, as `act` calls services."""
    return await stock.issue_to_order(uow, sku, quantity, order, technician)


async def _issue(uow, technician, order_id):
    order = await orders.find_order_for(uow, technician, order_id)
    return await stock.issue_to_order(uow, "CMP-01", 1, order, technician)


async def test_a_scrap_and_a_transfer_of_the_last_unit_at_once(desk):
    await company(desk)
    main, li_van, _ = await warehouses(desk)
    await act(desk, stock.receive, BOSS, "FAN-03", 1)
    results = await race(desk, [(stock.scrap, BOSS, "FAN-03", 1, main, "broken"),
                                (stock.transfer, BOSS, "FAN-03", 1, main, li_van)])
    assert sum(isinstance(r, NotEnoughStock) for r in results) == 1
    assert await level(desk, main, "FAN-03") == 0
    await ledger_agrees_with_levels(desk)
