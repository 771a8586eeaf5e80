"""Builds the PTB Application and the services it runs on."""
from __future__ import annotations

from telegram.ext import Application, ApplicationBuilder

import handlers
from core.desk import Desk
from handlers.texts import Texts

from .persistence import DatabasePersistence
from .rate_limit import RateLimiter
from .settings import Settings


def build_application(settings: Settings, desk: Desk, *, with_updater: bool) -> Application:
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_file_url)
        # Per-chat pace for all; ~30 a second for bulk only; a 429 waits and retries.
        .rate_limiter(RateLimiter(chat_rate=settings.chat_messages_per_second,
                                  bulk_rate=settings.bulk_messages_per_second))
        .persistence(DatabasePersistence(desk.session_factory, clock=desk.clock))
        # Conversations need updates one by one (PTB's ConversationHandler docs).
        .concurrent_updates(False)
    )
    if not with_updater:
        builder = builder.updater(None)  # webhook: our aiohttp server feeds the update queue
    application = builder.build()
    # bot_data is not persisted (see DatabasePersistence): it carries the running services.
    application.bot_data.update(
        desk=desk,
        texts=Texts(settings.zone),
        default_language=settings.default_language,
    )
    handlers.register(application)
    return application
