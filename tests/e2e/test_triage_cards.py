"""Before the visit, in chat: the technician's job card and the manager's dispatch card show
the likely faults and the parts to bring, learned from the company's past jobs; the technician
asks for what their van lacks with one press: a van request prefilled with it, which a manager
approves.

The tests' clock stands at Tue 24 Nov 2026, 10:00 in Shanghai; bookings are for Wed 25 Nov."""
from sqlalchemy import func, select

from core import booking, catalogue, people, stock
from core.models import User, VanRequest
from core.triage_import import import_history
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import LI, WANG, assign, drained, order_row, until
from tests.e2e.people import technician

NOT_FOUND_ZH = "这项内容已不存在，或您无权查看。可以发送 /help 查看能做什么。"
# 46 washing-machine jobs the company finished before the bot, in its own words.
HISTORY = "job,category,brand,model,description,diagnosis,parts_used,first_visit_fixed\n" + "".join(
    [f"P{n},washing_machine,Haier,EG100,{words},{found},WM-PUMP*1,no\n"
     for n, (words, found) in enumerate(
         [("洗衣机不排水，有嗡嗡声", "排水泵损坏，更换"),
          ("won't drain; humming noise", "drain pump failed; replaced")] * 10)]
    + [f"L{n},washing_machine,,,{words},门锁开关坏了,WM-LOCK*1,yes\n"
       for n, words in enumerate(["门打不开，不启动", "door won't lock; won't start"] * 6)]
    + [f"B{n},washing_machine,,,{words},电机碳刷磨损,WM-BRUSH*2,no\n"
       for n, words in enumerate(["不脱水，滚筒不转，有焦味", "drum won't spin; burning smell"] * 4)]
    + [f"C{n},washing_machine,,,不排水，有异味,过滤器堵塞，已清理,,yes\n" for n in range(6)])


async def company_with_history(bot, telegram):
    """Technicians Li (English) and Wang (Chinese) repair washing machines and TVs; the
    catalogue; a door lock on Li's van and a drain pump on Wang's; the past jobs."""
    await technician(bot.desk, LI, "Li Lei", ["washing_machine", "tv"], telegram=telegram)
    telegram.user(WANG, "Wang", language_code="zh", started=True)
    await technician(bot.desk, WANG, "Wang Fang", ["washing_machine", "tv"])
    async with bot.desk.uow() as uow:
        (await people.find_user(uow, WANG)).language = "zh"
        boss = await people.ensure_user(uow, MANAGER_ID)
        boss.name = "Boss"
        for sku, name in (("WM-PUMP", "排水泵"), ("WM-LOCK", "门锁开关"),
                          ("WM-BRUSH", "电机碳刷")):
            await catalogue.add_part(uow, boss, sku=sku, name=name, price=10000)
            await stock.receive(uow, boss, sku, 3)
        for who, sku in ((LI, "WM-LOCK"), (WANG, "WM-PUMP")):
            tech = await uow.session.scalar(select(User).where(User.telegram_id == who))
            await stock.transfer(uow, boss, sku, 1, "main", await stock.van(uow, tech))
        assert (await import_history(uow, boss, HISTORY)).ok
        await uow.commit()


async def booked(bot, telegram, customer_id, name, category, description, language="en",
                 window="09-12"):
    telegram.user(customer_id, name, language_code=language, started=True)
    async with bot.desk.uow() as uow:
        customer = await people.ensure_user(uow, customer_id, language)
        await people.register_customer(uow, customer, name, "13800138000")
        order = await booking.book_repair(
            uow, customer, category=category, brand="Haier", model="EG100",
            description=description, address="Pudong, 1 Century Ave", day="2026-11-25",
            window=window)
        await uow.commit()
        return order.number


async def requests_made(bot):
    async with bot.desk.uow() as uow:
        return await uow.session.scalar(select(func.count(VanRequest.id)))


async def toast_of(who) -> str | None:
    answered = await who.last_answer()
    assert await who.settle() == []
    return answered


async def test_the_job_and_dispatch_cards_say_what_to_bring_and_the_van_asks_for_it(
        telegram, bot):
    await company_with_history(bot, telegram)
    number = await booked(bot, telegram, 1001, "Ann", "washing_machine",
                          "Won't drain, and there is a humming noise <loud> & long")

    # The dispatcher sees the likely fault and whose van holds the parts.
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/dispatch")
    listing = await until(boss, "Waiting for a technician")
    await boss.press(next(t for row in listing.buttons for t in row if t.startswith(number)))
    card = await until(boss, f"Order {number}")
    assert "Problem: Won't drain, and there is a humming noise <loud> & long" in card.text
    assert "🔎 Likely: drain pump failed (0." in card.text
    assert "🧰 Bring: 排水泵 ×1" in card.text and "van has" not in card.text
    assert "From 46 finished jobs" in card.text
    assert "🧰 van holds the parts to bring" in card.text
    assert "Wang Fang 🧰: free, 0 jobs that day" in card.text
    assert "Li Lei: free, 0 jobs that day" in card.text
    assert any("Wang Fang" in t and "🧰" in t for row in card.buttons for t in row)

    # Li gets the job: his van has no drain pump.
    await assign(bot, number, LI)
    li = telegram.user(LI, "Li")
    await until(li, f"New job {number}")
    await li.send("/jobs")
    listing = await until(li, "Your jobs")
    await li.press(next(t for row in listing.buttons for t in row if t.startswith(number)))
    job = await until(li, f"Job {number}")
    assert "🔎 Likely: drain pump failed (0." in job.text
    assert "🧰 Bring: 排水泵 ×1 ⚠ van has 0" in job.text
    assert ["📨 Ask for the missing parts"] in job.buttons

    # One press: a van request prefilled with what the van lacks, to check and send.
    await li.press("📨 Ask for the missing parts", message=job)
    asked = await until(li, "Parts for your van")
    assert "• WM-PUMP 排水泵 × 1" in asked.text
    assert ["✖ Remove WM-PUMP"] in asked.buttons
    await li.press("📨 Send to the managers", message=asked)
    await until(li, "sent to the managers")
    notice = await until(boss, "Van request #")
    assert "from Li Lei" in notice.text and "WM-PUMP 排水泵 × 1" in notice.text
    assert notice.buttons[0] == ["✅ Approve", "✏️ Change quantities"]
    await boss.press("✅ Approve", message=notice)
    await until(boss, "Approved by Boss")
    assert "WM-PUMP 排水泵 × 1" in (await until(li, "was approved by Boss")).text

    # Pressed again once the van holds the load: nothing to ask, nothing started.
    await li.press("📨 Ask for the missing parts", message=job)
    assert await toast_of(li) == "Your van already holds the parts to bring."
    assert await requests_made(bot) == 1

    # Someone else's job: like a missing one, and nothing is asked.
    wang = telegram.user(WANG, "Wang")
    row = await order_row(bot, number)
    await wang.send("/jobs")
    await wang.reply()
    await wang.press_data(f"tr:ask:{row.id}")
    assert (await wang.reply()).text == NOT_FOUND_ZH
    assert await requests_made(bot) == 1


async def test_a_chinese_technician_sees_it_in_chinese_and_too_little_history_says_so(
        telegram, bot):
    await company_with_history(bot, telegram)
    door = await booked(bot, telegram, 1002, "张伟", "washing_machine", "洗衣机门打不开，不启动",
                        language="zh")
    tv = await booked(bot, telegram, 1003, "李娜", "tv", "电视黑屏但是有声音", language="zh",
                    window="13-17")
    await assign(bot, door, WANG)
    await assign(bot, tv, WANG)
    wang = telegram.user(WANG, "Wang")
    # Both "新工单 …" notices first: they also contain "工单 <number>".
    await drained(bot, wang)
    await wang.send("/jobs")
    listing = await until(wang, "我的工单")
    await wang.press(next(t for row in listing.buttons for t in row if t.startswith(door)))
    card = await until(wang, f"工单 {door}")
    assert "🔎 可能故障：门锁开关坏了（0." in card.text
    assert "🧰 建议带上：门锁开关 ×1（⚠ 车上只有 0）" in card.text
    assert "依据 46 个已完成工单" in card.text
    assert ["📨 申请缺少的配件"] in card.buttons

    await wang.press("📋 我的全部工单", message=card)
    listing = await until(wang, "我的工单")
    await wang.press(next(t for row in listing.buttons for t in row if t.startswith(tv)))
    card = await until(wang, f"工单 {tv}")
    assert "暂无备件建议：此类家电的历史工单还太少（已完成 0 个，需要 30 个）" in card.text
    assert not any("申请" in t for row in card.buttons for t in row)
