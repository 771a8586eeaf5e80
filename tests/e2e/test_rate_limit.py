"""Telegram's flood limits as the running bot keeps them (bot/rate_limit.py): each chat at
its own pace, reminders within the overall budget and never ahead of a reply to someone who
just acted, and a 429 waited out and retried without losing or doubling a message."""
import asyncio

from telegram.ext import ExtBot

from bot.rate_limit import BULK, RateLimiter
from tests.e2e.conftest import TOKEN

FIRST_BULK_CHAT = 7000


def delivery_log(telegram, people) -> list[tuple[int, str]]:
    """(chat, text) of every message the bot posts to `people`, in the order they arrive."""
    log: list[tuple[int, str]] = []
    for person in people:
        original = person._bot_posted

        def posted(stored, *, edited, person=person, original=original):
            if not edited:
                log.append((person.id, stored.tg.get("text") or stored.tg.get("caption") or ""))
            original(stored, edited=edited)

        person._bot_posted = posted
    return log


async def bare_bot(telegram, **limits) -> ExtBot:
    bot = ExtBot(TOKEN, base_url=telegram.base_url, rate_limiter=RateLimiter(**limits))
    await bot.initialize()
    return bot


async def test_one_chat_gets_its_burst_then_waits_while_other_chats_go_on(telegram):
    ann, bob, cat = (telegram.user(n, name, started=True)
                     for n, name in ((1001, "Ann"), (1002, "Bob"), (1003, "Cat")))
    log = delivery_log(telegram, [ann, bob, cat])
    bot = await bare_bot(telegram, chat_burst=2, chat_rate=1.0)
    try:
        to_ann = [asyncio.create_task(bot.send_message(1001, f"ann {n}")) for n in range(4)]
        while len(log) < 2:  # Ann's burst has gone; her third and fourth wait
            await asyncio.sleep(0.01)
        await asyncio.gather(bot.send_message(1002, "bob"), bot.send_message(1003, "cat"))
        await asyncio.gather(*to_ann)
    finally:
        await bot.shutdown()
    assert [text for _, text in log] == ["ann 0", "ann 1", "bob", "cat", "ann 2", "ann 3"]


async def test_replies_do_not_wait_behind_a_queue_of_bulk_messages(telegram):
    """Ten people are answered at once while twenty notices wait their turn at five a
    second: the replies do not take the notices' budget, nor queue behind them."""
    notified = [telegram.user(FIRST_BULK_CHAT + n, f"P{n}", started=True) for n in range(20)]
    acting = [telegram.user(1001 + n, f"A{n}", started=True) for n in range(10)]
    log = delivery_log(telegram, notified + acting)
    bot = await bare_bot(telegram, bulk_rate=5)
    try:
        bulk = [asyncio.create_task(bot.send_message(p.id, "notice", rate_limit_args=BULK))
                for p in notified]
        while len(log) < 5:  # the notices' first burst is out; the rest wait
            await asyncio.sleep(0.01)
        await asyncio.gather(*(bot.send_message(p.id, "reply") for p in acting))
        await asyncio.gather(*bulk)
    finally:
        await bot.shutdown()
    texts = [text for _, text in log]
    assert len(log) == 30 and len({chat for chat, _ in log}) == 30  # each exactly once
    last_reply = max(n for n, text in enumerate(texts) if text == "reply")
    tenth_notice = [n for n, text in enumerate(texts) if text == "notice"][9]
    assert last_reply < tenth_notice


async def test_a_person_is_answered_while_reminders_are_going_out(telegram, bot):
    people = [telegram.user(FIRST_BULK_CHAT + n, f"P{n}", started=True) for n in range(200)]
    ann = telegram.user(1001, "Ann")
    log = delivery_log(telegram, people + [ann])
    send = bot.application.bot.send_message
    bulk = [asyncio.create_task(send(p.id, f"notice {p.id}", rate_limit_args=BULK))
            for p in people]
    while not log:  # the reminders are going out when Ann acts
        await asyncio.sleep(0.01)
    await ann.send("/start")
    assert "name" in (await ann.reply(timeout=10)).text
    await asyncio.gather(*bulk)
    chats = [chat for chat, _ in log]
    assert len(chats) == 201 and len(set(chats)) == 201  # each exactly once
    assert chats.index(1001) < 100  # answered while most reminders were still waiting


async def test_a_429_on_a_reply_is_waited_out_and_the_reply_arrives_once(telegram, bot):
    ann = telegram.user(1001, "Ann")
    telegram.fail_next("sendMessage", status=429, retry_after=1, count=2)
    await ann.send("/start")
    assert "name" in (await ann.reply(timeout=15)).text
    await ann.settle(quiet=0.5)
    assert len([line for line in ann.transcript if line.startswith("< bot")]) == 1
    assert sum(1 for method, _, error in telegram.errors
               if method == "sendMessage" and error.error_code == 429) == 2


async def test_a_429_holds_that_chat_only(telegram):
    ann, bob = telegram.user(1001, "Ann", started=True), telegram.user(1002, "Bob", started=True)
    log = delivery_log(telegram, [ann, bob])
    bot = await bare_bot(telegram)
    try:
        telegram.fail_next("sendMessage", status=429, retry_after=2)
        to_ann = asyncio.create_task(bot.send_message(1001, "for ann"))
        while not telegram.errors:  # Telegram has told us to wait with Ann's chat
            await asyncio.sleep(0.01)
        await bot.send_message(1002, "for bob")
        await to_ann
    finally:
        await bot.shutdown()
    assert log == [(1002, "for bob"), (1001, "for ann")]


async def test_a_429_storm_on_bulk_messages_loses_and_doubles_nothing(telegram):
    people = [telegram.user(FIRST_BULK_CHAT + n, f"P{n}", started=True) for n in range(20)]
    log = delivery_log(telegram, people)
    bot = await bare_bot(telegram)
    try:
        telegram.fail_next("sendMessage", status=429, retry_after=1, count=5)
        await asyncio.gather(*(bot.send_message(p.id, "digest", rate_limit_args=BULK)
                               for p in people))
    finally:
        await bot.shutdown()
    assert sorted(chat for chat, _ in log) == [p.id for p in people]
    assert sum(1 for _, _, error in telegram.errors if error.error_code == 429) == 5
