"""Urgent and important orders in chat: a customer whose words say it is urgent is offered the
earliest free visit first; dispatch lists urgent and important orders first with a mark; a
manager marks an order; an urgent order unassigned for 30 minutes reminds the managers."""
from tests.e2e.booking_steps import book_repair, give_address
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.people import registered_customer, technician


async def test_an_urgent_repair_is_offered_the_earliest_visit_and_dispatched_first(
        telegram, bot, clock):
    await technician(bot.desk, 2001, "Li Lei", ["tv"])
    await technician(bot.desk, 2002, "Wang Fang", ["tv"])
    boss = telegram.user(MANAGER_ID, "Boss", language_code="zh")
    await boss.send("/start")  # a manager from MANAGER_IDS, in Chinese
    await boss.settle()
    bob = await registered_customer(telegram, 1002, "Bob")
    normal = await book_repair(bob, day="Tue 24 Nov", window="13:00–17:00")

    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/book")
    await ann.reply()
    for press in ("TV", "TCL", "Skip", "Skip"):
        await ann.press(press)
        await ann.reply()
    await ann.send("Water is leaking from the ceiling onto the TV")
    await ann.reply()
    await ann.press("Done with photos")
    await ann.reply()
    await give_address(ann, "1 Main St")
    await ann.send("13800138000")
    days = (await ann.replies(2))[-1]
    assert "Urgent: the earliest free visit comes first" in days.text
    assert days.buttons[0] == ["⚡ Earliest free: Tue 24 Nov 13:00–17:00"]
    await ann.press("⚡ Earliest free: Tue 24 Nov 13:00–17:00")
    summary = await ann.reply()
    assert "When: Tue 24 Nov, 13:00–17:00" in summary.text
    assert "⚡ Urgent: a technician is sent as soon as possible" in summary.text
    assert ["It can wait: not urgent"] in summary.buttons
    await ann.press("It can wait: not urgent")  # changes her mind, and back
    assert ["⚡ It is urgent (no heating, no water, a leak)"] in (await ann.reply()).buttons
    await ann.press("⚡ It is urgent (no heating, no water, a leak)")
    await ann.reply()
    await ann.press("✅ Confirm")
    urgent = (await ann.reply()).text.split("order number is ")[1].split(".")[0]

    await boss.send("/dispatch")
    listing = await boss.reply()
    assert "紧急 ⚡ 和重要 ⭐ 的排在最前" in listing.text
    assert listing.buttons[0][0].startswith(f"⚡ {urgent} · ")
    assert listing.buttons[1][0].startswith(f"{normal} · ")
    await boss.press(listing.buttons[1][0])
    card = await boss.reply()
    await boss.press("⭐ 标为重要", message=card)
    marked = await boss.reply()
    assert boss.toasts[-1] == "⭐ 重要"
    assert "⭐ 重要" in marked.text and ["⭐ 标为重要"] not in marked.buttons
    assert ["⭐ 设为重要客户（其所有订单）"] in marked.buttons
    await boss.press("⭐ 设为重要客户（其所有订单）", message=marked)
    customer_marked = await boss.reply()
    assert "客户：Bob ⭐" in customer_marked.text
    assert ["取消重要客户"] in customer_marked.buttons
    await boss.press("◀ 上一步", message=marked)
    again = await boss.reply()
    assert [row[0][:2] for row in again.buttons[:2]] == ["⚡ ", "⭐ "]

    # Not assigned 30 minutes after booking: the managers hear of the urgent one (only).
    clock.advance(minutes=31)
    told = await boss.reply(timeout=10)
    assert f"⚡ 紧急订单 {urgent}" in told.text and "已 30 分钟未派单" in told.text
    await boss.settle(quiet=0.5)
    assert [m.text for m in boss.messages if m.text and "未派单" in m.text] == [told.text]

    # A customer cannot mark an order.
    await bob.press_data("dp:pr:1:urgent")
    assert "Only managers" in (await bob.reply()).text
