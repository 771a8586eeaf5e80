"""What an operator's Prometheus sees at GET /metrics on the webhook port, moved by what
people did: updates by kind, the time to the first reply, database time, reminders, 429s."""
import asyncio

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.booking_steps import book_repair
from tests.e2e.people import registered_customer, technician
from tests.e2e.test_reminder_service import digest_for_managers


async def scrape(bot) -> dict[tuple[str, tuple], float]:
    url = bot.settings.webhook_url.rsplit("/", 1)[0] + "/metrics"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def eventually(bot, check, timeout=15.0):
    for _ in range(int(timeout / 0.2)):
        samples = await scrape(bot)
        if check(samples):
            return samples
        await asyncio.sleep(0.2)
    raise AssertionError(f"metrics never showed it: {samples}")


async def test_metrics_count_what_people_did(telegram, bots):
    bot = await bots.start("webhook")
    before = await scrape(bot)
    assert value(before, "desk_updates_total", kind="command", outcome="ok") == 0
    assert value(before, "process_resident_memory_bytes") > 0

    telegram.fail_next("sendMessage", status=429, retry_after=1)  # Telegram's first answer
    await registered_customer(telegram, 1001, "Ann")  # /start, name, contact
    ann = telegram.user(1001, "Ann")
    await ann.send("/help")
    await ann.reply()

    after = await eventually(
        bot, lambda s: value(s, "desk_updates_total", kind="command", outcome="ok") == 2)
    assert value(after, "desk_updates_total", kind="text", outcome="ok") == 1
    assert value(after, "desk_updates_total", kind="contact", outcome="ok") == 1
    assert value(after, "desk_update_reply_seconds_count") == 4  # each answered
    assert value(after, "desk_update_reply_seconds_sum") > 0
    assert value(after, "desk_update_database_seconds_count") == 4
    assert value(after, "desk_update_database_seconds_sum") > 0  # registering writes rows
    assert value(after, "desk_telegram_429_total", scope="chat") == 1
    assert value(after, "desk_telegram_messages_sent_total", lane="reply") >= 5
    assert value(after, "desk_telegram_messages_sent_total", lane="bulk") == 0


async def test_metrics_follow_reminders_sent_and_held_for_quiet_hours(telegram, bots):
    bot = await bots.start("webhook")
    await digest_for_managers(bot, telegram, 3)
    bot.reminders.wake()
    samples = await eventually(
        bot, lambda s: value(s, "desk_reminders_sent_total", kind="digest") == 3)
    assert value(samples, "desk_reminders_due_total") == 3
    assert value(samples, "desk_telegram_messages_sent_total", lane="bulk") == 3
    assert value(samples, "desk_reminders_failed_total", reason="retry_later") == 0

    # Booked at 10:00 for 09:00 tomorrow: "two hours before" would be 07:00, in quiet hours,
    # so it waits for 08:00.
    await technician(bot.desk, 2001, "Li Lei", ["tv"], telegram=telegram)
    ann = await registered_customer(telegram, 1001, "Ann")
    await book_repair(ann, day="Wed 25 Nov", window="09:00–12:00")
    await eventually(bot, lambda s: value(s, "desk_reminders_held_quiet_hours") == 1)


async def test_a_failed_update_is_counted_as_an_error(telegram, bots):
    bot = await bots.start("webhook")
    ann = telegram.user(1001, "Ann")
    telegram.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    await ann.send("/help")
    await ann.settle(quiet=0.5)
    await eventually(
        bot, lambda s: value(s, "desk_updates_total", kind="command", outcome="error") == 1)
