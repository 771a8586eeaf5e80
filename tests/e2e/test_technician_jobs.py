"""Technicians run their jobs in chat, as people would: /jobs, the card and its buttons,
diagnosis with photos, the quote built from the catalogue, completion with serials and
checklists, parts missing, being paid; and nobody else's jobs are theirs.

The tests' clock stands at Tue 24 Nov 2026, 10:00 in Shanghai; bookings are for Wed 25 Nov."""
from sqlalchemy import select

from core import (
    booking,
    job_completion,
    jobs,
    people,
    quotes,
    staff,
    stock,
    stock_levels,
    warranty,
)
from core.models import (
    Completion,
    MissingPart,
    OrderEvent,
    Quote,
    ReplacedPart,
    StockMovement,
    User,
)
from tests.e2e.booking_steps import book_repair
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import (
    LI,
    WANG,
    act,
    answer_to,
    assign,
    catalogue_and_stock,
    drained,
    on_site,
    open_job,
    order_row,
    quote_sent,
    until,
)
from tests.e2e.people import registered_customer, sales_order, technician
from tests.workshop import TOMORROW as WED
from tests.workshop import at

STALE = "This button is out of date. Please use the latest message."
NOT_FOUND = "Nothing found with that number. Check it and try again."
GONE = "That is not available to you (any more). Please use /help to find your way."  # pressed


async def van_level(bot, telegram_id: int, sku: str) -> int:
    async with bot.desk.uow() as uow:
        tech = await uow.session.scalar(select(User).where(User.telegram_id == telegram_id))
        return await stock_levels.level(uow, await stock.van(uow, tech), sku)


async def book_with_photo(ann, problem="Not cooling <at all> & it hums"):
    """A refrigerator repair booked in chat, with one photo of the problem."""
    await ann.send("/book")
    await ann.reply()
    await ann.press("Refrigerator")
    await ann.reply()
    await ann.press("Haier")
    await ann.reply()
    await ann.send("BCD-470")
    await ann.reply()
    await ann.press("Skip")
    await ann.reply()
    await ann.send(problem)
    await ann.reply()
    await ann.send_photo()
    await ann.reply()
    await ann.press("Done with photos")
    await ann.reply()
    await ann.send("Pudong, 1 Century Ave, flat 502")
    await ann.replies(2)
    await ann.send("13800138000")
    await ann.replies(2)
    await ann.press("Wed 25 Nov")
    await ann.reply()
    await ann.press("09:00–12:00")
    await ann.reply()
    await ann.press("✅ Confirm")
    booked = await ann.reply()
    return booked.text.split("order number is ")[1].split(".")[0]


async def test_a_repair_from_scheduled_to_closed_with_a_part_from_the_van(telegram, bot, clock):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot, van_of=LI)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_with_photo(ann)
    await assign(bot, number, LI)
    li = telegram.user(LI, "Li")
    assert f"New job {number}" in (await until(li, "New job")).text
    await until(ann, "is confirmed")

    await li.send("/jobs")
    listing = await until(li, "Your jobs")
    assert "Your jobs</b> (1)" in listing.html and "Today" not in listing.text
    assert f"{number} · Wed 25 Nov 09:00–12:00 · Refrigerator" in listing.text
    await li.press(listing.buttons[0][0])
    card = await li.reply()
    assert card.edited and f"Job {number} · Repair" in card.text
    assert "Status: Scheduled · not accepted yet" in card.text
    assert "When: Wed 25 Nov, 09:00–12:00" in card.text
    assert "Customer: Ann, +86 138 0013 8000" in card.text
    assert "Appliance: Refrigerator, Haier BCD-470" in card.text
    assert "Problem: Not cooling <at all> & it hums" in card.text
    assert "Address: Pudong, 1 Century Ave, flat 502" in card.text
    assert card.buttons == [["✅ Accept", "✖ Decline"], ["🚗 On my way"],
                            ["📷 Customer's photos (1)"], ["📋 All my jobs"]]

    await li.press("📷 Customer's photos (1)")
    photo = await li.reply()
    assert photo.photo is not None and f"job {number}" in photo.caption

    first_card = card
    await li.press("✅ Accept", message=card)
    card = await li.reply()
    assert "not accepted yet" not in card.text
    assert card.buttons[0] == ["🚗 On my way", "✖ Decline"]
    await li.settle()
    assert li.toasts[-1] == "Accepted."
    # Accept pressed again (a quick second tap): out of date, the card is shown afresh.
    pressed = await li.press_data(first_card.callback_data["✅ Accept"], message=card)
    assert await answer_to(li, pressed) == STALE

    clock.at = at(WED, 9, 10)  # the booked day
    await drained(bot, li)  # the note that the job starts soon, before Li acts
    await li.press("🚗 On my way")
    card = await until(li, "Status: On the way")
    assert "Status: On the way" in card.text and card.buttons[0] == ["📍 Arrived"]
    assert "on the way" in (await until(ann, "on the way")).text
    clock.at = at(WED, 9, 40)
    await li.press("📍 Arrived")
    card = await until(li, "Status: On site")
    assert "Status: On site" in card.text and "Arrived: 2026-11-25 09:40" in card.text
    assert "booked window" not in card.text  # in time
    assert card.buttons[0] == ["🔍 Diagnose", "📦 Parts missing"]

    # Diagnosis: the fault typed (checked), a photo, done.
    await li.press("🔍 Diagnose")
    assert "What fault did you find?" in (await li.reply()).text
    await li.send("bad")
    assert "at least 5 characters" in (await li.reply()).text
    await li.send("Compressor relay burnt <out> & the gas is low")
    assert "Send photos of the fault" in (await li.reply()).text
    await li.send_photo()
    assert "Photo 1 of at most 10 received" in (await li.reply()).text
    await li.press("Done with photos")
    saved = await li.reply()
    assert "Compressor relay burnt <out> & the gas is low" in saved.text
    assert saved.buttons == [["💰 Quote"], ["📄 Open the job"]]

    # The quote: a part found by name, a quantity; labour; the total; send.
    await li.press("💰 Quote")
    draft = await li.reply()
    assert f"Quote for job {number}" in draft.text and "No lines yet" in draft.text
    await li.press("➕ Part")
    assert "Type the SKU" in (await li.reply()).text
    await li.send("compr")
    results = await li.reply()
    assert "Parts matching “compr”: 1" in results.text
    await li.press("Compressor · CMP-01 · ¥450.00")
    assert "How many of Compressor?" in (await li.reply()).text
    await li.send("0")
    assert "whole number from 1 to 99" in (await li.reply()).text
    await li.press("1")
    draft = await li.reply()
    assert "1. Compressor (CMP-01) × 1: ¥450.00, 12 months' warranty" in draft.text
    await li.press("➕ Labour")
    await li.reply()
    await li.press("Repair labour · ¥80.00")
    await li.reply()
    await li.press("1")
    draft = await li.reply()
    assert "2. Repair labour × 1: ¥80.00" in draft.text and "Total ¥530.00" in draft.text
    await li.press("📤 Send ¥530.00 to the customer")
    sent = await li.reply()
    assert f"Quote v1 for job {number} sent to the customer: ¥530.00" in sent.text

    quote = await until(ann, "Quote for order")
    assert "Compressor: ¥450.00" in quote.text and "Total ¥530.00" in quote.text
    await ann.press("✅ Approve")
    await until(ann, "approved")
    assert "approved the quote" in (await until(li, "approved the quote")).text
    assert (await order_row(bot, number)).status == "in_progress"

    # Completion: the part with its serial number, no photos, a note, confirm.
    card = await open_job(li, number)
    assert "Quote v1: ¥530.00 (approved)" in card.text
    assert card.buttons[0] == ["✅ Complete", "💰 Revised quote"]
    await li.press("✅ Complete")
    parts = await li.reply()
    assert "Compressor (CMP-01): 0 of 1 used" in parts.text
    await li.press("➕ Compressor (0/1)")
    assert "Serial number of this Compressor?" in (await li.reply()).text
    await li.send("SN-778")
    parts = await li.reply()
    assert "Compressor (CMP-01): 1 of 1 used" in parts.text and "S/N SN-778" in parts.text
    await li.press("Next ▶")
    assert "Send photos of the finished work" in (await li.reply()).text
    await li.press("Done with photos")
    assert "What did you do?" in (await li.reply()).text
    await li.send("Replaced the compressor, refilled the gas")
    confirm = await li.reply()
    assert "Compressor (CMP-01), S/N SN-778" in confirm.text and "Amount: ¥530.00" in confirm.text
    await li.press("✅ Complete the job")
    done = await li.reply()
    assert f"Job {number} is completed. Amount: ¥530.00" in done.text
    assert done.buttons == [["💵 Cash", "📲 Transfer"], ["📄 Open the job"]]

    report = await until(ann, "report")
    assert "Compressor, S/N SN-778: ¥450.00 — warranty until 2027-11-25" in report.text
    assert "Total ¥530.00" in report.text
    assert await van_level(bot, LI, "CMP-01") == 1  # two in the van, one fitted
    async with bot.desk.uow() as uow:
        order = await uow.session.get(type(await order_row(bot, number)),
                                      (await order_row(bot, number)).id)
        [issued] = (await uow.session.scalars(select(StockMovement).where(
            StockMovement.kind == "issue"))).all()
        [fitted] = (await uow.session.scalars(select(ReplacedPart))).all()
    assert (issued.quantity, issued.order_id) == (-1, order.id)
    assert (fitted.serial, str(fitted.warranty_until)) == ("SN-778", "2027-11-25")

    await li.press("💵 Cash")
    paid = await li.reply()
    assert f"Job {number} is paid (💵 Cash, ¥530.00) and closed" in paid.text
    order = await order_row(bot, number)
    assert (order.status, order.payment_method, order.final_amount) == ("closed", "cash", 53000)
    await li.send("/jobs")
    assert "No open jobs" in (await until(li, "Your jobs")).text


async def test_a_declined_quote_ends_the_visit_and_the_technician_is_told(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, category="Refrigerator", brand="Haier")
    await assign(bot, number, LI)
    await on_site(bot, LI, number, diagnosed=True)
    li = telegram.user(LI, "Li")
    card = await open_job(li, number)
    assert "Found: Compressor relay burnt out" in card.text
    assert card.buttons[0] == ["🔍 Diagnose", "💰 Quote"]
    await li.press("💰 Quote")
    await li.reply()
    # Typed labour: a description, then an amount in yuan (checked).
    await li.press("✍️ Other work")
    assert "Describe the work" in (await li.reply()).text
    await li.send("x")
    assert "at least 2 characters" in (await li.reply()).text
    await li.send("Leak test <full> & report")
    assert "How much for “Leak test <full> & report”?" in (await li.reply()).text
    await li.send("a lot")
    assert "amount in yuan" in (await li.reply()).text
    await li.send("120.5")
    draft = await li.reply()
    assert "1. Leak test <full> & report × 1: ¥120.50" in draft.text
    await li.press("➕ Labour")
    await li.reply()
    await li.press("Call-out · ¥50.00")
    await li.reply()
    await li.send("2")
    draft = await li.reply()
    assert "2. Call-out × 2: ¥100.00" in draft.text and "Total ¥220.50" in draft.text
    # Removing a line: the call-out goes.
    await li.press("🗑 Remove a line")
    removal = await li.reply()
    assert removal.buttons[:2] == [["1. Leak test <full> & report × 1 · ¥120.50"],
                                   ["2. Call-out × 2 · ¥100.00"]]
    await li.press("2. Call-out × 2 · ¥100.00")
    draft = await li.reply()
    assert "Call-out" not in draft.text and "Total ¥120.50" in draft.text
    await li.press("📤 Send ¥120.50 to the customer")
    await li.reply()
    pressed = await li.press_data(draft.callback_data["💾 Finish later"], message=draft)  # old message
    assert await answer_to(li, pressed) == STALE

    quote = await until(ann, "Quote for order")
    assert "Leak test &lt;full&gt; &amp; report" in quote.html
    await ann.press("✖ Decline")
    confirm = await until(ann, "Decline the quote")
    assert (await order_row(bot, number)).status == "awaiting_approval"  # not yet
    assert confirm.buttons == [["🔄 Ask for a different quote"], ["✖ Decline, diagnosis only"],
                               ["↩️ Back to the quote"]]
    await ann.press("✖ Decline, diagnosis only")
    await until(ann, "declined")
    told = await until(li, "declined the quote")
    assert f"Order {number}: the customer declined the quote" in told.text
    order = await order_row(bot, number)
    assert (order.status, order.final_amount) == ("closed", None)
    await li.send("/jobs")
    assert "No open jobs" in (await until(li, "Your jobs")).text
    pressed = await li.press_data(card.callback_data["💰 Quote"], message=card)  # the old card
    assert await answer_to(li, pressed) == STALE


async def test_using_more_parts_than_approved_needs_a_revised_quote(telegram, bot, clock):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot, van_of=LI)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, category="Refrigerator", brand="Haier")
    await assign(bot, number, LI)
    await on_site(bot, LI, number, diagnosed=True)
    await quote_sent(bot, LI, number)  # labour ¥80 + one compressor ¥450
    await until(ann, "Quote for order")
    await ann.press("✅ Approve")
    li = telegram.user(LI, "Li")
    await until(li, "approved the quote")
    clock.advance(minutes=40)  # at work on it

    await open_job(li, number)
    await li.press("✅ Complete")
    await li.reply()
    await li.press("➕ Compressor (0/1)")
    await li.reply()
    await li.send("SN-1")
    await li.reply()
    await li.press("➕ Compressor (1/1)")  # a second one: more than approved
    refused = await li.reply()
    assert "The approved quote allows 1 × Compressor; you cannot use more." in refused.text
    assert refused.buttons[:2] == [["📝 Build a revised quote"], ["◀ Back to the parts"]]
    await li.press("◀ Back to the parts")
    await li.reply()
    await li.press("➕ A part not on the quote")
    await li.reply()
    await li.send("THERM")
    await li.reply()
    await li.press("Thermostat · THERM-02 · ¥80.00")
    refused = await li.reply()
    assert "Thermostat is not on the approved quote." in refused.text

    # The revised quote starts as a copy of the approved one; a compressor is added.
    await li.press("📝 Build a revised quote")
    draft = await li.reply()
    assert "(revised, version 2)" in draft.text and "Total ¥530.00" in draft.text
    # Finishing the revision later goes back to the completion, with what was noted.
    await li.press("💾 Finish later")
    closed, parts = await li.replies(2)
    assert "kept as a draft" in closed.text
    assert "Compressor (CMP-01): 1 of 1 used" in parts.text and "S/N SN-1" in parts.text
    await li.press("➕ Compressor (1/1)")
    await li.reply()
    await li.press("📝 Build a revised quote")
    draft = await li.reply()
    assert "(revised, version 2)" in draft.text and "Total ¥530.00" in draft.text
    await li.press("➕ Part")
    await li.reply()
    await li.send("cmp-01")
    await li.reply()
    await li.press("Compressor · CMP-01 · ¥450.00")
    await li.reply()
    await li.press("1")
    draft = await li.reply()
    assert "3. Compressor (CMP-01) × 1: ¥450.00" in draft.text and "Total ¥980.00" in draft.text
    await li.press("📤 Send ¥980.00 to the customer")
    sent, waiting = await li.replies(2)
    assert "Quote v2" in sent.text
    # What was noted before the revision waits for the customer's approval, not forgotten.
    assert "The parts you noted are kept" in waiting.text and "S/N SN-1" in waiting.text
    revised = await until(ann, "(revised, version 2)")
    assert f"Quote for order {number}" in revised.text and "Total ¥980.00" in revised.text
    assert (await order_row(bot, number)).status == "awaiting_approval"
    await ann.press("✅ Approve")
    await until(li, "approved the quote")

    await open_job(li, number)
    await li.press("✅ Complete")
    parts = await li.reply()
    assert "Compressor (CMP-01): 1 of 2 used" in parts.text and "S/N SN-1" in parts.text
    await li.press("➕ Compressor (1/2)")
    await li.reply()
    await li.send("SN-2")
    await li.reply()
    await li.press("Next ▶")
    await li.reply()
    await li.press("Done with photos")
    await li.reply()
    await li.press("Skip")
    confirm = await li.reply()
    assert "Amount: ¥980.00" in confirm.text
    await li.press("✅ Complete the job")
    assert "Amount: ¥980.00" in (await li.reply()).text
    report = await until(ann, "report")
    assert "S/N SN-1" in report.text and "S/N SN-2" in report.text
    assert await van_level(bot, LI, "CMP-01") == 0
    order = await order_row(bot, number)
    assert (order.status, order.final_amount, order.quote_total) == ("completed", 98000, 98000)


async def test_parts_missing_puts_the_job_on_hold_and_tells_the_manager(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot)
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, category="Refrigerator", brand="Haier")
    await assign(bot, number, LI)
    await on_site(bot, LI, number)
    li = telegram.user(LI, "Li")
    await open_job(li, number)
    await li.press("📦 Parts missing")
    ask = await li.reply()
    assert "Type a SKU or part of a name" in ask.text
    assert ask.buttons == [["📝 Add a note"], ["✖ Stop"]]  # nothing to report yet
    await li.send("nothing like this")
    assert "No part matches “nothing like this”" in (await li.reply()).text
    await li.send("therm")
    await li.reply()
    await li.press("Thermostat · THERM-02 · ¥80.00")
    await li.reply()
    await li.send("2")
    menu = await li.reply()
    assert "• 2 × Thermostat (THERM-02)" in menu.text
    await li.press("📝 Add a note")
    await li.reply()
    await li.send("Also the <door> seal & hinge")
    menu = await li.reply()
    assert "Note: Also the <door> seal & hinge" in menu.text
    await li.press("📤 Report missing parts")
    assert f"Job {number} is waiting for parts" in (await li.reply()).text

    order = await order_row(bot, number)
    assert order.status == "waiting_parts"
    async with bot.desk.uow() as uow:
        event = (await uow.session.scalars(select(OrderEvent).order_by(OrderEvent.id))).all()[-1]
        missing = (await uow.session.scalars(select(MissingPart))).all()
    assert (event.action, event.note) == ("parts_missing",
                                         "2 × THERM-02; Also the <door> seal & hinge")
    assert [(m.quantity, m.note) for m in missing] == [
        (2, None), (None, "Also the <door> seal & hinge")]
    assert number in (await until(boss, number)).text
    await until(ann, number)  # told the visit will be rescheduled
    card = await open_job(li, number)
    assert "Status: Waiting for parts" in card.text
    assert card.buttons == [["📋 All my jobs"]]


async def test_an_installation_is_completed_with_its_checklist_and_a_photo(telegram, bot, clock):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await sales_order(bot.desk, number="S-2026-0042", phone="+8613900139000")
    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/deliver")
    await ann.reply()
    await ann.send("S-2026-0042")
    await ann.reply()
    await ann.send("13900139000")
    await ann.replies(2)
    await ann.press("8 Century Ave, Pudong, flat 1201")
    await ann.press("Wed 25 Nov", message=await ann.reply())
    await ann.press("13:00–17:00", message=await ann.reply())
    await ann.reply()
    await ann.press("✅ Confirm")
    number = (await ann.reply()).text.split("order number is ")[1].split(".")[0]
    await assign(bot, number, LI)
    li = telegram.user(LI, "Li")
    await until(li, "New job")
    card = await open_job(li, number)
    assert f"Job {number} · Delivery and installation" in card.text
    clock.at = at(WED, 13, 5)
    await drained(bot, li)  # the note that the job starts soon, before Li acts
    await li.press("🚗 On my way")
    await until(li, "Status: On the way")
    await li.press("📍 Arrived")
    card = await until(li, "Status: On site")
    # A delivery offers the handover check first; completing does not wait for it.
    assert card.buttons[:2] == [["📦 Handover check"], ["✅ Complete", "📦 Parts missing"]]

    await li.press("✅ Complete")
    asked = await li.reply()
    assert "Installation checklist" in asked.text and "Delivered?" in asked.text
    assert asked.message_id == card.message_id  # the card became the first question
    await li.press("✅ Yes")
    question = await li.reply()
    assert "(2/4)" in question.text and "Installed?" in question.text
    await li.press("❌ No")
    refused, again = await li.replies(2)
    assert "“Installed” must be done before" in refused.text and "Installed?" in again.text
    pressed = await li.press_data(question.callback_data["✅ Yes"], message=question)  # the older one
    assert await answer_to(li, pressed) == STALE
    await li.press("✅ Yes")
    await li.reply()
    await li.press("✅ Yes")  # tested
    await li.reply()
    await li.press("❌ No")  # old unit not taken away: allowed
    photos = await li.reply()
    assert "at least one photo" in photos.text
    await li.press("Done with photos")
    assert "needs at least one photo" in (await li.reply()).text
    await li.send("no photo, sorry")
    assert "Done with photos" in (await li.reply()).text
    await li.send_photo()
    await li.reply()
    await li.press("Done with photos")
    await li.reply()
    await li.press("Skip")
    confirm = await li.reply()
    assert "Old unit taken away: no" in confirm.text and "Photos: 1" in confirm.text
    assert "Amount: ¥0.00" in confirm.text
    await li.press("✅ Complete the job")
    done = await li.reply()
    assert done.buttons[0] == ["💵 Cash", "📲 Transfer", "🛡 Waived (warranty)"]
    await until(ann, "report")
    await li.press("🛡 Waived (warranty)")
    assert "is paid (🛡 Waived (warranty), ¥0.00) and closed" in (await li.reply()).text
    async with bot.desk.uow() as uow:
        completion = (await uow.session.scalars(select(Completion))).one()
    assert completion.checklist == {"delivered": True, "installed": True, "tested": True,
                                    "old_unit_removed": False}
    assert len(completion.photos) == 1 and completion.amount == 0
    order = await order_row(bot, number)
    assert (order.status, order.payment_method) == ("closed", "waived")


async def test_a_warranty_job_is_priced_at_zero(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot, van_of=LI)
    ann = await registered_customer(telegram, 1001, "Ann")
    async with bot.desk.uow() as uow:  # an earlier repair, at an address with a location
        customer = await people.find_user(uow, 1001)
        first = await booking.book_repair(
            uow, customer, category="refrigerator", brand="Haier", model="BCD-470",
            description="Not cooling", address="Pudong, 1 Century Ave", latitude=31.2304,
            longitude=121.4737, day="2026-11-25", window="09-12")
        await uow.commit()
    await assign(bot, first.number, LI)
    await on_site(bot, LI, first.number, diagnosed=True)
    await quote_sent(bot, LI, first.number)
    await act(bot, 1001, first.number, quotes.approve_quote)
    await act(bot, LI, first.number, job_completion.complete, [("CMP-01", 1, "SN-OLD")])
    await act(bot, LI, first.number, jobs.settle, "cash")
    async with bot.desk.uow() as uow:  # the customer claims the compressor's warranty
        customer = await people.find_user(uow, 1001)
        [covered] = await warranty.parts_under_warranty(uow, customer, first.id)
        claim = await warranty.open_warranty_claim(
            uow, customer, first.id, [covered.replaced_part_id], "Not cooling again",
            day="2026-11-26", window="13-17")
        await uow.commit()
    await assign(bot, claim.number, LI)
    await on_site(bot, LI, claim.number, diagnosed=True)

    li = telegram.user(LI, "Li")
    await drained(bot, li)  # the notifications of all that
    card = await open_job(li, claim.number)
    assert f"Job {claim.number} · Warranty repair" in card.text
    assert "Warranty claimed for: CMP-01" in card.text
    assert ('<a href="https://maps.google.com/?q=31.230400,121.473700">Pudong, 1 Century Ave</a>'
            in card.html)
    # /cancel leaves a flow and keeps nothing of it.
    await li.press("🔍 Diagnose")
    await li.reply()
    await li.send("/cancel")
    stopped = await li.reply()
    assert f"Stopped (job {claim.number}). Nothing was saved." in stopped.text
    await li.send("Compressor dead again")
    assert "did not understand" in (await li.reply()).text

    await li.press("📄 Open the job", message=stopped)  # the card became the question: again
    card = await until(li, f"Job {claim.number} · Warranty repair")
    await li.press("💰 Quote", message=card)
    await li.reply()
    await li.press("➕ Part")
    await li.reply()
    await li.send("CMP")
    await li.reply()
    await li.press("Compressor · CMP-01 · ¥450.00")
    await li.reply()
    await li.press("1")
    draft = await li.reply()
    assert "1. Compressor (CMP-01) × 1: ¥0.00 warranty (list ¥450.00)" in draft.text
    await li.press("➕ Labour")
    await li.reply()
    await li.press("Repair labour · ¥80.00")
    await li.reply()
    await li.press("1")
    draft = await li.reply()
    assert "2. Repair labour × 1: ¥0.00 warranty (list ¥80.00)" in draft.text
    assert "Total ¥0.00" in draft.text
    await li.press("📤 Send ¥0.00 to the customer")
    await li.reply()
    quote = await until(ann, f"Quote for order {claim.number}")
    assert "Total ¥0.00" in quote.text and "(warranty)" in quote.text
    async with bot.desk.uow() as uow:
        [sent] = (await uow.session.scalars(select(Quote).where(
            Quote.order_id == claim.id))).all()
        assert [(line.unit_price, line.warranty) for line in sent.lines] == [
            (0, True), (0, True)]


async def test_a_technician_sees_only_their_own_jobs_and_a_deactivated_one_nothing(
        telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await technician(bot.desk, WANG, "Wang Fang", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, category="Refrigerator", brand="Haier",
                               address="Ann's secret address")
    await assign(bot, number, LI)
    order = await order_row(bot, number)
    wang = telegram.user(WANG, "Wang")
    await wang.send("/jobs")
    mine = await until(wang, "Your jobs")
    assert "No open jobs" in mine.text
    for typed in (f"/status {number}", "/status R-9999"):
        await wang.send(typed)
        assert (await wang.reply()).text == NOT_FOUND
    for data in (f"jb:v:{order.id}", f"jb:a:{order.id}", f"jb:d:{order.id}",
                 f"jb:dr:{order.id}:busy", f"jb:dr:{order.id}:other", f"jb:t:{order.id}",
                 f"jb:ar:{order.id}", f"jb:dg:{order.id}", f"jb:q:{order.id}",
                 f"jb:c:{order.id}", f"jb:miss:{order.id}", f"jb:ph:{order.id}",
                 f"jb:pay:{order.id}", f"jb:paid:{order.id}:cash", "jb:v:999999"):
        await wang.press_data(data, message=mine)
        assert (await wang.reply()).text == GONE, data
    pressed = await wang.press_data("jb:v:R-1001", message=mine)  # not even an id: out of date
    assert await answer_to(wang, pressed) == STALE
    await wang.send("Compressor burnt")  # no flow was started for them
    assert "did not understand" in (await wang.reply()).text
    assert not any("secret" in line for line in wang.transcript)
    async with bot.desk.uow() as uow:
        events = (await uow.session.scalars(select(OrderEvent).where(
            OrderEvent.order_id == order.id))).all()
    assert [e.action for e in events] == ["create", "assign"]

    # Li sets off, then is deactivated: the job under way stays his, but he can do nothing.
    li = telegram.user(LI, "Li")
    card = await open_job(li, number)
    await li.press("🚗 On my way")
    await until(li, "not today")  # booked for tomorrow: asked first
    await li.press("🚗 Yes, I am on my way now")
    card = await until(li, f"Job {number}")
    async with bot.desk.uow() as uow:
        boss = await people.ensure_user(uow, MANAGER_ID)
        li_row = await people.find_user(uow, LI)
        await staff.deactivate_staff(uow, boss, li_row.id)
        await uow.commit()
    await li.press("📍 Arrived", message=card)
    assert (await until(li, "")).text == GONE
    await li.send("/jobs")
    assert "Only active technicians can do that." in (await until(li, "technicians")).text
    assert (await order_row(bot, number)).status == "en_route"


async def test_declining_an_assignment_asks_a_reason_and_tells_the_manager(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    ann = await registered_customer(telegram, 1001, "Ann")
    first = await book_repair(ann, category="Refrigerator", brand="Haier")
    second = await book_repair(ann, category="Refrigerator", brand="Midea",
                               day="Thu 26 Nov")
    await assign(bot, first, LI)
    await assign(bot, second, LI)
    li = telegram.user(LI, "Li")
    await until(li, "New job")
    await until(li, "New job")

    await open_job(li, first)
    await li.press("✖ Decline")
    reasons = await li.reply()
    assert f"Why can you not take job {first}?" in reasons.text
    assert reasons.buttons[-1] == ["◀ Keep the job"]
    await li.press("◀ Keep the job")
    assert f"Job {first}" in (await li.reply()).text
    await li.press("✖ Decline")
    await li.reply()
    await li.press("Another job runs over")
    assert f"You declined job {first} (Another job runs over)" in (await li.reply()).text

    await open_job(li, second)
    await li.press("✖ Decline")
    await li.reply()
    await li.press("Another reason (type it)")
    assert "Type why you cannot take job" in (await li.reply()).text
    await li.send("x")
    assert "at least 2 characters" in (await li.reply()).text
    await li.send("Van broke down <again> & is in the garage")
    declined = await li.reply()
    assert "(Van broke down <again> & is in the garage)" in declined.text

    for number, note in ((first, "Another job runs over"),
                         (second, "Van broke down <again> & is in the garage")):
        order = await order_row(bot, number)
        assert (order.status, order.technician_id) == ("new", None)
        async with bot.desk.uow() as uow:
            event = (await uow.session.scalars(select(OrderEvent).where(
                OrderEvent.order_id == order.id).order_by(OrderEvent.id))).all()[-1]
        assert (event.action, event.note) == ("unassign", note)
        await until(boss, number)  # the manager is told
    await li.send("/jobs")
    assert "No open jobs" in (await until(li, "Your jobs")).text


async def test_a_quote_half_built_survives_a_restart(telegram, bots):
    bot = await bots.start()
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, category="Refrigerator", brand="Haier")
    await assign(bot, number, LI)
    await on_site(bot, LI, number, diagnosed=True)
    li = telegram.user(LI, "Li")
    await open_job(li, number)
    await li.press("💰 Quote")
    await li.reply()
    await li.press("➕ Part")
    await li.reply()
    await li.send("cmp")
    await li.reply()
    await li.press("Compressor · CMP-01 · ¥450.00")
    await li.reply()
    await li.press("2")
    before = await li.reply()
    assert "Total ¥900.00" in before.text
    await li.press("➕ Part")
    await li.reply()

    bot = await bots.restart(bot)
    await li.send("therm")  # the step it was at: searching for a part
    results = await li.reply()
    assert "Parts matching “therm”: 1" in results.text
    await li.press("Thermostat · THERM-02 · ¥80.00")
    await li.reply()
    await li.press("1")
    draft = await li.reply()
    assert "1. Compressor (CMP-01) × 2: ¥900.00" in draft.text
    assert "2. Thermostat (THERM-02) × 1: ¥80.00" in draft.text and "Total ¥980.00" in draft.text
    pressed = await li.press_data(before.callback_data["📤 Send ¥900.00 to the customer"], message=before)
    assert await answer_to(li, pressed) == STALE
    await li.press("📤 Send ¥980.00 to the customer")
    await li.reply()
    quote = await until(ann, "Quote for order")
    assert "Total ¥980.00" in quote.text
    assert (await order_row(bot, number)).status == "awaiting_approval"
