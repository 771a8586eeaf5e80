"""Customers follow, reschedule and cancel their orders; nobody else's orders are theirs."""
from sqlalchemy import select

from core import orders, people
from core.models import OrderEvent, ServiceOrder, User
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.booking_steps import book_repair, book_repair_until_summary, give_address
from tests.e2e.people import registered_customer, technician


async def move(bot, number, *actions, technician_id=None):
    """Staff acts on an order through core (their chat flows are tested in their own files)."""
    async with bot.desk.uow() as uow:
        order = await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == number))
        for action in actions:
            if action == "assign":
                actor = await people.ensure_user(uow, MANAGER_ID)
            else:
                actor = await uow.session.get(User, technician_id or order.technician_id)
            if action == "assign":
                order.technician_id = technician_id
            await orders.apply(uow, order, action, actor)
        await uow.commit()


async def test_orders_are_listed_newest_first_and_paged(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["tv", "washing_machine", "refrigerator",
                                                "microwave", "range_hood", "water_heater"])
    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/orders")
    assert "no orders yet" in (await ann.reply()).text
    async with bot.desk.uow() as uow:  # an older one, cancelled: still listed
        user = await uow.session.scalar(select(User).where(User.telegram_id == 1001))
        old = await orders.create_order(uow, user, "repair", category="water_heater")
        await orders.apply(uow, old, "cancel", user)
        await uow.commit()
    for category, day in (("TV", "Wed 25 Nov"), ("Washing machine", "Thu 26 Nov"),
                          ("Refrigerator", "Fri 27 Nov"), ("Microwave", "Sat 28 Nov"),
                          ("Range hood", "Sun 29 Nov")):
        await book_repair(ann, category=category, day=day)
    await ann.send("/orders")
    page = await ann.reply()
    assert "Your orders (6), page 1 of 2" in page.text
    assert [row[0][:6] for row in page.buttons[:5]] == ["R-1006", "R-1005", "R-1004", "R-1003",
                                                        "R-1002"]
    await ann.press("Older ▶")
    older = await ann.reply()
    assert older.edited and older.buttons[0][0].startswith("R-1001")
    assert "Cancelled" in older.buttons[0][0]


async def test_the_card_shows_status_technician_and_timeline(telegram, bot):
    li = await technician(bot.desk, 2001, "Li Lei", ["tv"])
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, model="<b>55G7</b>")
    await move(bot, number, "assign", technician_id=li)
    assert "is confirmed" in (await ann.reply(timeout=10)).text  # the notice, then the card
    await ann.send("/orders")
    await ann.reply()
    await ann.press(f"{number} · TV · Wed 25 Nov · Technician assigned")
    card = await ann.reply()
    assert f"Order {number} · Repair" in card.text
    assert "Status: Technician assigned" in card.text
    assert "TCL <b>55G7</b>" in card.text and "Technician: Li" in card.text
    assert "Booked" in card.text and "Technician assigned" in card.text
    assert card.buttons[:2] == [["🕑 Change the time"], ["✖ Cancel this order"]]


async def test_reschedule_to_a_window_with_room_and_not_after_the_technician_sets_off(
        telegram, bot):
    li = await technician(bot.desk, 2001, "Li Lei", ["tv"])
    ann = await registered_customer(telegram, 1001, "Ann")
    bob = await registered_customer(telegram, 1002, "Bob")
    await book_repair(bob, day="Thu 26 Nov", window="13:00–17:00")  # takes Thursday 13-17
    number = await book_repair(ann)
    await ann.send(f"/orders {number}")
    await ann.reply()
    await ann.press("🕑 Change the time")
    await ann.press("Thu 26 Nov", message=await ann.reply())
    windows = await ann.reply()
    assert [row[0] for row in windows.buttons[:-1]] == ["09:00–12:00", "17:00–20:00"]
    await ann.press("17:00–20:00")
    assert f"Order {number} is now on Thu 26 Nov, 17:00–20:00" in (await ann.reply()).text
    async with bot.desk.uow() as uow:
        order = await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == number))
        event = (await uow.session.scalars(select(OrderEvent).where(
            OrderEvent.order_id == order.id, OrderEvent.action == "reschedule"))).one()
    assert (str(order.booked_date), order.window) == ("2026-11-26", "17-20")
    assert event.note == "2026-11-25 09-12 → 2026-11-26 17-20"

    await move(bot, number, "assign", "start_trip", technician_id=li)
    await ann.settle(quiet=1)  # the notices (confirmed, on the way) before the card
    await ann.send(f"/orders {number}")
    card = await ann.reply()
    assert "Technician on the way" in card.text
    # no reschedule, no cancel any more; a complaint can always be made
    assert card.buttons == [["📣 Make a complaint"], ["📋 All my orders"]]
    # An old reschedule button, pressed now, is refused with a reason.
    await ann.press_data(f"or:rw:{order.id}:2026-11-27:09-12", message=card)
    assert "cannot be done while the order is “Technician on the way”" in (await ann.reply()).text


async def test_cancel_asks_a_reason_and_to_confirm(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["tv"])
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann)
    await ann.send(f"/orders {number}")
    await ann.reply()
    await ann.press("✖ Cancel this order")
    await ann.press("It works again", message=await ann.reply())
    confirm = await ann.reply()
    assert "Cancel order R-1001 (It works again)?" in confirm.text
    await ann.press("Yes, cancel it")
    assert "Order R-1001 is cancelled" in (await ann.reply()).text
    async with bot.desk.uow() as uow:
        order = await uow.session.scalar(select(ServiceOrder))
        event = (await uow.session.scalars(select(OrderEvent).order_by(OrderEvent.id))).all()[-1]
    assert order.status == "cancelled"
    assert (event.action, event.note, event.from_status) == ("cancel", "fixed_itself", "new")
    # Pressed again (its message was replaced, but a quick second tap can still arrive).
    await ann.press_data(confirm.callback_data["Yes, cancel it"], message=confirm)
    assert "cannot be done" in (await ann.reply()).text


async def test_another_customers_order_is_the_same_as_no_order(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["tv"])
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, address="Ann's secret address")
    mallory = await registered_customer(telegram, 1666, "Mallory")
    for typed in (f"/status {number}", f"/orders {number}", "/status R-9999", "/status <b>"):
        await mallory.send(typed)
        answer = await mallory.reply()
        assert answer.text == "Nothing found with that number. Check it and try again."
    await mallory.send("/orders")
    own = await mallory.reply()
    for data in ("or:v:1", "or:rs:1", "or:c:1", "or:cy:1:other", "or:rd:1:2026-11-26",
                 "or:rw:1:2026-11-26:13-17", "or:cr:1:other"):
        await mallory.press_data(data, message=own)
        answer = await mallory.reply()  # a button: nothing was typed, no "number" to check
        assert answer.text == ("That is not available to you (any more). "
                               "Please use /help to find your way.")
    assert not any("secret" in line for line in mallory.transcript)
    async with bot.desk.uow() as uow:
        order = await uow.session.scalar(select(ServiceOrder))
    assert (order.status, order.window) == ("new", "09-12")


async def test_bad_input_while_booking_gets_clear_answers_and_keeps_the_step(telegram, bot, clock):
    await technician(bot.desk, 2001, "Li Lei", ["tv"])
    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/book")
    categories = await ann.reply()
    await ann.send("TV please")
    assert "use the buttons" in (await ann.reply()).text
    await ann.press("TV")
    await ann.reply()
    await ann.press("TV", message=categories)  # the old question's button
    await ann.settle()
    assert ann.toasts[-1] == "This button is out of date. Please use the latest message."
    await ann.press("Sony" if False else "LG")
    await ann.reply()
    await ann.send_photo()
    assert "type your answer as text" in (await ann.reply()).text
    await ann.send("m" * 65)
    assert "at most 64 characters" in (await ann.reply()).text
    await ann.press("Skip")
    await ann.reply()
    await ann.press("Skip")
    await ann.reply()
    await ann.send("bad")
    assert "at least 5 characters" in (await ann.reply()).text
    await ann.send("x" * 5000)
    assert "at most 1000 characters" in (await ann.reply()).text
    await ann.send("It <script>beeps</script> & stops 🙃")
    await ann.reply()
    await ann.press("Done with photos")
    await ann.reply()
    await give_address(ann, "1 Main St")
    await ann.send("call me maybe")
    assert "does not look like a phone number" in (await ann.reply()).text
    await ann.send("13800138000")
    await ann.replies(2)
    await ann.press("Tue 24 Nov")
    await ann.reply()
    await ann.press("13:00–17:00")
    summary = await ann.reply()
    assert "It <script>beeps</script> & stops 🙃" in summary.text
    clock.advance(hours=3, minutes=30)  # 13:30 in Shanghai: the window began while choosing
    await ann.press("✅ Confirm")
    passed, days = await ann.replies(2)
    assert "already passed" in passed.text and "Which day" in days.text
    await ann.press("Wed 25 Nov")
    await ann.reply()
    await ann.press("13:00–17:00")
    await ann.reply()
    await ann.press("✅ Confirm")
    assert "R-1001" in (await ann.reply()).text
    await ann.press("✅ Confirm", message=summary)  # pressed twice: no second order
    await ann.settle()
    async with bot.desk.uow() as uow:
        assert len((await uow.session.scalars(select(ServiceOrder))).all()) == 1


async def test_back_edit_and_cancel_while_booking(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["tv", "microwave"])
    ann = await registered_customer(telegram, 1001, "Ann")
    summary = await book_repair_until_summary(ann, address="1 Main St")
    assert "1 Main St" in summary.text
    await ann.press("✏️ Change something")
    await ann.press("The address", message=await ann.reply())
    await ann.reply()
    await ann.send("2 Side St")
    await ann.press("Not in this list", message=await ann.reply())  # which district?
    summary = await ann.reply()  # straight back to the summary after the edited part
    assert "Please check your booking" in summary.text and "2 Side St" in summary.text
    await ann.press("◀ Back")
    await ann.reply()  # the window question again
    await ann.press("◀ Back")
    assert "Which day" in (await ann.reply()).text
    await ann.press("✖ Cancel")
    assert "Booking cancelled" in (await ann.reply()).text
    await ann.send("2 Side St")
    assert "did not understand" in (await ann.reply()).text
    async with bot.desk.uow() as uow:
        assert (await uow.session.scalars(select(ServiceOrder))).all() == []


async def test_a_restart_in_the_middle_of_booking_resumes(telegram, bots):
    bot = await bots.start()
    await technician(bot.desk, 2001, "Li Lei", ["tv"])
    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/book")
    await ann.reply()
    await ann.press("TV")
    await ann.reply()
    await ann.press("TCL")
    await ann.reply()
    bot = await bots.restart(bot)
    await ann.send("55C6")
    assert "serial number" in (await ann.reply()).text
