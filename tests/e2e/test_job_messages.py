"""A job's chat stays readable: a press on the job card or on a flow's question turns that
message into what comes next (Telegram's convention) instead of a new message below; a typed
answer gets a new one; when Telegram refuses the edit, a new message comes instead.

Before this, one job from "accept" to "paid" sent the technician about 30 messages; now seven, and the card they look at shows where the job stands."""
from datetime import date

from core import jobs, quotes
from tests.e2e.job_steps import (
    LI,
    act,
    answer_to,
    assign,
    catalogue_and_stock,
    drained,
    order_row,
    until,
)
from tests.e2e.people import registered_customer, technician
from tests.e2e.staff_acts import booked_through_core
from tests.workshop import at

WED = date(2026, 11, 25)
EDIT_REFUSED = "Bad Request: message can't be edited"


def new_messages(who, since: int) -> list[str]:
    """The bot's new messages (not edits) in `who`'s chat since transcript line `since`."""
    return [line for line in who.transcript[since:] if line.startswith("< bot:")]


async def test_one_job_from_accept_to_paid_is_a_handful_of_messages(telegram, bot, clock):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot, van_of=LI)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await booked_through_core(bot, 1001)
    await assign(bot, number, LI)
    li = telegram.user(LI, "Li")
    await until(li, "New job")
    clock.at = at(WED, 9, 0)
    await drained(bot, li)  # the morning's notices, before Li starts
    start = len(li.transcript)

    await li.send("/jobs")
    listing = await until(li, "Your jobs")
    await li.press(listing.buttons[0][0], message=listing)
    card = await until(li, f"Job {number} · Repair")
    for button, status in (("✅ Accept", "Status: Scheduled"), ("🚗 On my way", "On the way"),
                           ("📍 Arrived", "Status: On site")):
        pressed = await li.press(button, message=card)
        card = await until(li, status)
        assert card.edited and card.message_id == listing.message_id  # the same card
        await li.settle()
        assert len([a for a in li.answers if a["query_id"] == pressed]) == 1

    # Diagnosis from the card: the card becomes the question; the typed fault, a new message.
    await li.press("🔍 Diagnose", message=card)
    question = await until(li, "What fault did you find?")
    assert question.edited and question.message_id == card.message_id
    await li.send("Compressor relay burnt out")
    photos = await until(li, "Send photos of the fault")
    assert not photos.edited
    await li.press("Done with photos", message=photos)
    saved = await until(li, "Compressor relay burnt out")
    assert saved.message_id == photos.message_id

    # The quote builder: every press replaces the screen; a typed search answers below it.
    await li.press("💰 Quote", message=saved)
    draft = await until(li, f"Quote for job {number}")
    await li.press("➕ Labour", message=draft)
    await li.press("Repair labour · ¥80.00", message=await until(li, "labour"))
    await li.press("1", message=await until(li, "How many"))
    draft = await until(li, "Total ¥80.00")
    assert draft.message_id == saved.message_id
    await li.press("➕ Part", message=draft)
    await until(li, "Type the SKU")
    await li.send("compr")
    results = await until(li, "Parts matching")
    assert not results.edited
    await li.press("Compressor · CMP-01 · ¥450.00", message=results)
    await li.press("1", message=await until(li, "How many"))
    draft = await until(li, "Total ¥530.00")
    assert draft.message_id == results.message_id
    await li.press("📤 Send ¥530.00 to the customer", message=draft)
    await until(li, "sent to the customer")
    await act(bot, 1001, number, quotes.approve_quote)
    await until(li, "approved the quote")

    # Completion: the parts screen, the serial typed, photos skipped, the note typed, paid.
    await li.send("/jobs")
    listing = await until(li, "Your jobs")
    await li.press(listing.buttons[0][0], message=listing)
    card = await until(li, f"Job {number} · Repair")
    await li.press("✅ Complete", message=card)
    parts = await until(li, "0 of 1 used")
    assert parts.message_id == card.message_id
    await li.press("➕ Compressor (0/1)", message=parts)
    await until(li, "Serial number")
    await li.send("SN-778")
    parts = await until(li, "1 of 1 used")
    await li.press("Next ▶", message=parts)
    photos = await until(li, "Send photos of the finished work")
    assert photos.message_id == parts.message_id
    await li.press("Done with photos", message=photos)
    await until(li, "What did you do?")
    await li.send("Replaced the compressor")
    confirm = await until(li, "Amount: ¥530.00")
    await li.press("✅ Complete the job", message=confirm)
    done = await until(li, "is completed")
    assert done.message_id == confirm.message_id
    await li.press("💵 Cash", message=done)
    paid = await until(li, "is paid")
    assert paid.message_id == confirm.message_id
    assert (await order_row(bot, number)).status == "closed"
    await li.settle()

    sent = new_messages(li, start)
    # Measured: 7 (two job lists, what follows the three typed answers, the search results,
    # the "quote approved" notice), where every step used to send its own (about 30).
    assert len(sent) <= 10, "\n".join(sent)
    # Every press answered exactly once.
    presses = [a["query_id"] for a in li.answers]
    assert len(presses) == len(set(presses))
    await drained(bot, ann)


async def test_a_card_telegram_will_not_edit_comes_as_a_new_message(telegram, bot, clock):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await registered_customer(telegram, 1001, "Ann")
    number = await booked_through_core(bot, 1001)
    await assign(bot, number, LI)
    li = telegram.user(LI, "Li")
    await until(li, "New job")
    await li.send("/jobs")
    listing = await until(li, "Your jobs")
    await li.press(listing.buttons[0][0], message=listing)
    card = await until(li, f"Job {number} · Repair")

    telegram.fail_next("editMessageText", status=400, description=EDIT_REFUSED)
    pressed = await li.press("✅ Accept", message=card)
    fresh = await until(li, "Status: Scheduled")
    assert not fresh.edited and fresh.message_id != card.message_id
    assert "not accepted yet" not in fresh.text and fresh.buttons[0][0] == "🚗 On my way"
    assert await answer_to(li, pressed) == "Accepted."
    await li.settle()
    assert len([a for a in li.answers if a["query_id"] == pressed]) == 1

    # In a flow too: the press on the question moves on; the refused edit, a new message.
    await act(bot, LI, number, jobs.start_trip)
    await act(bot, LI, number, jobs.arrive)
    await li.press("📋 All my jobs", message=fresh)
    listing = await until(li, "Your jobs")
    await li.press(listing.buttons[0][0], message=listing)
    card = await until(li, "Status: On site")
    telegram.fail_next("editMessageText", status=400, description=EDIT_REFUSED)
    await li.press("🔍 Diagnose", message=card)
    question = await until(li, "What fault did you find?")
    assert not question.edited
    await li.send("Compressor relay burnt out")
    assert "Send photos of the fault" in (await li.reply()).text
