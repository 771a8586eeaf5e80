"""Builds the PTB Application and the services it runs on."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application, ApplicationBuilder

from core.desk import Desk
from handlers.texts import Texts
from handlers.wiring import register as register_handlers

from .bot_api_client import BotApiClient
from .gate import ChatGate, DeskApplication, DeskBot
from .rate_limit import RateLimiter
from .settings import Settings


def build_application(settings: Settings, desk: Desk, *, with_updater: bool,
                      ledger_engine: AsyncEngine | None = None) -> Application:
    bot = DeskBot(
        settings.bot_token,
        base_url=settings.bot_api_base_url,
        base_file_url=settings.bot_api_file_url,
        request=BotApiClient(),
        get_updates_request=BotApiClient(connections=1),
        # Per-chat pace for all; ~30 a second for bulk only; a 429 waits and retries.
        rate_limiter=RateLimiter(chat_rate=settings.chat_messages_per_second,
                                 bulk_rate=settings.bulk_messages_per_second),
    )
    builder = (
        ApplicationBuilder()
        .application_class(DeskApplication)
        .bot(bot)
        # One update at a time in a process; across processes the gate serialises each chat.
        # No PTB persistence: conversation state is our own row (handlers.flow).
        .concurrent_updates(False)
    )
    if not with_updater:
        builder = builder.updater(None)  # webhook: our aiohttp server feeds the update queue
    application = builder.build()
    # bot_data is not persisted: it carries the running services.
    application.bot_data.update(
        desk=desk,
        gate=ChatGate(desk, ledger_engine),
        texts=Texts(settings.zone),
        default_language=settings.default_language,
    )
    register_handlers(application)
    return application
