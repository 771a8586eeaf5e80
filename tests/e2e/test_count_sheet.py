"""The monthly count in chat as a count sheet: /count walks a warehouse part by part; with two
managers the differences wait for the other one's confirmation (the counter cannot confirm,
nor a technician), then reach the ledger as rows naming the sheet; with one manager they are
confirmed as recorded; the sheet comes as a CSV for Excel; and on the month's last working day
the managers are reminded to count."""
import csv
import io
from datetime import date

from sqlalchemy import select

from core import people
from core.models import CountSheet, StockMovement, User
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import drained, until
from tests.e2e.people import technician
from tests.e2e.test_manager_stock import CATALOGUE, level, parts
from tests.workshop import at

SECOND, LI = 950, 2001


async def managers(bot, telegram, *, second: bool):
    async with bot.desk.uow() as uow:
        (await people.ensure_user(uow, MANAGER_ID)).name = "Boss"
        if second:
            mei = await people.ensure_user(uow, SECOND, "zh")
            people.make_staff(uow, mei, "manager", "梅经理")
        await uow.commit()
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    return boss, telegram.user(SECOND, "Mei", language_code="zh", started=True)


async def count_main(boss, answers):
    """/count of the main warehouse, typing or pressing each answer, then recording it."""
    await boss.send("/count")
    await boss.reply()
    await boss.press("Main warehouse")
    await boss.reply()
    for answer in answers:
        if answer.startswith("✔"):
            await boss.press(answer)
        else:
            await boss.send(answer)
        await boss.reply()
    await boss.press("✅ Record the count")
    return await boss.reply()


async def test_the_other_manager_confirms_and_the_counter_cannot(telegram, bot):
    await parts(bot.desk, *CATALOGUE)  # books: CMP-01 5, FAN-03 3, THERM-02 0
    boss, mei = await managers(bot, telegram, second=True)
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    li = telegram.user(LI, "Li")
    await boss.send("/count")
    await boss.reply()
    await boss.press("Main warehouse")
    await boss.reply()
    await boss.send("-3")  # a negative count is refused
    assert "Please type a number from 0 to 100000" in (await boss.reply()).text
    await boss.send("4")
    await boss.reply()
    await boss.press("✔ 3, as on the books")
    await boss.reply()
    await boss.send("２")
    summary = await boss.reply()
    assert "another manager confirms its differences before the stock levels change" in \
        summary.text
    await boss.press("✅ Record the count")
    done = await boss.reply()
    assert "Count of Main warehouse recorded: 3 parts counted, 2 differ." in done.text
    assert "wait for another manager's confirmation" in done.text
    assert done.buttons == [["📦 Stock levels", "📄 CSV"]]
    assert (await level(bot, "main", "CMP-01"), await level(bot, "main", "THERM-02")) == (5, 0)

    notice = await until(mei, "盘点表 #")
    assert "主仓库" in notice.text and "盘点人 Boss" in notice.text
    assert "CMP-01 Compressor：系统 5，实盘 4（-1）" in notice.text
    assert "THERM-02 Thermostat：系统 0，实盘 2（+2）" in notice.text
    assert notice.buttons == [["✅ 确认盘点"], ["📄 导出 CSV"]]
    sheet_id = int(notice.callback_data["✅ 确认盘点"].split(":")[2])

    # The one who counted cannot confirm it; a technician neither (forged presses).
    await boss.press_data(f"cs:c:{sheet_id}")
    assert "You counted this yourself: another manager must confirm it." in (
        await boss.reply()).text
    await li.send("/van")
    await li.press_data(f"cs:c:{sheet_id}", message=await li.reply())
    assert "Only managers can do that." in (await li.reply()).text
    assert await level(bot, "main", "CMP-01") == 5

    await mei.press("✅ 确认盘点", message=notice)
    confirmed = await mei.reply()
    assert confirmed.edited and "✅ 已由 梅经理 于" in confirmed.text
    assert confirmed.buttons == [["📄 导出 CSV"]]
    assert (await level(bot, "main", "CMP-01"), await level(bot, "main", "THERM-02")) == (4, 2)
    async with bot.desk.uow() as uow:
        rows = (await uow.session.scalars(select(StockMovement).where(
            StockMovement.kind == "count_adjustment").order_by(StockMovement.id))).all()
        mei_id = await uow.session.scalar(select(User.id).where(User.telegram_id == SECOND))
        sheet = await uow.session.get(CountSheet, sheet_id)
    assert [(m.quantity, m.balance, m.actor_id, m.count_sheet_id) for m in rows] == [
        (-1, 4, mei_id, sheet_id), (2, 2, mei_id, sheet_id)]
    assert (sheet.status, sheet.confirmed_by_id) == ("confirmed", mei_id)

    # Confirming again says who did; nothing moves twice.
    await mei.press_data(f"cs:c:{sheet_id}", message=notice)
    assert f"盘点表 #{sheet_id} 已由 梅经理 确认。" in (await mei.reply()).text
    assert await level(bot, "main", "CMP-01") == 4

    # The sheet is on record, from /stock.
    await boss.send("/stock")
    await boss.press("📋 Count sheets", message=await until(boss, "Stock"))
    listing = await boss.reply()
    assert listing.buttons[0] == [f"#{sheet_id} · Main warehouse · confirmed"]
    assert "Boss · 2 differ · confirmed" in listing.text
    await boss.press(f"#{sheet_id} · Main warehouse · confirmed", message=listing)
    card = await boss.reply()
    assert "✅ Confirmed by 梅经理" in card.text
    assert card.buttons == [["📄 CSV"], ["◀ Count sheets"]]

    await mei.press("📄 导出 CSV", message=confirmed)
    sent = await mei.reply()
    assert sent.kind == "document" and sent.document.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(sent.document.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["仓库", "主仓库"] and rows[1][:2] == ["盘点人", "Boss"]
    assert rows[2][:2] == ["确认人", "梅经理"]
    assert rows[4] == ["编号", "配件", "系统数量", "实盘数量", "差异"]
    assert rows[5:] == [["CMP-01", "Compressor", "5", "4", "-1"],
                        ["FAN-03", "Fan motor", "3", "3", "0"],
                        ["THERM-02", "Thermostat", "0", "2", "+2"]]


async def test_one_manager_confirms_their_own_count_and_gets_the_csv(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss, _ = await managers(bot, telegram, second=False)
    done = await count_main(boss, ["5", "1", "✔ 0, as on the books"])
    assert "Count of Main warehouse recorded: 3 parts counted, 1 adjusted." in done.text
    assert "Count sheet #" in done.text and "confirmed by you" in done.text
    assert await level(bot, "main", "FAN-03") == 1
    await boss.press("📄 CSV", message=done)
    sent = await boss.reply()
    assert sent.kind == "document" and sent.filename.endswith("_2026-11-24.csv")
    rows = list(csv.reader(io.StringIO(sent.document.decode("utf-8-sig"), newline="")))
    assert rows[2][:2] == ["Confirmed by", "Boss"]
    assert ["FAN-03", "Fan motor", "3", "1", "-2"] in rows


async def test_the_last_working_day_reminds_the_managers_to_count(telegram, bot, clock):
    await parts(bot.desk, *CATALOGUE)
    boss, mei = await managers(bot, telegram, second=True)
    clock.at = at(date(2026, 11, 27), 7, 30)  # a Friday, not the month's last working day
    await bot.reminders.plan_mornings()
    await drained(bot, boss)
    assert not [line for line in boss.transcript if "last working day" in line]
    clock.at = at(date(2026, 11, 30), 7, 30)  # Monday 30 November
    await bot.reminders.plan_mornings()
    await bot.reminders.plan_mornings()  # two instances: still once
    clock.at = at(date(2026, 11, 30), 9, 0)
    bot.reminders.wake()
    reminder = await until(boss, "last working day of the month")
    assert reminder.buttons == [["📋 Count"]]
    assert "今天是本月最后一个工作日" in (await until(mei, "月度盘点")).text
    await boss.press("📋 Count", message=reminder)
    assert "Main warehouse" in (await boss.reply()).button_texts
    await drained(bot, boss)
    assert len([line for line in boss.transcript if "last working day" in line]) == 1
