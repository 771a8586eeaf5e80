"""The reminder service, running for real with the bot: reminders go out once, on time, in
the person's language, through restarts, a second instance, Telegram's 429s and 5xx."""
import asyncio
import logging

from sqlalchemy import select

from bot.app import build_application
from bot.reminder_sender import ReminderService
from core import people, reminder_queue
from core.models import Reminder, User
from tests.e2e.booking_steps import book_repair
from tests.e2e.people import registered_customer, technician
from tests.e2e.staff_acts import booked_through_core

SHANGHAI_18H_EVE = dict(hours=8)  # 10:00 on the 24th + 8 h = 18:00, the eve of the 25th


async def sent_count(bot, **where):
    async with bot.desk.uow() as uow:
        rows = (await uow.session.scalars(select(Reminder).where(
            *(getattr(Reminder, k) == v for k, v in where.items())))).all()
    return sum(1 for r in rows if r.sent_at is not None), len(rows)


async def wait_until(predicate, clock=None, timeout=30.0):
    """Polls `predicate` (async) while moving the clock, so backed-off retries come due."""
    for _ in range(int(timeout / 0.2)):
        if await predicate():
            return
        if clock is not None:
            clock.advance(seconds=5)
        await asyncio.sleep(0.2)
    raise AssertionError("timed out waiting")


async def test_the_day_before_reminder_comes_at_18h_with_buttons_that_work(telegram, bot, clock):
    await technician(bot.desk, 2001, "Li Lei", ["tv"], telegram=telegram)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, day="Wed 25 Nov", window="13:00–17:00")
    clock.advance(hours=7, minutes=59)
    await ann.settle(quiet=0.6)
    assert not [line for line in ann.transcript if "Reminder" in line]
    clock.advance(minutes=1)
    reminder = await ann.reply(timeout=5)
    assert f"Reminder: order {number}" in reminder.text and "tomorrow, Wed 25 Nov" in reminder.text
    assert reminder.buttons == [["🕑 Change the time", "✖ Cancel this order"]]
    await ann.press("🕑 Change the time")
    assert "which day would suit you better" in (await ann.reply()).text
    await ann.settle(quiet=0.6)
    assert len([line for line in ann.transcript if "Reminder" in line]) == 1


async def test_a_reminder_due_while_the_bot_was_down_is_sent_once_after_it_starts(
        telegram, bots, clock):
    bot = await bots.start()
    await technician(bot.desk, 2001, "Li Lei", ["tv"], telegram=telegram)
    ann = await registered_customer(telegram, 1001, "Ann", language_code="zh")
    number = await booked_through_core(bot, 1001, category="tv", day="2026-11-25")
    await bots.stop(bot)
    clock.advance(hours=8)  # 18:00: the eve's reminder is due, and the bot is down
    bot = await bots.start()
    reminder = await ann.reply(timeout=10)
    assert f"提醒：订单 {number}" in reminder.text
    bot = await bots.restart(bot)
    await ann.settle(quiet=1)
    assert await sent_count(bot, kind="day_before") == (1, 1)


async def digest_for_managers(bot, telegram, count: int) -> list:
    """`count` managers, each owed this morning's digest (due now)."""
    people_in_chat = []
    async with bot.desk.uow() as uow:
        for n in range(count):
            manager = await people.add_manager(uow, 5000 + n)
            people_in_chat.append(telegram.user(5000 + n, f"M{n}", started=True))
            await reminder_queue.add_daily(uow, "digest", manager.id, "2026-11-24", uow.now())
        await uow.commit()
    return people_in_chat


async def test_two_instances_on_one_database_send_each_reminder_exactly_once(
        telegram, bots, clock):
    bot = await bots.start()
    second_app = build_application(bot.settings, bot.desk, with_updater=False)
    await second_app.initialize()
    second = ReminderService(second_app, bot.desk, interval=0.05)
    second.start()
    try:
        managers = await digest_for_managers(bot, telegram, 40)
        bot.reminders.wake()
        second.wake()
        await wait_until(lambda: _all_sent(bot, 40))
    finally:
        await second.stop()
        await second_app.shutdown()
    await asyncio.sleep(0.5)
    for manager in managers:
        got = [line for line in manager.transcript if "Good morning" in line]
        assert len(got) == 1, manager.transcript


async def _all_sent(bot, expected: int) -> bool:
    sent, total = await sent_count(bot, kind="digest")
    return total == expected and sent == expected


async def test_a_429_storm_and_server_errors_lose_nothing_and_double_nothing(
        telegram, bot, clock):
    managers = await digest_for_managers(bot, telegram, 20)
    telegram.fail_next("sendMessage", status=429, retry_after=1, count=3)
    telegram.fail_next("sendMessage", status=500, count=4)
    telegram.fail_next("sendMessage", status=502, count=1)
    bot.reminders.wake()
    await wait_until(lambda: _all_sent(bot, 20), clock=clock)
    for manager in managers:
        assert len([line for line in manager.transcript if "Good morning" in line]) == 1
    async with bot.desk.uow() as uow:
        retried = (await uow.session.scalars(
            select(Reminder).where(Reminder.attempts > 0))).all()
    assert retried and all(r.last_error for r in retried)


async def test_a_customer_who_blocked_the_bot_is_marked_unreachable(telegram, bot, clock):
    await technician(bot.desk, 2001, "Li Lei", ["tv"], telegram=telegram)
    ann = await registered_customer(telegram, 1001, "Ann")
    await book_repair(ann, day="Wed 25 Nov")
    ann.block(notify=False)  # Telegram does not always tell the bot
    clock.advance(**SHANGHAI_18H_EVE)
    bot.reminders.wake()

    async def dropped():
        async with bot.desk.uow() as uow:
            reminder = await uow.session.scalar(
                select(Reminder).where(Reminder.kind == "day_before"))
            return reminder.dropped_why == "blocked"

    await wait_until(dropped)
    async with bot.desk.uow() as uow:
        user = await uow.session.scalar(select(User).where(User.telegram_id == 1001))
    assert user.unreachable


async def test_mornings_bring_the_technicians_list_and_the_managers_digest(telegram, bot, clock):
    await technician(bot.desk, 2001, "Li Lei", ["tv"], telegram=telegram)
    ann = await registered_customer(telegram, 1001, "Ann")
    number = await book_repair(ann, day="Wed 25 Nov", window="13:00–17:00")
    from tests.e2e.staff_acts import assign
    await assign(bot, number, 2001)
    boss = telegram.user(900, "Boss", started=True)
    li = telegram.user(2001, "Li")
    await li.reply(timeout=10)  # the assignment
    clock.advance(hours=21, minutes=30)  # Wed 07:30 in Shanghai
    await bot.reminders.plan_mornings()  # what the 07:30 cron job runs
    await bot.reminders.plan_mornings()  # twice (two instances): still one each
    bot.reminders.wake()
    morning = await li.reply(timeout=10)
    assert "Your jobs today" in morning.text and f"13:00–17:00 · {number} · TV" in morning.text
    clock.advance(minutes=30)
    bot.reminders.wake()
    digest = await boss.reply(timeout=10)
    assert "Good morning" in digest.text and "Booked for today: 1" in digest.text
    await li.settle(quiet=0.5)
    assert len([line for line in li.transcript if "Your jobs today" in line]) == 1


async def test_a_long_pass_keeps_the_waiting_count_moving_and_the_scheduler_quiet(
        telegram, bots, caplog):
    # 5 a second: 20 reminders take ~4 s, twenty of the service's ticks.
    bot = await bots.start(bulk_messages_per_second=5)
    managers = await digest_for_managers(bot, telegram, 20)
    seen = set()
    with caplog.at_level(logging.WARNING, logger="apscheduler"):
        bot.reminders.wake()
        for _ in range(300):
            seen.add(bot.metrics.registry.get_sample_value("desk_reminders_waiting"))
            if await _all_sent(bot, 20):
                break
            await asyncio.sleep(0.05)
    assert await _all_sent(bot, 20)
    # The count an operator watches went down while they went out, not only at the end.
    assert len({v for v in seen if v is not None and 0 < v < 20}) >= 2, seen
    skipped = [r.getMessage() for r in caplog.records if r.name.startswith("apscheduler")]
    assert skipped == []
    for manager in managers:
        assert len([line for line in manager.transcript if "Good morning" in line]) == 1
