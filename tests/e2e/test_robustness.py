"""What a careless, malicious or unlucky user, or Telegram itself, can throw at the bot."""
import aiohttp
import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from core.models import User


async def test_a_forged_button_and_an_unknown_command_get_clear_answers(telegram, bot):
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    first = await ann.reply()
    await ann.press_data("sk:tv", message=first)
    await ann.press_data("lang:fr", message=first)
    await ann.press_data("x" * 64, message=first)
    await ann.settle()
    assert ann.toasts[-3:] == ["This button is out of date. Please use the latest message."] * 3
    await ann.send("/frobnicate")
    assert "do not know that command" in (await ann.reply()).text
    await ann.send("Ann")  # the registration step was kept through all of it
    assert "phone number" in (await ann.reply()).text


async def test_webhook_mode_registers_a_customer_and_checks_the_secret(telegram, bots):
    bot = await bots.start("webhook")
    url = bot.settings.webhook_url
    base = url.rsplit("/", 1)[0]
    async with aiohttp.ClientSession() as http:
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0,
                  "chat": {"id": 5, "type": "private"}, "text": "/start"}}
        async with http.post(url, json=update) as response:
            assert response.status == 403
        async with http.post(url, json=update,
                             headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as response:
            assert response.status == 403
        async with http.get(base + "/healthz") as response:
            assert response.status == 200 and (await response.json())["status"] == "ok"

    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    await ann.reply()
    await ann.send("Ann")
    await ann.reply()
    await ann.send_contact(phone="+8613800138000")
    done, _ = await ann.replies(2)
    assert "You are registered" in done.text
    await ann.settle()
    assert not [line for line in ann.transcript if "registered" in line][1:]  # told once


async def test_a_repeated_webhook_update_is_handled_once(telegram, bots):
    bot = await bots.start("webhook")
    ann = telegram.user(1001, "Ann")
    await ann.send("/help")
    await ann.reply()
    update = {"update_id": 777, "message": {
        "message_id": 50, "date": 0, "chat": {"id": 1001, "type": "private", "first_name": "Ann"},
        "from": {"id": 1001, "is_bot": False, "first_name": "Ann"}, "text": "/help",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": bot.settings.webhook_secret}
    async with aiohttp.ClientSession() as http:
        for _ in range(2):  # Telegram re-sends an update when it did not see our 200 in time
            async with http.post(bot.settings.webhook_url, json=update, headers=headers) as r:
                assert r.status == 200
    await ann.settle(quiet=1)
    assert len([line for line in ann.transcript if line.startswith("< bot")]) == 2


async def test_an_answer_in_a_conversation_delivered_twice_is_taken_once(telegram, bots):
    """The engine checks a flow update was handled in the statement that reads the chat's
    row: a repeat of the name answer must not be taken as the phone."""
    bot = await bots.start("webhook")
    ann = telegram.user(1002, "Ann")
    await ann.send("/start")
    assert "name" in (await ann.reply()).text
    update = {"update_id": 778, "message": {
        "message_id": 10_000, "date": 0,
        "chat": {"id": 1002, "type": "private", "first_name": "Ann"},
        "from": {"id": 1002, "is_bot": False, "first_name": "Ann"}, "text": "Ann Lee"}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": bot.settings.webhook_secret}
    async with aiohttp.ClientSession() as http:
        for _ in range(2):
            async with http.post(bot.settings.webhook_url, json=update, headers=headers) as r:
                assert r.status == 200
    await ann.settle(quiet=1)
    said = [line for line in ann.transcript if line.startswith("< bot")]
    assert len(said) == 2 and "phone" in said[-1]  # asked for the phone once, nothing else
    async with bot.desk.uow() as uow:
        assert (await uow.session.scalar(select(User).where(User.telegram_id == 1002))).name \
            is None  # registered only when the phone comes


async def test_blocking_and_unblocking_the_bot_is_noted_and_breaks_nothing(telegram, bot):
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    await ann.reply()
    ann.block()
    bob = telegram.user(1002, "Bob")
    await bob.send("/start")
    assert "what name" in (await bob.reply()).text
    assert (await stored(bot, 1001)).unreachable
    ann.unblock()
    await ann.send("Ann")  # coming back makes them reachable, and the step was kept
    assert "phone number" in (await ann.reply()).text
    assert not (await stored(bot, 1001)).unreachable


async def test_a_reply_that_meets_a_block_marks_the_person_unreachable(telegram, bot):
    telegram.fail_next("sendMessage", status=403)
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    bob = telegram.user(1002, "Bob")
    await bob.send("/start")
    assert "what name" in (await bob.reply()).text
    assert (await stored(bot, 1001)).unreachable


async def stored(bot, telegram_id):
    async with bot.desk.uow() as uow:
        return await uow.session.scalar(select(User).where(User.telegram_id == telegram_id))


async def test_telegram_saying_too_many_requests_delays_a_reply_but_does_not_lose_it(
        telegram, bot):
    telegram.fail_next("sendMessage", status=429, retry_after=1)
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    assert "what name" in (await ann.reply(timeout=10)).text


async def _drop_connections(bot) -> None:
    async with bot.engine.connect() as connection:
        dropped = await connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        assert any(dropped.scalars())


async def test_after_the_database_drops_the_bots_connections_the_next_message_is_answered(
        telegram, bot, db_url):
    """A PostgreSQL restart (or failover) closes every connection the bot keeps open: while
    it is finishing an update, and while it is idle."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop connections")
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    assert "name" in (await ann.reply()).text
    await _drop_connections(bot)  # the reply is out; the update's last notes are under way
    await ann.send("/help")
    assert "/book" in (await ann.reply()).text
    await ann.settle()
    await _drop_connections(bot)  # idle
    await ann.send("Ann")  # the registration goes on where it was
    assert "phone number" in (await ann.reply()).text


async def test_a_reply_out_as_the_database_restarts_is_noted_and_the_next_answer_taken(
        telegram, bot, db_url):
    """The database drops the bot's connections just as Telegram takes a reply, before the
    bot notes it sent: the note goes on a fresh connection, so the person gets no error and
    their answer to that question is taken (not met by the question again)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop connections")
    name, send_message = telegram._methods["sendmessage"]
    dropped = []

    async def send_then_drop(params):
        sent = await send_message(params)
        if not dropped:
            dropped.append(True)
            await _drop_connections(bot)
        return sent

    telegram._methods["sendmessage"] = (name, send_then_drop)
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    assert "name" in (await ann.reply()).text
    assert await ann.settle() == []  # no "something went wrong"
    await ann.send("Ann")
    assert "phone number" in (await ann.reply()).text


async def test_while_the_database_cannot_be_reached_a_person_is_told_and_the_bot_goes_on(
        telegram, bot, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to be out of reach")
    ann = telegram.user(1001, "Ann")
    await ann.send("/help")
    await ann.reply()
    await ann.settle()
    url = make_url(db_url)
    admin = await asyncpg.connect(url.set(drivername="postgresql", database="postgres")
                                  .render_as_string(hide_password=False))
    try:
        await admin.execute(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = $1", url.database)
        await ann.send("/help")
        assert "Sorry, something went wrong" in (await ann.reply()).text
    finally:
        await admin.execute(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS true')
        await admin.close()
    await ann.send("/help")  # the database is back: so is the bot
    assert "/book" in (await ann.reply()).text
