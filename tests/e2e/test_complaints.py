"""Complaints in chat: a customer complains from an order's card or /complain; the managers
are told at once, one takes it, records the resolution; the customer answers. Nobody else's
complaint is theirs; a technician cannot take or resolve one."""
from core import people
from core.models import Complaint
from tests.e2e.booking_steps import book_repair
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.people import registered_customer, technician

QIAN = 901
LI = 2001


async def managers(bot, telegram, language="en"):
    """The manager of MANAGER_IDS and a second one, both named, both in the chat."""
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    qian = telegram.user(QIAN, "Qian", started=True, language_code=language)
    async with bot.desk.uow() as uow:
        for telegram_id, name in ((MANAGER_ID, "Zhang Min"), (QIAN, "Qian Hong")):
            user = await people.ensure_user(uow, telegram_id)
            people.make_staff(uow, user, "manager", name)
            if telegram_id == QIAN:
                user.telegram_language = language  # as Telegram said when he joined
        await uow.commit()
    return boss, qian


async def complaint_row(bot):
    async with bot.desk.uow() as uow:
        return await uow.session.get(Complaint, 1)


async def test_a_complaint_from_the_card_to_a_satisfied_customer(telegram, bot):
    boss, qian = await managers(bot, telegram)
    await technician(bot.desk, LI, "Li Lei", ["tv"], telegram=telegram)
    li = telegram.user(LI, "Li")
    ann = await registered_customer(telegram, 1001, "Ann")
    bob = await registered_customer(telegram, 1002, "Bob", phone="+8613900139000")
    number = await book_repair(ann)

    await ann.send(f"/orders {number}")
    card = await ann.reply()
    await ann.press("📣 Make a complaint", message=card)
    asked = await ann.reply()
    assert f"Complaint about order <b>{number}</b>" in asked.html or number in asked.text
    assert ["💥 Something was damaged"] in asked.buttons and asked.buttons[-1] == ["✖ Cancel"]
    await ann.press("💥 Something was damaged")
    assert "tell us in your own words" in (await ann.reply()).text
    await ann.send("no")  # too short
    assert "too short" in (await ann.reply()).text
    await ann.send("Scratched the <b>floor</b> & left")
    photos = await ann.reply()
    assert "up to 5 photos" in photos.text and photos.buttons[0] == ["📨 Send the complaint"]
    await ann.send_photo()
    received = await ann.reply()
    assert "Photo 1 of at most 5 received" in received.text
    await ann.press("📨 Send the complaint", message=received)
    opened = await ann.reply()
    assert f"Your complaint C-1001 about order {number} has been sent" in opened.text

    for manager in (boss, qian):
        notice = await manager.reply(timeout=10)
        assert f"New complaint C-1001 about order {number}" in notice.text
        assert "Something was damaged" in notice.text
        assert "Scratched the <b>floor</b> & left" in notice.text
        assert notice.buttons == [["🙋 I handle this"], ["📣 See the complaint"]]
    await boss.press("🙋 I handle this")
    assert await boss.toast() == "C-1001 is yours now."
    taken = await boss.reply()
    assert "Status: Being handled" in taken.text and "☎️ +86 138 0013 8000" in taken.text
    assert "Handled by: Zhang Min" in taken.text and "Customer: Ann" in taken.text
    assert taken.buttons[0] == ["🛠 Record the resolution"]
    await qian.press("🙋 I handle this")
    assert "Zhang Min already handles complaint C-1001" in (await qian.reply()).text
    assert (await complaint_row(bot)).manager_id is not None

    # Refusals: another customer sees nothing; a technician can neither take nor resolve.
    await bob.press_data("cm:v:1")
    assert "not available to you" in (await bob.reply()).text
    await bob.press_data("cm:s:y:1")
    assert "not available to you" in (await bob.reply()).text
    await bob.press_data("cm:o:1")  # a complaint on Ann's order
    assert "not available to you" in (await bob.reply()).text
    await bob.send("/complaints")
    assert "Your complaints</b>: 0" in (await bob.reply()).html
    li_seen = await li.reply(timeout=10) if li.messages else None
    assert li_seen is None or "complaint" not in li_seen.text.lower()
    await li.send("/start")
    await li.reply()
    await li.press_data("cm:t:1")
    assert "Only managers" in (await li.reply()).text
    await li.press_data("cm:r:1")
    assert "Only managers" in (await li.reply()).text
    await qian.press_data("cm:r:1")  # a manager, but not the one who has it
    assert "Zhang Min already handles complaint C-1001" in (await qian.reply()).text
    row = await complaint_row(bot)
    assert (row.status, row.resolution) == ("in_hand", None)

    await boss.press("🛠 Record the resolution", message=taken)
    kinds = await boss.reply()
    assert "Complaint <b>C-1001</b>: how was it resolved?" in kinds.html
    await boss.press("Refund")
    assert "type the amount in yuan" in (await boss.reply()).text
    await boss.send("a lot")
    assert "Please type the amount in yuan" in (await boss.reply()).text
    await boss.send("150.5")
    saved = await boss.reply()
    assert "Complaint C-1001: Refund ¥150.50" in saved.text and "asked whether" in saved.text

    told = await ann.reply(timeout=10)
    assert "About your complaint C-1001" in told.text and "we refund ¥150.50" in told.text
    assert told.buttons == [["😊 Yes, satisfied", "😞 No, not satisfied"]]
    await ann.press("😞 No, not satisfied", message=told)
    assert "open again" in (await ann.reply()).text
    reopened = await boss.reply(timeout=10)
    assert "not satisfied" in reopened.text and "C-1001" in reopened.text
    await boss.press("🛠 Record the resolution", message=reopened)
    await boss.reply()
    await boss.press("Free revisit")
    days = await boss.reply()
    await boss.press(days.buttons[1][0])
    windows = await boss.reply()
    await boss.press("13:00–17:00", message=windows)
    saved = await boss.reply()
    assert "Free revisit" in saved.text and "revisit W-1002 booked" in saved.text

    told = await ann.reply(timeout=10)
    assert "we will come back free of charge: order W-1002" in told.text
    await ann.press("😊 Yes, satisfied", message=told)
    assert "Complaint C-1001 is closed" in (await ann.reply()).text
    await ann.press_data("cm:s:n:1", message=told)  # the old answer buttons: too late
    assert "while it is “Closed”" in (await ann.reply()).text
    await ann.send("/complaints")
    listing = await ann.reply()
    assert listing.buttons[0][0].startswith(f"C-1001 · {number} · Closed")
    await ann.press(listing.buttons[0][0])
    card = await ann.reply()
    assert "Complaint made" in card.text and "Customer not satisfied: reopened" in card.text
    assert "☎️" not in card.text and "Handled by" not in card.text
    row = await complaint_row(bot)
    assert (row.status, row.resolution) == ("closed", "revisit")
    await ann.send(f"/orders {number}")  # the order's card leads to its complaint
    card = await ann.reply()
    assert ["📣 C-1001: Closed"] in card.buttons and ["📣 Make a complaint"] in card.buttons



async def test_a_chinese_customer_complains_with_complain_and_the_managers_see_the_figures(
        telegram, bot, clock):
    boss, qian = await managers(bot, telegram, language="zh")
    await technician(bot.desk, LI, "Li Lei", ["tv"])
    ann = await registered_customer(telegram, 1001, "安", language_code="zh")
    async with bot.desk.uow() as uow:  # an order booked through core: the chat is tested above
        from core import booking
        customer = await people.find_user(uow, 1001)
        order = await booking.book_repair(
            uow, customer, category="tv", brand="TCL", model=None, serial=None,
            description="电视屏幕一直闪烁", photos=[], address="浦东新区 世纪大道1号",
            phone="13800138000", day="2026-11-25", window="09-12")
        await uow.commit()
        number = order.number

    await ann.send("/complain")
    pick = await ann.reply()
    assert "请选择要投诉的订单" in pick.text and pick.buttons[0][0].startswith(number)
    await ann.press(pick.buttons[0][0])
    reason = await ann.reply()
    await ann.press("⏰ 迟到或爽约", message=reason)
    await ann.reply()
    await ann.press("◀ 上一步")  # Back to the reason
    again = await ann.reply()
    assert "请选择投诉原因" in again.text
    await ann.press("⏰ 迟到或爽约", message=again)
    await ann.reply()
    await ann.send("师傅迟到了两个小时")
    await ann.press("📨 发送投诉", message=await ann.reply())
    assert f"您对订单 {number} 的投诉 <b>C-1001</b> 已提交" in (await ann.reply()).html
    await ann.send("/complain")  # the same order again while the first is open
    await ann.press((await ann.reply()).buttons[0][0])
    assert "此订单已有投诉：C-1001" in (await ann.reply()).text
    await ann.send(f"/orders {number}")  # while it is open, the card shows it, not another
    card = await ann.reply()
    assert ["📣 C-1001：待经理处理"] in card.buttons
    assert ["📣 投诉"] not in card.buttons

    assert "New complaint C-1001" in (await boss.reply(timeout=10)).text
    notice = await qian.reply(timeout=10)  # in Chinese, his language
    assert "新投诉 C-1001" in notice.text and "师傅迟到了两个小时" in notice.text
    assert notice.buttons == [["🙋 我来处理"], ["📣 查看投诉"]]
    # Not taken for 4 working hours (10:00 -> 14:00): the managers are reminded (after the
    # order's own reminder, at 12:00, that it has no technician).
    clock.advance(hours=4)
    for manager, words in ((boss, "waited 4 working hours"), (qian, "已等待 4 个工作小时")):
        unassigned, reminded = await manager.replies(2, timeout=10)
        assert words in reminded.text
        assert reminded.buttons[0][0] in ("🙋 I handle this", "🙋 我来处理")
    await qian.press("🙋 我来处理", message=reminded)
    taken = await qian.reply()
    assert "负责经理：Qian Hong" in taken.text and "☎️ +86 138 0013 8000" in taken.text

    await boss.send("/summary")
    await boss.press("Today", message=await boss.reply())
    summary = await boss.reply()
    assert "Complaints: <b>1</b>" in summary.html
    assert (await boss.reply(timeout=10)).kind == "photo"  # the chart
    await boss.send("/export")
    choose = await boss.reply()
    assert choose.buttons[1][0] == "📣 Complaints: Today"
    await boss.press("📣 Complaints: Today", message=choose)
    exported = await boss.reply(timeout=10)
    assert "1 complaint." in (exported.caption or exported.text)
    await boss.send("/complaints")
    listing = await boss.reply()
    assert "Complaints not closed</b>: 1" in listing.html
    assert listing.buttons[0][0] == f"C-1001 · {number} · Being handled · ⏰ Late or missed visit · Qian Hong"
