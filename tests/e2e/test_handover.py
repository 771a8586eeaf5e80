"""A delivery's handover in chat: the technician records the box's condition with a photo from
the job card, the customer confirms it with a button, the technician hears the answer; damage
opens a claim, the managers decide "install anyway" or "hold installation", and completion waits
for that. Nobody else answers for the customer; a technician cannot decide; a second answer is
"already answered"."""
from sqlalchemy import select

from core import sales
from core.models import Complaint, Handover, User
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import LI, assign, on_site, open_job, order_row, until
from tests.e2e.people import registered_customer, sales_order, technician

BOB, ANN = 1002, 1001


async def delivery(bot, telegram, customer_id: int, phone: str) -> str:
    """S-2026-0042 sold to the customer, its delivery booked, assigned to Li, Li on site."""
    await sales_order(bot.desk, phone=phone)
    async with bot.desk.uow() as uow:
        customer = await uow.session.scalar(select(User).where(User.telegram_id == customer_id))
        found = await sales.verify_sales_order(uow, customer, "S-2026-0042", phone)
        order = await sales.book_installation(uow, customer, found.id, day="2026-11-25",
                                              window="09-12")
        await uow.commit()
    await assign(bot, order.number, LI)
    await on_site(bot, LI, order.number)
    return order.number


async def record(li, number: str, condition: str):
    """📦 Handover check on the card, the condition, one photo, done: the record."""
    card = await open_job(li, number)
    assert card.buttons[0] == ["📦 Handover check"]
    await li.press("📦 Handover check", message=card)
    asked = await until(li, "Handover check")
    assert "in what condition" in asked.text
    await li.press(condition, message=asked)
    photos = await until(li, "photo")
    await li.press("Done with photos", message=photos)  # none yet
    assert "at least one photo" in (await until(li, "at least one photo")).text
    await li.send_photo()
    received = await until(li, "Photo 1 of at most")
    await li.press("Done with photos", message=received)
    return await until(li, "Handover recorded")


async def test_damage_at_handover_is_claimed_and_the_installation_waits_for_a_manager(
        telegram, bot):
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    li = telegram.user(LI, "Li")
    bob = await registered_customer(telegram, BOB, "Bob", language_code="zh",
                                    phone="+8613900139000")
    ann = await registered_customer(telegram, ANN, "Ann")
    number = await delivery(bot, telegram, BOB, "+8613900139000")
    order_id = (await order_row(bot, number)).id

    recorded = await record(li, number, "⚠️ Box damaged")
    assert f"Handover recorded · {number}" in recorded.text and "box damaged, 1 photo" in recorded.text
    assert "Damage claim C-1001 is open: do not install" in recorded.text

    asked = await until(bob, "您的送货单 S-2026-0042")
    assert "交接时记录：包装破损" in asked.text
    assert asked.buttons == [["✅ 已收到，完好无损"], ["⚠️ 有破损"]]
    # Ann cannot answer for Bob, whatever she sends
    await ann.press_data(f"ho:a:{order_id}:y")
    assert "not available to you" in (await ann.reply()).text
    await bob.press("⚠️ 有破损", message=asked)
    answered = await until(bob, "破损索赔 C-1001")
    assert "S-2026-0042" in answered.text and "/complaints" in answered.text
    await bob.press_data(f"ho:a:{order_id}:y", message=asked)
    assert "您已确认过工单" in (await until(bob, "您已确认过")).text
    async with bot.desk.uow() as uow:
        row = await uow.session.get(Handover, order_id)
        claims = (await uow.session.scalars(select(Complaint))).all()
    assert (row.condition, row.customer_answer, row.complaint_id) == ("damaged", "damaged", 1)
    assert [(c.reason, c.text) for c in claims] == [(  # in the company's language (en here)
        "damage", f"S-2026-0042 · {number}: the technician found the box damaged at delivery")]

    told = await until(li, "the customer says it is damaged")
    assert "wait for a manager" in told.text
    new = await until(boss, "New complaint C-1001")
    assert "S-2026-0042" in new.text
    claim = await until(boss, "Damage at delivery")
    assert claim.buttons[:2] == [["🔧 Install anyway"], ["⏸ Hold installation"]]

    # the technician can neither complete nor decide
    card = await open_job(li, number)
    assert "Damage claim C-1001: ⏳ waiting for a manager's decision" in card.text
    assert ["📦 Handover check"] not in card.buttons
    await li.press("✅ Complete", message=card)
    assert "a manager must decide" in (await until(li, "a manager must decide")).text
    await li.press_data(f"ho:d:{order_id}:i")
    assert "Only managers" in (await until(li, "Only managers")).text

    await boss.press("⏸ Hold installation", message=claim)
    assert await boss.toast() == "Installation held"
    held = await until(boss, "installation is held")
    assert held.buttons[0] == ["🔧 Install anyway"]
    await boss.press_data(f"ho:d:{order_id}:h", message=held)  # pressed twice
    assert "already decided: installation held" in (await until(boss, "already decided")).text
    assert await boss.toast() is None  # answered once, the refusal said in the chat
    assert "put the installation on hold" in (await until(li, "on hold")).text
    card = await open_job(li, number)
    assert "⏸ installation held" in card.text
    await li.press("✅ Complete", message=card)
    assert "on hold" in (await until(li, "on hold")).text

    await boss.press("🔧 Install anyway", message=held)
    assert await boss.toast() == "Installation goes ahead"
    assert "decided to install anyway" in (await until(li, "install anyway")).text
    card = await open_job(li, number)
    await li.press("✅ Complete", message=card)
    assert f"Installation checklist, job {number}" in (await until(li, "checklist")).text
    async with bot.desk.uow() as uow:
        order = await order_row(bot, number)
        acts = [e.action for e in order.events if e.action.startswith("handover")]
    assert acts == ["handover_recorded", "handover_disputed", "handover_hold",
                    "handover_install"]


async def test_an_intact_handover_confirmed_by_the_customer(telegram, bot):
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    li = telegram.user(LI, "Li")
    ann = await registered_customer(telegram, ANN, "Ann", phone="+8613900139000")
    number = await delivery(bot, telegram, ANN, "+8613900139000")

    recorded = await record(li, number, "✅ Box intact")
    assert "box intact, 1 photo" in recorded.text and "claim" not in recorded.text
    asked = await until(ann, "Your delivery S-2026-0042")
    assert "recorded at handover: box intact (1 photo)" in asked.text
    await ann.press("✅ Received in good condition", message=asked)
    thanks = await until(ann, "Thank you!")
    assert "arrived in good condition" in thanks.text and thanks.buttons == []
    told = await until(li, "received in good condition")
    assert "You can install" in told.text and told.buttons == [["📄 Open the job"]]
    card = await open_job(li, number)
    assert "Handover: box intact (1 photo) · customer: ✅ good condition" in card.text
    await li.press("✅ Complete", message=card)
    assert (await until(li, "Installation checklist")).buttons  # no refusal
    notices = [m.text for m in await boss.settle()]
    assert not any("Damage" in text or "complaint" in text for text in notices)
