"""A local Telegram Bot API server with simulated users: the sandbox's Telegram, and the one
the end-to-end tests run the real bot against.

    from bot.sandbox.botapi import LocalBotApi

    async with LocalBotApi(token="123456:TEST", bot_username="service_desk_bot") as api:
        ann = api.user(1001, "Ann", language_code="zh")
        await ann.send("/start")
        reply = await ann.reply()

Point PTB at it with ``ApplicationBuilder().base_url(api.base_url)
.base_file_url(api.base_file_url)`` (or ``telegram.Bot(token, base_url=..., base_file_url=...)``),
or the bot's ``BOT_API_BASE_URL`` setting at ``api.base_url``. The pytest side (transcripts of
failing tests) is ``tests/local_bot_api``.
"""

from . import errors
from .commands import scope_key
from .errors import BotApiError, bad_request, forbidden, ptb_message, retry_after
from .formatting import parse_formatted_text
from .models import BotMessage, StoredFile, StoredMessage, UploadedFile
from .server import LocalBotApi
from .telegram_html import EntityParseError, FormattedText, parse_html
from .updates import Webhook
from .user_actions import detect_bot_commands, tiny_png
from .users import SimulatedUser

__all__ = [
    "BotApiError",
    "BotMessage",
    "EntityParseError",
    "FormattedText",
    "LocalBotApi",
    "SimulatedUser",
    "StoredFile",
    "StoredMessage",
    "UploadedFile",
    "Webhook",
    "bad_request",
    "detect_bot_commands",
    "errors",
    "forbidden",
    "parse_formatted_text",
    "parse_html",
    "ptb_message",
    "retry_after",
    "scope_key",
    "tiny_png",
]
