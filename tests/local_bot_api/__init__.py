"""A local Telegram Bot API for end-to-end tests, with simulated users.

    from local_bot_api import LocalBotApi, attach_transcript

    @pytest.fixture
    async def api(request):
        async with LocalBotApi(token="123456:TEST", bot_username="service_desk_bot") as api:
            yield attach_transcript(request, api)

Point PTB at it with ``ApplicationBuilder().base_url(api.base_url)
.base_file_url(api.base_file_url)`` (or ``telegram.Bot(token, base_url=..., base_file_url=...)``).
"""

from . import errors
from .errors import BotApiError, bad_request, forbidden, ptb_message, retry_after
from .models import BotMessage, StoredFile, StoredMessage, UploadedFile
from .pytest_plugin import attach_transcript
from .server import LocalBotApi, Webhook, scope_key
from .telegram_html import EntityParseError, FormattedText, parse_formatted_text, parse_html
from .users import SimulatedUser, detect_bot_commands, tiny_png

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
    "attach_transcript",
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
