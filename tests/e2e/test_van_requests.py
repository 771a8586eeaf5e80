"""Van replenishment with approval, in chat: a technician (in Chinese) asks for parts for their
van; a manager (in English) approves, changes the quantities or refuses with a reason; the
parts move from the main warehouse to the van, the ledger rows naming the request; a request
is decided once; a technician approves nothing; and the evening tells a technician what
tomorrow's quotes need, with a request prefilled with it."""
from datetime import date

from sqlalchemy import select

from core import jobs, people, stock
from core.models import StockMovement, User, VanRequest
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import act, assign, catalogue_and_stock, drained, until
from tests.e2e.people import registered_customer, technician
from tests.e2e.staff_acts import booked_through_core
from tests.e2e.test_manager_stock import level, parts
from tests.workshop import at

LI, SECOND = 2001, 950
CATALOGUE = (("CMP-01", "Compressor", 45000, 12, 0, 5), ("THERM-02", "Thermostat <T>", 8000, 6,
                                                         0, 1))


async def chinese_technician(bot, telegram):
    await technician(bot.desk, LI, "李 师傅", ["refrigerator"], telegram=telegram)
    async with bot.desk.uow() as uow:
        (await people.find_user(uow, LI)).language = "zh"
        await uow.commit()
    return telegram.user(LI, "李")


async def boss_named(bot):
    async with bot.desk.uow() as uow:
        (await people.ensure_user(uow, MANAGER_ID)).name = "Boss"
        await uow.commit()


async def second_manager(bot, telegram):
    boss2 = telegram.user(SECOND, "Mei", started=True)
    async with bot.desk.uow() as uow:
        user = await people.ensure_user(uow, SECOND)
        people.make_staff(uow, user, "manager", "Mei")
        await uow.commit()
    return boss2


async def li_asks(li, *lines):
    """/request, then each (part button, typed quantity), then send."""
    await li.send("/request")
    picker = await li.reply()
    assert "需要补充哪种配件到车上？" in picker.text
    for index, (button, typed) in enumerate(lines):
        if index:
            await li.press("➕ 添加配件")
            await li.reply()
        await li.press(button)
        await li.reply()
        await li.send(typed)
        summary = await li.reply()
    await li.press("📨 提交给经理")
    return summary, await li.reply()


async def test_a_request_approved_as_asked_moves_the_parts_once(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    await boss_named(bot)
    li = await chinese_technician(bot, telegram)
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    await second_manager(bot, telegram)
    mei = telegram.user(SECOND, "Mei")

    await li.send("/request")
    await li.reply()
    await li.press("✖ 取消")
    assert "已停止，未提交任何申请" in (await li.reply()).text
    await li.send("/van")
    van = await li.reply()
    assert "您的车载库存：共 0 种配件" in van.text and "您车上没有配件" in van.text
    await li.press("📨 申请配件", message=van)
    picker = await li.reply()
    assert "主仓库：2 种配件" in picker.text
    assert picker.buttons[0] == ["CMP-01 · Compressor · 5"]
    await li.press("CMP-01 · Compressor · 5")
    ask = await li.reply()
    assert "主仓库现有 5 件，您车上 0 件" in ask.text
    for bad in ("-1", "很多", "0"):
        await li.send(bad)
        assert "1 到 999" in (await li.reply()).text
    await li.send("２")  # full-width digits from a Chinese keyboard
    summary = await li.reply()
    assert "• CMP-01 Compressor × 2" in summary.text
    await li.press("📨 提交给经理")
    sent = await li.reply()
    assert "调拨申请 #" in sent.text and "已提交给经理" in sent.text

    notice = await until(boss, "Van request #")
    assert "from 李 师傅" in notice.text
    assert "CMP-01 Compressor × 2 (main warehouse 5, van 0)" in notice.text
    assert notice.buttons == [["✅ Approve", "✏️ Change quantities"], ["✖ Refuse"]]
    other = await until(mei, "Van request #")

    # A technician approves nothing: a forged press of the manager's button.
    await li.press_data(notice.callback_data["✅ Approve"])
    assert "只有经理可以这样做" in (await li.reply()).text
    assert await level(bot, "main", "CMP-01") == 5

    await boss.press("✅ Approve", message=notice)
    approved = await until(boss, "Approved by Boss")
    assert "CMP-01 Compressor × 2 → 2 sent" in approved.text
    told = await until(li, "已由 Boss 批准")
    assert "• CMP-01 Compressor × 2" in told.text and told.buttons == [["🚐 我的车载库存"]]
    assert (await level(bot, "main", "CMP-01"), await level(bot, LI, "CMP-01")) == (3, 2)

    # The second manager's press, too late, says who decided.
    await mei.press("✅ Approve", message=other)
    assert "was already approved by Boss" in (await mei.reply()).text
    await mei.press("✖ Refuse", message=other)
    assert "was already approved by Boss" in (await mei.reply()).text
    assert (await level(bot, "main", "CMP-01"), await level(bot, LI, "CMP-01")) == (3, 2)
    async with bot.desk.uow() as uow:
        request = await uow.session.scalar(select(VanRequest))
        rows = (await uow.session.scalars(select(StockMovement).where(
            StockMovement.van_request_id == request.id).order_by(StockMovement.id))).all()
        boss_id = await uow.session.scalar(select(User.id).where(User.telegram_id == MANAGER_ID))
        li_id = await uow.session.scalar(select(User.id).where(User.telegram_id == LI))
    assert [(m.kind, m.quantity, m.actor_id) for m in rows] == [
        ("transfer_out", -2, boss_id), ("transfer_in", 2, boss_id)]
    assert (request.technician_id, request.decided_by_id, request.status) == (
        li_id, boss_id, "approved")

    # The van's history names the request each row belongs to.
    await boss.send("/stock")
    await boss.press("Van · 李 师傅", message=await until(boss, "Stock"))
    await boss.press("📜 History", message=await until(boss, "Van · 李 师傅"))
    history = await until(boss, "history")
    assert f"moved in CMP-01 +2 → 2 (from Main warehouse) · van request #{request.id} · Boss" \
        in history.text

    await li.press("🚐 我的车载库存", message=told)
    assert "• CMP-01 Compressor：2 件" in (await li.reply()).text


async def test_changed_quantities_a_short_main_warehouse_and_a_refusal(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    await boss_named(bot)
    li = await chinese_technician(bot, telegram)
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    summary, _ = await li_asks(li, ("CMP-01 · Compressor · 5", "2"),
                               ("THERM-02 · Thermostat <T> · 1", "3"))
    assert "THERM-02 Thermostat <T> × 3（主仓库只有 1 件）" in summary.text
    notice = await until(boss, "Van request #")
    await boss.press("✏️ Change quantities", message=notice)
    first = await boss.reply()
    assert "part 1 of 2" in first.text and "CMP-01 Compressor: 2 asked for" in first.text
    await boss.send("-1")
    assert "Please type a number from 0 to 999" in (await boss.reply()).text
    await boss.send("1")
    second = await boss.reply()
    assert "THERM-02 Thermostat <T>: 3 asked for; the main warehouse holds 1" in second.text
    await boss.press("Keep 3")
    confirm = await boss.reply()
    assert "CMP-01 Compressor: 1 (2 asked for)" in confirm.text
    await boss.press("✅ Approve", message=confirm)
    short = await boss.reply()
    assert "does not hold enough" in short.text
    assert "THERM-02 Thermostat <T>: 3 wanted, 1 in stock" in short.text
    assert "CMP-01" not in short.text.split("\n", 1)[1]
    again = await boss.reply()  # back to the first line
    assert "part 1 of 2" in again.text
    await boss.send("1")
    await boss.reply()
    await boss.send("3")
    confirm = await boss.reply()
    await boss.press("◀ Back", message=confirm)  # back to the last line, to change it
    assert "part 2 of 2" in (await boss.reply()).text
    await boss.send("０")  # leave the thermostats out
    confirm = await boss.reply()
    await boss.press("✅ Approve", message=confirm)
    done = await boss.reply()
    assert "Approved by Boss" in done.text and "CMP-01 Compressor × 2 → 1 sent" in done.text
    told = await until(li, "已由 Boss 批准")
    assert "• CMP-01 Compressor × 1（申请 2 件）" in told.text
    assert "未调拨：THERM-02 Thermostat <T>。" in told.text
    assert (await level(bot, LI, "CMP-01"), await level(bot, LI, "THERM-02")) == (1, 0)

    # Another request, refused with a reason (shown to the technician as typed).
    await li_asks(li, ("THERM-02 · Thermostat <T> · 1", "1"))
    notice = await until(boss, "Van request #")
    await boss.press("✖ Refuse", message=notice)
    assert "Type the reason" in (await boss.reply()).text
    await boss.send("x")
    assert "Please give the reason in a few words" in (await boss.reply()).text
    await boss.send("<b>Take it from Wang's van</b>")
    refused = await boss.reply()
    assert "Refused by Boss" in refused.text
    told = await until(li, "已被 Boss 驳回")
    assert "理由：<b>Take it from Wang's van</b>" in told.text
    await boss.press("✅ Approve", message=notice)
    assert "was already refused by Boss" in (await boss.reply()).text
    assert await level(bot, LI, "THERM-02") == 0

    # Both are on record, from /stock.
    await boss.send("/stock")
    overview = await until(boss, "Stock")
    assert ["📨 Van requests (0 waiting)", "📋 Count sheets"] in overview.buttons
    await boss.press("📨 Van requests (0 waiting)", message=overview)
    listing = await boss.reply()
    assert "Van requests — 2 on record" in listing.text
    assert listing.buttons[:2] == [["#2 · 李 师傅 · refused"], ["#1 · 李 师傅 · approved"]]
    await boss.press("#2 · 李 师傅 · refused", message=listing)
    card = await boss.reply()
    assert "Refused by Boss" in card.text and card.buttons == [["◀ Van requests"]]


async def test_the_evening_says_what_tomorrow_needs_and_requests_it(telegram, bot, clock):
    li = await chinese_technician(bot, telegram)
    await catalogue_and_stock(bot)  # no compressor in the van; one thermostat in the main
    await boss_named(bot)
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    async with bot.desk.uow() as uow:
        boss_user = await people.ensure_user(uow, MANAGER_ID)
        await stock.receive(uow, boss_user, "CMP-01", 4)
        await uow.commit()
    await registered_customer(telegram, 1001, "Ann")
    wed = date(2026, 11, 25)
    number = await booked_through_core(bot, 1001, day=wed.isoformat(), window="09-12")
    await assign(bot, number, LI)
    await act(bot, LI, number, jobs.accept)
    clock.at = at(wed, 9, 10)
    await act(bot, LI, number, jobs.start_trip)
    await act(bot, LI, number, jobs.arrive)
    await act(bot, LI, number, jobs.diagnose, "Compressor dead")
    from core import quotes
    await act(bot, LI, number, quotes.add_part, "CMP-01", 2)
    await act(bot, LI, number, quotes.send_quote)
    await drained(bot, li)
    clock.at = at(date(2026, 11, 24), 18, 0)  # the evening before the booked day

    await bot.reminders.plan_evenings()  # what the 18:00 cron job runs
    await bot.reminders.plan_evenings()  # twice (two instances): still one notice
    notice = await until(li, "您车上不够")
    assert "• CMP-01 Compressor：报价 2 件，车上 0 件，缺 2 件" in notice.text
    assert notice.buttons == [["📨 申请这些配件"]]
    await li.press("📨 申请这些配件", message=notice)
    prefilled = await li.reply()
    assert "• CMP-01 Compressor × 2" in prefilled.text
    await li.press("◀ 上一步", message=prefilled)  # to the parts, to add one, by appliance
    picker = await li.reply()
    assert picker.buttons[-2] == ["冰箱"]  # Li repairs refrigerators
    await li.press("冰箱", message=picker)
    fridge = await li.reply()
    assert "冰箱用过的配件：1 种" in fridge.text  # the quote's compressor
    assert fridge.buttons[0] == ["CMP-01 · Compressor · 4"]
    await li.press("显示全部配件", message=fridge)
    await li.press("THERM-02 · Thermostat · 1", message=await li.reply())
    await li.reply()
    await li.send("1")
    both = await li.reply()
    assert "• CMP-01 Compressor × 2" in both.text and "• THERM-02 Thermostat × 1" in both.text
    await li.press("📨 提交给经理")
    assert "已提交给经理" in (await li.reply()).text
    request = await until(boss, "Van request #")
    assert "CMP-01 Compressor × 2 (main warehouse 4, van 0)" in request.text
    assert not [m for m in await drained(bot, li) if "您车上不够" in (m.text or "")]
