"""End-to-end: the real bot, started as `python -m bot run` starts it, over HTTP against the
local Bot API server, with simulated Telegram users."""
from __future__ import annotations

import socket

import pytest

from bot.service import BotService
from bot.settings import load_settings
from tests.conftest import AREA_NAMES, AREAS
from tests.local_bot_api import LocalBotApi, attach_transcript

TOKEN = "123456:TEST-token_for-e2e"
MANAGER_ID = 900


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def telegram(request):
    api = LocalBotApi(token=TOKEN, bot_username="service_desk_bot")
    await api.start()
    attach_transcript(request, api)
    yield api
    await api.stop()


class Bots:
    """Starts and stops bot processes-in-a-test, as an operator would (restarts included)."""

    def __init__(self, telegram, db_url, clock):
        self.telegram, self.db_url, self.clock = telegram, db_url, clock
        self.running: list[BotService] = []

    def settings(self, mode: str = "polling", **overrides):
        values = dict(
            bot_token=TOKEN,
            bot_api_base_url=self.telegram.base_url,
            database_url=self.db_url,
            manager_ids=str(MANAGER_ID),
            default_language="en",
            service_areas=",".join(f"{a}={AREA_NAMES[a][0]}" for a in AREAS),
            timezone="Asia/Shanghai",
            # The local Bot API server has no flood limits; test users act at machine speed.
            chat_messages_per_second=0,
        )
        if mode == "webhook":
            values.update(webhook_url=f"http://127.0.0.1:{free_port()}/telegram",
                          webhook_secret="s3cret-webhook_token", webhook_listen="127.0.0.1")
            values["webhook_port"] = int(values["webhook_url"].split(":")[2].split("/")[0])
        values.update(overrides)
        return load_settings(_env_file=None, **values)

    async def start(self, mode: str = "polling", **overrides) -> BotService:
        service = BotService(self.settings(mode, **overrides), clock=self.clock, poll_timeout=1,
                             reminder_interval=0.2)
        await service.start()
        self.running.append(service)
        return service

    async def stop(self, service: BotService) -> None:
        await service.stop()
        self.running.remove(service)

    async def restart(self, service: BotService) -> BotService:
        mode = "webhook" if service.webhook_mode else "polling"
        await self.stop(service)
        return await self.start(mode)


@pytest.fixture
async def bots(telegram, db_url, clock):
    bots = Bots(telegram, db_url, clock)
    yield bots
    for service in list(bots.running):
        await bots.stop(service)


@pytest.fixture
async def bot(bots):
    return await bots.start()
