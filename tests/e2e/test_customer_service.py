"""What the customer hears as the job goes on, and answers: the assignment, "on my way", the
quote (approve or decline), the report with its warranty dates, the rating, a warranty claim."""
from sqlalchemy import select

from core import job_completion, jobs
from core.models import Rating, Reminder, ServiceOrder, StockLevel
from tests.e2e.booking_steps import book_repair
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import until
from tests.e2e.people import registered_customer, technician
from tests.e2e.staff_acts import (
    act,
    assign,
    booked_through_core,
    diagnose_and_quote,
    parts_catalogue,
)

LI = 2001


async def order_row(bot, number):
    async with bot.desk.uow() as uow:
        return await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == number))


async def test_a_manager_dispatches_and_technician_and_customer_are_told(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["tv"], ["Pudong"], telegram=telegram)
    await technician(bot.desk, 2002, "Wang Fang", ["tv"], ["Xuhui"])
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, address="Pudong, 1 Century Ave")
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/dispatch")
    listing = await boss.reply()
    assert "Waiting for a technician: 1" in listing.text
    await boss.press(listing.buttons[0][0])
    card = await boss.reply()
    assert f"Order {number}" in card.text and "Area: Pudong" in card.text
    assert card.buttons[0][0].startswith("Assign Li Lei")  # serves the area: first
    await boss.press(card.buttons[0][0])
    assert f"Order {number} is assigned" in (await boss.reply()).text

    li = telegram.user(LI, "Li")
    told = await li.reply(timeout=10)
    assert f"New job {number}" in told.text and "Wed 25 Nov 09:00–12:00" in told.text
    confirmed = await ann.reply(timeout=10)
    assert f"Order {number} is confirmed: Li will come on Wed 25 Nov, 09:00–12:00" in confirmed.text
    assert (await order_row(bot, number)).status == "scheduled"

    await act(bot, LI, number, jobs.start_trip)
    assert "Li is on the way" in (await ann.reply(timeout=10)).text

    # Someone else pressing the manager's assign button: not a manager, nothing happens.
    await ann.press_data(card.callback_data[card.buttons[1][0]], message=card)
    assert "Only managers" in (await ann.reply()).text


async def test_the_customer_approves_a_quote_and_gets_the_report_and_rates(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await parts_catalogue(bot, van_of=LI)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, category="Refrigerator", brand="Haier")
    await assign(bot, number, LI)
    await ann.replies(1, timeout=10)  # confirmed
    await diagnose_and_quote(bot, LI, number, customer=ann)
    quote = await ann.reply(timeout=10)
    assert f"Quote for order {number}" in quote.text
    assert "Repair labour: ¥80.00" in quote.text and "Compressor: ¥450.00" in quote.text
    assert "Total ¥530.00" in quote.text
    assert quote.buttons == [["✅ Approve", "✖ Decline"]]
    await ann.press("✅ Approve")
    decided = await ann.reply()
    assert "You approved this quote" in decided.text and decided.buttons == []
    assert (await order_row(bot, number)).status == "in_progress"
    li = telegram.user(LI, "Li")
    assigned, answered = await li.replies(2, timeout=10)
    assert "New job" in assigned.text and "approved the quote" in answered.text
    await ann.press_data(quote.callback_data["✖ Decline"], message=quote)  # too late
    await ann.settle()
    assert ann.toasts[-1].startswith("This button is out of date")

    async with bot.desk.uow() as uow:
        from core import catalogue
        part = await catalogue.get_part(uow, "CMP-01")
    await act(bot, LI, number, job_completion.complete, [(part, 1, "SN-778")], work_done="Replaced it")
    report = await ann.reply(timeout=10)
    assert f"Repair report, order {number}" in report.text
    assert "Compressor, S/N SN-778: ¥450.00 — warranty until 2027-11-24" in report.text
    assert "Workmanship warranty until 2027-02-24" in report.text
    assert "Total ¥530.00" in report.text
    async with bot.desk.uow() as uow:
        levels = {(lv.warehouse_id, lv.quantity) for lv in
                  (await uow.session.scalars(select(StockLevel))).all()}
    assert sorted(q for _, q in levels) == [0, 1]  # the van gave one of its two

    await ann.press("★★★★")
    assert "Thank you for 4 stars" in (await ann.reply()).text
    await ann.send("Quick & <b>clean</b> work")
    assert "comment is saved" in (await ann.reply()).text
    async with bot.desk.uow() as uow:
        rating = await uow.session.get(Rating, (await order_row(bot, number)).id)
        pending = (await uow.session.scalars(select(Reminder.kind).where(
            Reminder.kind == "rating", Reminder.dropped_at.is_(None),
            Reminder.sent_at.is_(None)))).all()
    assert (rating.stars, rating.comment) == (4, "Quick & <b>clean</b> work")
    assert pending == []  # rated: no reminder to rate an hour later

    await ann.press_data(report.callback_data["★★"], message=report)  # a second rating
    assert "already" in (await ann.reply()).text


async def test_the_customer_declines_a_quote_and_the_visit_ends(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await parts_catalogue(bot)
    ann = await registered_customer(telegram, 1001, "Ann", language_code="zh")
    number = await booked_through_core(bot, 1001)
    await assign(bot, number, LI)
    await ann.reply(timeout=10)  # confirmed
    await diagnose_and_quote(bot, LI, number, parts=0, customer=ann)
    quote = await ann.reply(timeout=10)
    assert f"订单 {number} 的报价" in quote.text and "合计 ¥80.00" in quote.text
    await ann.press("✖ 拒绝")
    assert "拒绝后本次上门仅做检测" in (await ann.reply()).text
    await ann.press("✖ 拒绝，仅做检测")
    assert "本次上门仅做检测，订单已关闭" in (await ann.reply()).text
    assert (await order_row(bot, number)).status == "closed"
    li = telegram.user(LI, "Li")
    assigned, answered = await li.replies(2, timeout=10)
    assert "declined the quote" in answered.text


async def test_a_warranty_claim_is_booked_from_the_finished_order(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await parts_catalogue(bot, van_of=LI)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, category="Refrigerator", brand="Haier")
    await assign(bot, number, LI)
    await ann.reply(timeout=10)  # confirmed
    await diagnose_and_quote(bot, LI, number, customer=ann)
    await ann.press("✅ Approve", message=await ann.reply(timeout=10))
    assert "You approved" in (await ann.reply()).text
    async with bot.desk.uow() as uow:
        from core import catalogue
        part = await catalogue.get_part(uow, "CMP-01")
    await act(bot, LI, number, job_completion.complete, [(part, 1, "SN-1")])
    await act(bot, LI, number, jobs.settle, "cash")
    await ann.reply(timeout=10)  # the report

    await ann.send(f"/orders {number}")
    card = await ann.reply()
    assert "Closed" in card.text
    assert ["🧾 Repair report"] in card.buttons and ["🛡 Claim warranty"] in card.buttons
    await ann.press("🛡 Claim warranty")
    parts = await ann.reply()
    assert "Warranty claim for order" in parts.text
    await ann.press("Compressor (2027-11-24)")
    await ann.settle()
    await ann.press("Done")
    await ann.reply()
    await ann.send("Noisy again since yesterday")
    await ann.reply()
    await ann.press("Done with photos")
    await ann.press("Thu 26 Nov", message=await ann.reply())
    await ann.press("13:00–17:00", message=await ann.reply())
    summary = await ann.reply()
    assert f"Warranty claim on order {number}: Compressor" in summary.text
    assert "Address: 1 Main St" in summary.text  # the original order's, not blank
    await ann.press("✅ Confirm")
    booked = await ann.reply()
    assert "Your order number is W-1002" in booked.text
    claim = await order_row(bot, "W-1002")
    assert (claim.kind, claim.parent_order_id, claim.category) == (
        "warranty", (await order_row(bot, number)).id, "refrigerator")


async def test_a_manager_reassigns_and_unassigns_from_the_order_card(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["tv"], ["Pudong"], telegram=telegram)
    await technician(bot.desk, 2002, "Wang Fang", ["tv"], ["Xuhui"], telegram=telegram)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, address="Pudong, 1 Century Ave")
    await assign(bot, number, LI)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send(f"/status {number}")
    card = await boss.reply()
    assert "Technician assigned" in card.text
    await boss.press("👷 Assign or reassign")
    dispatch_card = await boss.reply()
    assert "Status: Technician assigned" in dispatch_card.text
    assert not any("Li Lei" in row[0] for row in dispatch_card.buttons)  # the one it has
    await boss.press(next(row[0] for row in dispatch_card.buttons if "Wang Fang" in row[0]))
    assert f"Order {number} is assigned" in (await boss.reply()).text
    order = await order_row(bot, number)
    assert order.status == "scheduled"
    wang = telegram.user(2002, "Wang")
    assert f"New job {number}" in (await wang.reply(timeout=10)).text
    await boss.send(f"/status {number}")
    await boss.reply()
    await boss.press("👷 Assign or reassign")
    await boss.press("↩️ Take it back (unassign)", message=await boss.reply())
    back = await until(boss, "Status: ")  # the managers' "back without a technician" may come first
    assert "Status: Received, not yet assigned" in back.text
    order = await order_row(bot, number)
    assert (order.status, order.technician_id) == ("new", None)
