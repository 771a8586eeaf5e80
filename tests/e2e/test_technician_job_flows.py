"""The technician's job flows on the conversation engine: a typed answer corrected by editing
the message is taken at every step that takes text (an edit of anything older is politely not
read), full-width digits and "¥" are understood, and a press that core refuses is answered
exactly once, the step kept.

The tests' clock stands at Tue 24 Nov 2026, 10:00 in Shanghai."""
from core import booking, catalogue, job_completion, people, quotes
from tests.e2e.job_steps import (
    LI,
    WANG,
    act,
    answer_to,
    assign,
    catalogue_and_stock,
    on_site,
    open_job,
    order_row,
    quote_sent,
    until,
)
from tests.e2e.people import registered_customer, technician

NOT_READ = "I only read new messages"
STALE = "This button is out of date. Please use the latest message."


async def booked(bot, window: str, brand: str = "Haier") -> str:
    async with bot.desk.uow() as uow:
        customer = await people.find_user(uow, 1001)
        order = await booking.book_repair(
            uow, customer, category="refrigerator", brand=brand, description="Not cooling",
            address="Pudong, 1 Century Ave", day="2026-11-25", window=window)
        await uow.commit()
    return order.number


def answers_to(who, press_id: str) -> list:
    return [a for a in who.answers if a["query_id"] == press_id]


async def test_corrections_by_edit_are_taken_at_every_text_step(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot)  # no compressor in stock anywhere
    await registered_customer(telegram, 1001, "Ann")
    first, second, third = [await booked(bot, w, b) for w, b in (
        ("09-12", "Haier"), ("13-17", "Midea"), ("17-20", "Gree"))]
    for number in (first, second, third):
        await assign(bot, number, LI)
    li = telegram.user(LI, "Li")
    for _ in range(3):  # before the jobs move on (a notice the job has passed is not sent)
        await until(li, "New job")
    await on_site(bot, LI, first)
    await on_site(bot, LI, second)

    # Diagnosis: the fault, too short, then corrected in place.
    await open_job(li, first)
    await li.press("🔍 Diagnose")
    await li.reply()
    typed = await li.send("bad")
    assert "at least 5 characters" in (await li.reply()).text
    await li.edit(typed, "Compressor relay burnt out")
    assert "Send photos of the fault" in (await li.reply()).text
    await li.edit(typed, "Something else")  # older than the photo question: not read
    assert NOT_READ in (await li.reply()).text
    await li.press("Done with photos")
    assert "Compressor relay burnt out" in (await li.reply()).text

    # The quote: a quantity typed with a space, corrected to a full-width digit.
    await li.press("💰 Quote")
    await li.reply()
    await li.press("➕ Part")
    await li.reply()
    await li.send("cmp")
    await li.reply()
    await li.press("Compressor · CMP-01 · ¥450.00")
    await li.reply()
    typed = await li.send("1 2")
    assert "whole number from 1 to 99" in (await li.reply()).text
    await li.edit(typed, "１")
    draft = await li.reply()
    assert "1. Compressor (CMP-01) × 1: ¥450.00" in draft.text
    # Typed labour: the description and the amount, each corrected.
    await li.press("✍️ Other work")
    await li.reply()
    typed = await li.send("x")
    assert "at least 2 characters" in (await li.reply()).text
    await li.edit(typed, "Leak test")
    assert "How much for “Leak test”?" in (await li.reply()).text
    typed = await li.send("300.505")
    assert "amount in yuan" in (await li.reply()).text
    await li.edit(typed, "￥３００．５")
    draft = await li.reply()
    assert "2. Leak test × 1: ¥300.50" in draft.text and "Total ¥750.50" in draft.text
    # A search is no refusal: editing it afterwards is not read, the results stay.
    await li.press("➕ Part")
    await li.reply()
    typed = await li.send("therm")
    assert "Parts matching “therm”: 1" in (await li.reply()).text
    await li.edit(typed, "cmp")
    assert NOT_READ in (await li.reply()).text
    await li.press("◀ Back")
    await li.reply()
    await li.press("📤 Send ¥750.50 to the customer")
    await li.reply()
    await act(bot, 1001, first, quotes.approve_quote)
    await until(li, "approved the quote")

    # Completion: the serial and the note of the work, each corrected.
    await open_job(li, first)
    await li.press("✅ Complete")
    await li.reply()
    await li.press("➕ Compressor (0/1)")
    await li.reply()
    typed = await li.send("S" * 65)
    assert "at most 64 characters" in (await li.reply()).text
    await li.edit(typed, "SN-9")
    assert "S/N SN-9" in (await li.reply()).text
    await li.press("Next ▶")
    await li.reply()
    await li.press("Done with photos")
    await li.reply()
    typed = await li.send("W" * 1001)
    assert "at most 1000 characters" in (await li.reply()).text
    await li.edit(typed, "Replaced the compressor")
    confirm = await li.reply()
    assert "Replaced the compressor" in confirm.text and "Amount: ¥750.50" in confirm.text
    # Core refuses (no compressor in stock): said once, the press answered once, the step kept.
    pressed = await li.press("✅ Complete the job")
    refused = await li.reply()
    assert "Not enough CMP-01 in stock" in refused.text
    assert await answer_to(li, pressed) is None
    await li.settle()
    assert len(answers_to(li, pressed)) == 1
    assert (await order_row(bot, first)).status == "in_progress"
    pressed = await li.press("✅ Complete the job", message=confirm)  # still the question
    assert "Not enough CMP-01 in stock" in (await li.reply()).text
    assert await answer_to(li, pressed) is None
    await li.settle()
    assert len(answers_to(li, pressed)) == 1

    # Parts missing: the quantity and the note, each corrected.
    await open_job(li, second)
    await li.press("📦 Parts missing")
    await li.reply()
    await li.send("therm")
    await li.reply()
    await li.press("Thermostat · THERM-02 · ¥80.00")
    await li.reply()
    typed = await li.send("0")
    assert "whole number from 1 to 99" in (await li.reply()).text
    await li.edit(typed, "３")
    assert "• 3 × Thermostat (THERM-02)" in (await li.reply()).text
    await li.press("📝 Add a note")
    await li.reply()
    typed = await li.send("N" * 501)
    assert "at most 500 characters" in (await li.reply()).text
    await li.edit(typed, "Door seal too")
    assert "Note: Door seal too" in (await li.reply()).text
    await li.press("📤 Report missing parts")
    assert f"Job {second} is waiting for parts" in (await li.reply()).text

    # Declining with a typed reason, corrected.
    await open_job(li, third)
    await li.press("✖ Decline")
    await li.reply()
    await li.press("Another reason (type it)")
    await li.reply()
    typed = await li.send("x")
    assert "at least 2 characters" in (await li.reply()).text
    await li.edit(typed, "Van broke down")
    assert f"You declined job {third} (Van broke down)" in (await li.reply()).text

    await li.settle()
    assert not any("went wrong" in line for line in li.transcript)


async def test_a_press_on_someone_elses_job_or_an_old_question_is_answered_once(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot)
    await registered_customer(telegram, 1001, "Ann")
    number = await booked(bot, "09-12")
    await assign(bot, number, LI)
    await on_site(bot, LI, number)
    li = telegram.user(LI, "Li")
    card = await open_job(li, number)
    await li.press("🔍 Diagnose")
    question = await li.reply()
    await li.send("Compressor relay burnt out")
    await li.reply()
    pressed = await li.press("✖ Stop", message=question)  # the older question's Stop
    assert await answer_to(li, pressed) == STALE
    await li.settle()
    assert len(answers_to(li, pressed)) == 1
    await li.press("Done with photos")  # the flow went on regardless
    assert "Compressor relay burnt out" in (await li.reply()).text

    await technician(bot.desk, WANG, "Wang Fang", ["refrigerator"], telegram=telegram)
    wang = telegram.user(WANG, "Wang")
    await wang.send("/jobs")
    mine = await until(wang, "Your jobs")
    pressed = await wang.press_data(card.callback_data["🔍 Diagnose"], message=mine)
    assert (await wang.reply()).text == ("That is not available to you (any more). "
                                         "Please use /help to find your way.")
    assert await answer_to(wang, pressed) is None
    await wang.settle()
    assert len(answers_to(wang, pressed)) == 1


async def test_a_serial_twice_in_a_job_is_refused_and_one_fitted_before_is_questioned(
        telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot, van_of=LI, compressors_in_van=3)
    await registered_customer(telegram, 1001, "Ann")
    earlier, later = [await booked(bot, w, b) for w, b in (("09-12", "Haier"), ("13-17", "Midea"))]
    li = telegram.user(LI, "Li")
    for number in (earlier, later):
        await assign(bot, number, LI)
        await until(li, "New job")
        await on_site(bot, LI, number, diagnosed=True)
    compressor = [("part", "CMP-01", 1)]
    await quote_sent(bot, LI, earlier, lines=compressor)
    await act(bot, 1001, earlier, quotes.approve_quote)
    async with bot.desk.uow() as uow:
        part = await catalogue.get_part(uow, "CMP-01")
    await act(bot, LI, earlier, job_completion.complete, [(part, 1, "SN-OLD")])
    await quote_sent(bot, LI, later, lines=[("part", "CMP-01", 2)])
    await act(bot, 1001, later, quotes.approve_quote)

    card = await open_job(li, later)
    await li.press("✅ Complete", message=card)
    await li.press("➕ Compressor (0/2)", message=await until(li, "0 of 2 used"))
    await until(li, "Serial number")
    await li.send("sn-old")  # fitted on the earlier job: asked, not refused
    check = await until(li, f"was already fitted on order {earlier}")
    await li.press("✏️ No, type it again", message=check)
    await until(li, "Serial number")
    await li.send("SN-A")
    await li.press("➕ Compressor (1/2)", message=await until(li, "1 of 2 used"))
    await until(li, "Serial number")
    await li.send("sn-a")  # the same as the first one of this job (letter case aside)
    assert "already noted for another part of this job" in (await li.reply()).text
    await li.send("SN-OLD")
    await li.press("✅ Yes, it is this part's", message=await until(li, "already fitted"))
    parts = await until(li, "2 of 2 used")
    assert "SN-A" in parts.text and "SN-OLD" in parts.text
