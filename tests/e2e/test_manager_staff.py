"""Managers and their staff in chat: the list with each person's state and rating, a
technician's appliances and areas, deactivating (their scheduled jobs go back to dispatch)
and reactivating."""
from sqlalchemy import select

from core import booking, catalogue, dispatch, jobs, people, stock
from core.models import OrderEvent, Rating, ServiceOrder, User
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.people import technician

STALE = "This button is out of date. Please use the latest message."


async def toast(who) -> str | None:
    """The text of the bot's answer to the last button pressed (nothing else is sent)."""
    answered = await who.last_answer()
    assert await who.settle() == []
    return answered


async def user(bot, telegram_id) -> User:
    async with bot.desk.uow() as uow:
        found = await people.find_user(uow, telegram_id)
        await found.awaitable_attrs.skills
        await found.awaitable_attrs.areas
        return found


async def li_with_jobs(bot):
    """Li (TV and fridges, Pudong) with three repairs: one scheduled, one on the way, one
    completed and rated 4 stars; a compressor in his van. Returns the order numbers."""
    li = await technician(bot.desk, 2001, "Li Lei", ["tv", "refrigerator"], ["Pudong"])
    await technician(bot.desk, 2002, "Wang Fang", ["tv"], ["Xuhui"])
    numbers = []
    async with bot.desk.uow() as uow:
        boss = await people.ensure_user(uow, MANAGER_ID)
        tech = await uow.session.get(User, li)
        for telegram_id, category, window in ((1001, "tv", "09-12"),
                                              (1002, "refrigerator", "13-17"),
                                              (1003, "tv", "17-20")):
            customer = await people.ensure_user(uow, telegram_id)
            await people.register_customer(uow, customer, f"Customer {telegram_id}",
                                           "13800138000")
            order = await booking.book_repair(
                uow, customer, category=category, brand="TCL", description="No picture at all",
                address="Pudong, 1 Century Ave", phone="13800138000", day="2026-11-25",
                window=window)
            await dispatch.assign(uow, boss, order.number, tech)
            numbers.append(order.number)
        await jobs.start_trip(uow, tech, numbers[1])
        done = await uow.session.scalar(select(ServiceOrder).where(
            ServiceOrder.number == numbers[2]))
        done.status = "completed"  # how it got there is the jobs tests' business
        uow.session.add(Rating(order_id=done.id, customer_id=done.customer_id,
                               technician_id=li, stars=4, at=uow.now()))
        await catalogue.add_part(uow, boss, sku="CMP-01", name="Compressor", price=45000)
        await stock.receive(uow, boss, "CMP-01", 2)
        await stock.transfer(uow, boss, "CMP-01", 1, "main", await stock.van(uow, tech))
        await uow.commit()
    return numbers


async def test_the_staff_list_and_a_technicians_appliances_and_areas(telegram, bot):
    await li_with_jobs(bot)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/staff")
    listing = await boss.reply()
    assert listing.text.startswith("Staff (3)")
    assert "Li Lei · Technician · ★ 4.0 (1)\n   Refrigerator, TV · Pudong" in listing.text
    assert "Wang Fang · Technician\n   TV · Xuhui" in listing.text
    assert [row[0] for row in listing.buttons] == ["#900 · Manager", "Li Lei · Technician",
                                                   "Wang Fang · Technician"]
    await boss.press("Li Lei · Technician")
    card = await boss.reply()
    assert "State: 🟢 active" in card.text and "Rating: ★ 4.00 from 1 ratings" in card.text
    assert card.buttons[:2] == [["🔧 Appliances", "📍 Areas"], ["⛔ Deactivate"]]

    await boss.press("🔧 Appliances")
    picking = await boss.reply()
    assert "Which appliances does Li Lei repair?" in picking.text
    assert [t for row in picking.buttons for t in row if t.startswith("✅")] == [
        "✅ Refrigerator", "✅ TV"]
    await boss.press("✅ TV")
    await boss.press("Washing machine", message=await boss.reply())
    await boss.press("✅ Refrigerator", message=await boss.reply())
    chosen = await boss.reply()
    assert [t for row in chosen.buttons for t in row if t.startswith("✅")] == [
        "✅ Washing machine"]
    await boss.press("✅ Washing machine")
    await boss.reply()
    await boss.press("💾 Save")  # nothing chosen
    assert await toast(boss) == "Choose at least one."
    await boss.press("Washing machine")
    await boss.reply()
    await boss.press("💾 Save")
    saved = await boss.reply()
    assert "Appliances: Washing machine" in saved.text
    assert boss.answers[-1].get("text") == "Saved."

    await boss.press("📍 Areas")
    await boss.reply()
    await boss.press("Xuhui")
    await boss.reply()
    await boss.press("💾 Save")
    assert "Areas: Xuhui, Pudong" in (await boss.reply()).text  # in the configured order
    li = await user(bot, 2001)
    assert [s.category for s in await li.awaitable_attrs.skills] == ["washing_machine"]
    assert sorted(a.area for a in await li.awaitable_attrs.areas) == ["Pudong", "Xuhui"]

    # Forged: a mask with more options than there are, a customer's id.
    await boss.press_data(f"stf:sks:{li.id}:{1 << 12}")
    assert await toast(boss) == STALE
    customer = await user(bot, 1001)
    for data in (f"stf:v:{customer.id}", f"stf:sk:{customer.id}:1", f"stf:dy:{customer.id}",
                 f"stf:sks:{customer.id}:1", "stf:v:99999"):
        await boss.press_data(data)
        assert await toast(boss) == STALE, data
    assert (await user(bot, 1001)).role == "customer"


async def test_deactivating_a_technician_returns_his_scheduled_jobs_to_dispatch(telegram, bot):
    scheduled, under_way, _ = await li_with_jobs(bot)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/staff")
    await boss.reply()
    await boss.press("Li Lei · Technician")
    await boss.reply()
    await boss.press("⛔ Deactivate")
    confirm = await boss.reply()
    assert "Deactivate Li Lei (Technician)?" in confirm.text
    await boss.press("Yes, deactivate")
    # The answer, and (from the reminders) each manager is told the order is unassigned.
    shown = [await boss.reply(timeout=10)]
    while not (any("is deactivated" in m.text for m in shown)
               and any(f"Order {scheduled}" in m.text for m in shown)):
        shown.append(await boss.reply(timeout=10))
    shown += await boss.settle()
    [done] = [m for m in shown if "is deactivated" in m.text]
    assert any(f"Order {scheduled}" in m.text and "/dispatch" in m.text for m in shown)
    assert f"Back with dispatch, to assign again (/dispatch): {scheduled}." in done.text
    assert f"Already under way, still theirs — please handle: {under_way}." in done.text
    assert "Their van still holds 1 kind of parts: move them back with /transfer." in done.text

    async with bot.desk.uow() as uow:
        orders = {o.number: o for o in await uow.session.scalars(select(ServiceOrder))}
        event = (await uow.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == orders[scheduled].id)
            .order_by(OrderEvent.id))).all()[-1]
        boss_id = (await people.find_user(uow, MANAGER_ID)).id
    assert (orders[scheduled].status, orders[scheduled].technician_id) == ("new", None)
    assert orders[under_way].status == "en_route" and orders[under_way].technician_id
    assert (event.action, event.from_status, event.to_status, event.actor_id) == (
        "unassign", "scheduled", "new", boss_id)
    assert not (await user(bot, 2001)).active

    # Pressed again: nothing more happens.
    await boss.press_data(confirm.callback_data["Yes, deactivate"], message=done)
    assert "State: ⛔ deactivated" in (await boss.reply()).text
    assert boss.answers[-1].get("text") == "Already deactivated."
    await boss.send("/staff")
    listing = await boss.reply()
    assert "⛔ Li Lei · Technician" in listing.button_texts
    assert "Li Lei · Technician · deactivated" in listing.text
    await boss.press("⛔ Li Lei · Technician")
    await boss.reply()
    await boss.press("♻️ Reactivate")
    again = await boss.reply()
    assert "State: 🟢 active" in again.text and boss.answers[-1].get("text") == "Active again."
    assert (await user(bot, 2001)).active


async def test_a_deactivated_manager_can_do_nothing_and_no_one_deactivates_himself(telegram, bot):
    async with bot.desk.uow() as uow:
        other = await people.add_manager(uow, 3001)
        other.name = "Zhou Min"
        await uow.commit()
    boss = telegram.user(MANAGER_ID, "Boss")
    zhou = telegram.user(3001, "Zhou")
    await boss.send("/staff")
    await boss.reply()
    await zhou.send("/staff")
    assert "Staff (2)" in (await zhou.reply()).text
    me = await user(bot, MANAGER_ID)
    await boss.press_data(f"stf:dy:{me.id}")
    assert await toast(boss) == "You cannot deactivate yourself."
    await boss.press_data(f"stf:v:{me.id}")
    mine = await boss.reply()
    assert "(you)" in mine.text and "⛔ Deactivate" not in mine.button_texts
    await boss.press("◀ All staff")
    await boss.reply()
    await boss.press("Zhou Min · Manager")
    await boss.reply()
    await boss.press("⛔ Deactivate")
    await boss.reply()
    await boss.press("Yes, deactivate")
    assert "Zhou Min is deactivated." in (await boss.reply()).text
    for command in ("/staff", "/stock", "/receive", "/sale"):
        await zhou.send(command)
        assert (await zhou.reply()).text == "Only managers can do that."
    assert (await user(bot, MANAGER_ID)).active


async def test_the_staff_list_is_paged(telegram, bot):
    for n in range(7):
        await technician(bot.desk, 2001 + n, f"Tech {n}", ["tv"], ["Pudong"])
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/staff")
    first = await boss.reply()
    assert first.text.startswith("Staff (8), page 1 of 2")
    assert first.buttons[-1] == ["Next ▶"]
    await boss.press("Next ▶")
    second = await boss.reply()
    assert second.edited and "page 2 of 2" in second.text
    assert [row[0] for row in second.buttons[:-1]] == ["Tech 5 · Technician",
                                                       "Tech 6 · Technician"]
