"""The Bot API client's failures come out as PTB's errors, which the reminder sender and the
error handler catch (a raw aiohttp error would end a sending pass). Its successful calls,
uploads included, are every end-to-end test."""
import asyncio
import socket
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.bot_api_client import BotApiClient


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _bot(port: int) -> Bot:
    bot = Bot("123:abc", base_url=f"http://127.0.0.1:{port}/bot", request=BotApiClient(),
              get_updates_request=BotApiClient())
    await bot.request.initialize()  # what Bot.initialize does, without its getMe
    return bot


async def test_telegram_out_of_reach_is_a_network_error():
    bot = await _bot(_closed_port())
    try:
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(1, "hello")
        assert not isinstance(raised.value, TimedOut)
    finally:
        await bot.request.shutdown()


@asynccontextmanager
async def _telegram(answer):
    """A Bot API stand-in on a free port, answering every call with `answer`; yields a bot
    that calls it."""
    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    bot = await _bot(runner.addresses[0][1])
    try:
        yield bot
    finally:
        await bot.request.shutdown()
        await runner.cleanup()


async def test_telegram_not_answering_in_time_is_timed_out():
    async def silent(_request):
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    async with _telegram(silent) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "hello", read_timeout=0.2)


async def test_a_call_goes_as_json_with_its_text_and_buttons_as_given():
    """The Bot API takes JSON for any call without files; Chinese text and a keyboard (a
    nested object) arrive exactly as given."""
    received = []

    async def record(request):
        received.append((request.content_type, await request.json()))
        return web.json_response({"ok": True, "result": {
            "message_id": 5, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "x"}})

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("确认 ✅", callback_data="ok:1")]])
    async with _telegram(record) as bot:
        sent = await bot.send_message(1, "<b>订单</b> R-1 & 李", parse_mode="HTML",
                                      reply_markup=keyboard)
    assert sent.message_id == 5
    [(content_type, body)] = received
    assert content_type == "application/json"
    assert body == {"chat_id": 1, "text": "<b>订单</b> R-1 & 李", "parse_mode": "HTML",
                    "reply_markup": {"inline_keyboard": [[
                        {"text": "确认 ✅", "callback_data": "ok:1"}]]}}
