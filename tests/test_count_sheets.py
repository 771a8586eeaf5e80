"""The monthly count as a count sheet: system vs counted per part, who counted and who
confirmed; the differences reach the ledger (rows naming the sheet) only when confirmed, by
another manager where there are two; a CSV for Excel; the last working day's reminder."""
import asyncio
import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from core import count_sheets, people, stock, stock_levels
from core.count_sheets import AlreadyConfirmed
from core.errors import InvalidInput, NotAllowed
from core.models import Reminder, StockMovement, User
from core.stock import NotEnoughStock
from tests.workshop import BOSS, LI, act, at, company, make_user

SECOND = 950


async def stocked(desk, *, second_manager=False):
    await company(desk)
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        await stock.receive(uow, boss, "CMP-01", 5)
        await stock.receive(uow, boss, "FAN-03", 3)
        if second_manager:
            await make_user(uow, SECOND, "manager", name="Second Boss")
        await uow.commit()


async def level(desk, sku):
    async with desk.uow() as uow:
        return await stock_levels.level(uow, "main", sku)


async def adjustments(desk):
    async with desk.uow() as uow:
        rows = (await uow.session.scalars(
            select(StockMovement).where(StockMovement.kind == "count_adjustment")
            .order_by(StockMovement.id))).all()
        return [(m.quantity, m.balance, m.count_sheet_id) for m in rows]


async def test_one_manager_confirms_their_own_count_as_it_is_recorded(desk):
    await stocked(desk)
    sheet = await act(desk, count_sheets.record, BOSS, "main",
                      {"CMP-01": 4, "FAN-03": 3, "THERM-02": 2})
    assert sheet.status == "confirmed"
    assert await adjustments(desk) == [(-1, 4, sheet.id), (2, 2, sheet.id)]
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        seen = await count_sheets.view(uow, boss, sheet.id)
        data, filename = count_sheets.export_csv(uow, seen, "Main <warehouse>", str.upper)
    assert (seen.counted_by, seen.confirmed_by) == ("Boss Zhang", "Boss Zhang")
    assert [(x.sku, x.system, x.counted, x.difference) for x in seen.lines] == [
        ("CMP-01", 5, 4, -1), ("FAN-03", 3, 3, 0), ("THERM-02", 0, 2, 2)]
    assert data.startswith("\ufeff".encode()) and filename == f"count_{sheet.id}_2026-11-24.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["WAREHOUSE", "Main <warehouse>"]
    assert rows[1] == ["COUNTED_BY", "Boss Zhang", "2026-11-24 10:00"]
    assert rows[4] == ["SKU", "NAME", "SYSTEM", "COUNTED", "DIFFERENCE"]
    assert rows[5:] == [["CMP-01", "Compressor", "5", "4", "-1"],
                        ["FAN-03", "Fan motor", "3", "3", "0"],
                        ["THERM-02", "Thermostat", "0", "2", "+2"]]


async def test_with_two_managers_another_one_confirms_the_differences(desk):
    await stocked(desk, second_manager=True)
    sheet = await act(desk, count_sheets.record, BOSS, "main", {"CMP-01": 3})
    assert sheet.status == "awaiting" and await adjustments(desk) == []
    assert await level(desk, "CMP-01") == 5
    async with desk.uow() as uow:
        told = (await uow.session.execute(
            select(User.telegram_id).join(Reminder, Reminder.recipient_id == User.id)
            .where(Reminder.kind == "count_sheet"))).scalars().all()
    assert told == [SECOND]
    # The one who counted may not confirm; a technician neither.
    with pytest.raises(NotAllowed) as own:
        await act(desk, count_sheets.confirm, BOSS, sheet.id)
    assert own.value.details == {"reason": "own_count"}
    with pytest.raises(NotAllowed):
        await act(desk, count_sheets.confirm, LI, sheet.id)
    # A unit used meanwhile stays recorded: the count's difference is applied.
    async with desk.uow() as uow:
        await stock.scrap(uow, await people.find_user(uow, BOSS), "CMP-01", 1, "main", "Dented")
        await uow.commit()
    await act(desk, count_sheets.confirm, SECOND, sheet.id)
    assert await level(desk, "CMP-01") == 2
    assert await adjustments(desk) == [(-2, 2, sheet.id)]
    with pytest.raises(AlreadyConfirmed) as twice:
        await act(desk, count_sheets.confirm, SECOND, sheet.id)
    assert twice.value.details["by"] == "Second Boss"
    # No differences: nothing to confirm, it is closed as recorded.
    same = await act(desk, count_sheets.record, BOSS, "main", {"FAN-03": 3})
    assert same.status == "confirmed"


async def test_refusals_change_nothing(desk):
    await stocked(desk, second_manager=True)
    for counted in ({}, {"CMP-01": -1}, {"CMP-01": "many"}):
        with pytest.raises(InvalidInput):
            await act(desk, count_sheets.record, BOSS, "main", counted)
    with pytest.raises(NotAllowed):
        await act(desk, count_sheets.record, LI, "main", {"CMP-01": 1})
    sheet = await act(desk, count_sheets.record, BOSS, "main", {"FAN-03": 0})
    async with desk.uow() as uow:  # all three fans gone meanwhile: -3 cannot be applied
        await stock.scrap(uow, await people.find_user(uow, BOSS), "FAN-03", 3, "main", "Wet")
        await uow.commit()
    with pytest.raises(NotEnoughStock):
        await act(desk, count_sheets.confirm, SECOND, sheet.id)
    assert await level(desk, "FAN-03") == 0 and await adjustments(desk) == []


async def test_the_reminder_to_count_comes_on_the_last_working_day(desk, clock):
    assert count_sheets.last_working_day(date(2026, 11, 3)) == date(2026, 11, 30)  # Monday
    assert count_sheets.last_working_day(date(2026, 1, 9)) == date(2026, 1, 30)  # a Friday
    assert count_sheets.last_working_day(date(2026, 2, 1)) == date(2026, 2, 27)
    await stocked(desk, second_manager=True)
    async with desk.uow() as uow:  # 24 November: not yet
        assert await count_sheets.plan_count_reminder(uow, clock.at) == 0
    clock.at = at(date(2026, 11, 30), 9, 0)
    async with desk.uow() as uow:
        assert await count_sheets.plan_count_reminder(uow, clock.at) == 2
        assert await count_sheets.plan_count_reminder(uow, clock.at) == 0
        await uow.commit()


async def test_two_managers_confirming_at_once_adjust_once(desk):
    await stocked(desk, second_manager=True)
    async with desk.uow() as uow:
        await make_user(uow, 951, "manager", name="Third Boss")
        await uow.commit()
    sheet = await act(desk, count_sheets.record, BOSS, "main", {"CMP-01": 3})
    barrier = asyncio.Barrier(2)

    async def confirm(telegram_id):
        async with desk.uow() as uow:
            manager = await people.find_user(uow, telegram_id)
            await barrier.wait()
            try:
                await count_sheets.confirm(uow, manager, sheet.id)
            except AlreadyConfirmed as twice:
                return twice
            await uow.commit()
            return "confirmed"

    results = await asyncio.gather(confirm(SECOND), confirm(951))
    assert results.count("confirmed") == 1
    assert await level(desk, "CMP-01") == 3 and len(await adjustments(desk)) == 1
