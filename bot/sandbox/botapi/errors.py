"""Bot API errors, worded as api.telegram.org words them.

The descriptions are what the bot sees in ``telegram.error.TelegramError.message`` (PTB passes
the ``description`` field through unchanged), so tests and bot code can match on them.
Sources: the open-source Bot API server (tdlib/telegram-bot-api, ``Client.cpp``), TDLib
(``MessageEntity.cpp``) and descriptions observed from the live API.
"""

from __future__ import annotations

from typing import Any

# 400 Bad Request ---------------------------------------------------------------------------
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
MESSAGE_TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_MUST_BE_NON_EMPTY = "Bad Request: text must be non-empty"
MESSAGE_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
CANT_PARSE_ENTITIES = "Bad Request: can't parse entities: "  # + parser message
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
TEXT_BUTTONS_UNALLOWED = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
MESSAGE_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current message content and reply markup"
)
MESSAGE_TO_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
MESSAGE_TO_DELETE_NOT_FOUND = "Bad Request: message to delete not found"
MESSAGE_TO_REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
MESSAGE_CANT_BE_EDITED = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
MESSAGE_ID_NOT_SPECIFIED = "Bad Request: message identifier is not specified"
QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
INVALID_FILE_ID = "Bad Request: invalid file_id"
WRONG_CHAT_ACTION = "Bad Request: wrong parameter action in request"
NO_MESSAGES_TO_SEND = "Bad Request: there are no messages to send"
TOO_MANY_ALBUM_MESSAGES = "Bad Request: too many messages to send as an album"
DOCUMENT_CANT_BE_MIXED = "Bad Request: document can't be mixed with other media types"
INVALID_LANGUAGE_CODE = "Bad Request: invalid language code specified"
BOT_COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
BOT_COMMANDS_TOO_MUCH = "Bad Request: BOT_COMMANDS_TOO_MUCH"
WEBHOOK_NEEDS_HTTPS = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"

# 403 Forbidden -------------------------------------------------------------------------------
BOT_BLOCKED = "Forbidden: bot was blocked by the user"

# 409 Conflict --------------------------------------------------------------------------------
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

TERMINATED_BY_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

# Transport-level answers ---------------------------------------------------------------------
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
INTERNAL_SERVER_ERROR = "Internal Server Error"
BAD_GATEWAY = "Bad Gateway"


def too_many_requests(retry_after: int) -> str:
    return f"Too Many Requests: retry after {retry_after}"


class BotApiError(Exception):
    """An unsuccessful Bot API answer: ``{"ok": false, "error_code": ..., "description": ...}``.

    The server raises it inside method handlers; it is turned into a JSON response whose HTTP
    status equals ``error_code`` (as api.telegram.org does).
    """

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str) -> BotApiError:
    """400; ``description`` may be given with or without the ``Bad Request: `` prefix."""
    if not description.startswith("Bad Request"):
        description = "Bad Request: " + description
    return BotApiError(400, description)


def forbidden(description: str = BOT_BLOCKED) -> BotApiError:
    return BotApiError(403, description)


def retry_after(seconds: int) -> BotApiError:
    return BotApiError(429, too_many_requests(seconds), {"retry_after": seconds})


def injected_error(
    status: int, *, retry_after_seconds: int = 1, description: str | None = None
) -> BotApiError:
    """The error ``LocalBotApi.fail_next`` injects: Telegram's wording for each status."""
    parameters = None
    if status == 429:
        parameters = {"retry_after": retry_after_seconds}
        default = too_many_requests(retry_after_seconds)
    else:
        default = {
            400: "Bad Request",
            401: UNAUTHORIZED,
            403: BOT_BLOCKED,
            404: NOT_FOUND,
            409: "Conflict",
            500: INTERNAL_SERVER_ERROR,
            502: BAD_GATEWAY,
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }.get(status, f"Error {status}")
    return BotApiError(status, description or default, parameters)


def ptb_message(description: str) -> str:
    """What ``telegram.error.TelegramError.message`` will be for ``description``: PTB strips a
    leading "Bad Request: " and then *capitalizes* the rest (``str.capitalize`` lowercases
    everything after the first letter), e.g. "Bad Request: BUTTON_DATA_INVALID" ->
    "Button_data_invalid". Compare case-insensitively when matching errors in bot code."""
    message = description.removeprefix("Error: ").removeprefix("[Error]: ")
    message = message.removeprefix("Bad Request: ")
    return message.capitalize() if message != description else message
