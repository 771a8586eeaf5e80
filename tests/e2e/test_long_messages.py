"""Messages built from the longest inputs core accepts still reach the person: the quote
builder's draft with 30 lines of the longest typed work (emoji count twice, markup-looking text
is escaped) stays within Telegram's limit (in parts where it must be), and its buttons still
work."""
from core import quotes
from handlers.texts import MESSAGE_MAX, visible_length
from tests.e2e.job_steps import LI, act, assign, catalogue_and_stock, on_site, open_job, until
from tests.e2e.people import registered_customer, technician
from tests.e2e.staff_acts import booked_through_core


async def test_a_quote_of_thirty_longest_lines_reaches_the_technician_and_works(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await catalogue_and_stock(bot)
    await registered_customer(telegram, 1001, "Ann")
    number = await booked_through_core(bot, 1001)
    await assign(bot, number, LI)
    li = telegram.user(LI, "Li")
    await until(li, "New job")
    await on_site(bot, LI, number, diagnosed=True)
    for n in range(quotes.LINES_MAX):
        work = f"{n:02d} " + "检查&清洁冷凝器<b>📺" * 8  # 100 characters, markup-looking, emoji
        await act(bot, LI, number, quotes.add_typed_labour, work[:quotes.TYPED_MAX], 99_999_99)

    card = await open_job(li, number)
    await li.press("💰 Quote", message=card)
    parts = [await li.reply()]
    while not parts[-1].buttons:
        parts.append(await li.reply())
    assert all(visible_length(p.html) <= MESSAGE_MAX for p in parts)
    assert "".join(p.text for p in parts).count("检查&清洁冷凝器<b>📺") == 30 * 8
    send = next(b for b in parts[-1].button_texts if b.startswith("📤 Send"))
    await li.press(send, message=parts[-1])
    assert "sent to the customer" in (await until(li, "sent to the customer")).text
