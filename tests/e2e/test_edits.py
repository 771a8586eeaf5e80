"""People edit what they sent. A correction of an answer the open question refused is taken as
the answer; an edit of anything older gets a polite note and changes nothing. Never an error.
And a press the bot refuses is answered once."""
from __future__ import annotations

from tests.e2e.people import registered_customer, sales_order, technician

NOTE = "I only read new messages, so that edit was not taken"
TOO_LONG = "x" * 200


async def edit_is_noted(who, message) -> None:
    """Edits an older answer: a note, nothing else."""
    await who.edit(message, "changed my mind")
    assert NOTE in (await who.reply()).text


async def test_edits_at_every_text_step_of_registration_and_booking(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["tv"], areas=["Pudong"])
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    await ann.reply()
    wrong = await ann.send(TOO_LONG)  # the name step refuses it ...
    assert "too long" in (await ann.reply()).text
    await ann.edit(wrong, "Ann")  # ... and the corrected message is the answer
    assert "phone number" in (await ann.reply()).text
    await edit_is_noted(ann, wrong)
    typed = await ann.send("12345")  # the phone step: refused, then corrected
    assert "phone" in (await ann.reply()).text.lower()
    await ann.edit(typed, "13800138000")
    assert "You are registered" in (await ann.replies(2))[0].text
    await edit_is_noted(ann, typed)  # outside any conversation too

    await ann.send("/book")
    await ann.reply()
    await ann.press("TV")
    await ann.reply()
    await ann.press("Other…")
    await ann.reply()
    brand = await ann.send(TOO_LONG)  # typed brand
    await ann.reply()
    await ann.edit(brand, "Konka")
    assert "model" in (await ann.reply()).text
    model = await ann.send(TOO_LONG)
    await ann.reply()
    await ann.edit(model, "LED32")
    assert "serial number" in (await ann.reply()).text
    await edit_is_noted(ann, model)
    serial = await ann.send(TOO_LONG)
    await ann.reply()
    await ann.edit(serial, "SN-1")
    assert "What is wrong" in (await ann.reply()).text
    problem = await ann.send("bad")  # shorter than the minimum
    await ann.reply()
    await ann.edit(problem, "No picture, only sound")
    assert "photos" in (await ann.reply()).text
    await edit_is_noted(ann, problem)
    await ann.press("Done with photos")
    await ann.reply()
    address = await ann.send("y" * 400)
    await ann.reply()
    await ann.edit(address, "8 Century Ave, Pudong")
    await ann.replies(2)  # the phone keyboard's note and the question
    phone = await ann.send("12345")
    await ann.reply()
    await ann.edit(phone, "13900139000")
    noted, day = await ann.replies(2)
    assert "+86 139 0013 9000" in noted.text and "Which day" in day.text
    await edit_is_noted(ann, address)
    await ann.press("Wed 25 Nov")
    await ann.reply()
    await ann.press("09:00–12:00")
    summary = await ann.reply()
    assert "Konka" in summary.text and "LED32" in summary.text and "SN-1" in summary.text
    assert "No picture, only sound" in summary.text and "8 Century Ave" in summary.text
    await ann.press("✅ Confirm")
    assert "Booked" in (await ann.reply()).text
    transcript = ann.transcript_text()
    assert "went wrong" not in transcript


async def test_edits_in_delivery_booking(telegram, bot):
    await sales_order(bot.desk)
    bob = await registered_customer(telegram, 1002, "Bob", phone="+8613900139000")
    await bob.send("/deliver")
    await bob.reply()
    number = await bob.send(TOO_LONG)
    await bob.reply()
    await bob.edit(number, "S-2026-0042")
    await bob.reply()
    phone = await bob.send("12")
    await bob.reply()
    await bob.edit(phone, "13900139000")
    found = await bob.reply()
    assert "S-2026-0042" in found.text
    assert "went wrong" not in bob.transcript_text()


async def test_a_refused_press_is_answered_once(telegram, bot):
    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/book")
    first = await ann.reply()
    await ann.press("✖ Cancel")
    await ann.reply()
    answers = len(ann.answers)
    await ann.press("TV", message=first)  # the booking is over: out of date
    await ann.press_data("or:v:999999")  # no such order
    await ann.press_data("dp:a:1:2")  # a manager's button, pressed by a customer
    await ann.settle(quiet=0.5)
    assert len(ann.answers) - answers == 3  # one answer each, never two
    assert "went wrong" not in ann.transcript_text()
