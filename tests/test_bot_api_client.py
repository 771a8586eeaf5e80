"""The Bot API client's failures come out as PTB's errors, which the reminder sender and the
error handler catch (a raw aiohttp error would end a sending pass). Its successful calls,
uploads included, are every end-to-end test."""
import asyncio
import socket

import pytest
from aiohttp import web
from telegram import Bot
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


async def test_telegram_not_answering_in_time_is_timed_out():
    async def silent(_request):
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", silent)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    bot = await _bot(port)
    try:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "hello", read_timeout=0.2)
    finally:
        await bot.request.shutdown()
        await runner.cleanup()
