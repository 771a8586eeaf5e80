"""A local server that speaks the Telegram Bot API, for end-to-end tests of a real PTB bot.

    api = LocalBotApi(token="123456:TEST", bot_username="service_desk_bot")
    await api.start()
    app = (ApplicationBuilder().token(api.token)
           .base_url(api.base_url).base_file_url(api.base_file_url).build())
    ann = api.user(1001, "Ann", language_code="zh")
    await ann.send("/start")
    reply = await ann.reply()
    ...
    await api.stop()

Requests are handled as api.telegram.org handles them: ``POST`` (or ``GET``) to
``/bot<token>/<method>``, method names case-insensitive, parameters as JSON,
``application/x-www-form-urlencoded`` (how PTB sends everything) or ``multipart/form-data``
(uploads). Form values are strings; JSON-typed parameters (``reply_markup``, ``entities`` ...)
arrive JSON-encoded. Answers are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`` with HTTP status N.

Only private chats exist here: the chat id of a simulated user is the user's id, and the bot can
only write to users who wrote to it first (otherwise "chat not found").
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import mimetypes
import re
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import aiohttp
from aiohttp import web

from . import errors as E
from .errors import BotApiError, bad_request, forbidden
from .models import StoredFile, StoredMessage, UploadedFile, message_kind
from .telegram_html import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    EntityParseError,
    FormattedText,
    parse_formatted_text,
)
from .users import SimulatedUser

Handler = Callable[["_Params"], Awaitable[Any]]

# Parameters the Bot API reads as JSON-serialized objects (strings in form posts).
JSON_PARAMETERS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "media", "scope", "commands",
        "allowed_updates", "link_preview_options", "reply_parameters", "menu_button",
        "message_ids", "results", "options", "reaction", "permissions", "rights",
        "explanation_entities", "question_entities", "prices", "input_message_content",
    }
)

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
        # older aliases Telegram still accepts
        "record_audio", "upload_audio",
    }
)

# Update types a bot gets when it never set allowed_updates.
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_COMMAND_RE = re.compile(r"^[a-z0-9_]+$")


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def scope_key(scope: dict[str, Any] | str | None) -> str:
    """The key ``LocalBotApi.commands`` uses for a BotCommandScope: canonical JSON such as
    ``'{"type":"default"}'`` or ``'{"chat_id":1001,"type":"chat"}'``."""
    if scope is None:
        scope = {"type": "default"}
    elif isinstance(scope, str):
        scope = {"type": scope}
    return _canonical_json(scope)


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Markup:
    """A parsed reply_markup."""

    inline: dict[str, Any] | None = None            # what Message.reply_markup shows
    keyboard: list[list[dict[str, Any]]] | None = None
    keyboard_options: dict[str, Any] = field(default_factory=dict)
    remove_keyboard: bool = False
    force_reply: bool = False


class _Params:
    """Request parameters, whatever the encoding; typed accessors coerce form strings."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            try:
                return int(float(value))
            except (TypeError, ValueError):
                raise bad_request(f'field "{name}" must be of type Integer') from None

    def float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def json(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error or f"can't parse {name} JSON object") from None
        return value

    def for_record(self) -> dict[str, Any]:
        """The parameters as ``api.calls`` shows them: JSON fields decoded, uploads as
        ``UploadedFile``."""
        record: dict[str, Any] = {}
        for name, value in self.values.items():
            if name in JSON_PARAMETERS and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            record[name] = value
        record.update(self.files)
        return record


class LocalBotApi:
    """The local Bot API server plus the simulated Telegram users around it."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "service_desk_bot",
        *,
        bot_first_name: str = "Service Desk",
        strict_html: bool = True,
        webhook_retry_delay: float = 0.2,
        webhook_max_attempts: int = 25,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        # strict_html: also reject a bare "&" in HTML text, which real Telegram shows
        # literally (see telegram_html.STRICT_AMPERSAND). Everything else is as Telegram does.
        self.strict_html = strict_html
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_max_attempts = webhook_max_attempts
        self.host = host
        self.port = port

        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[tuple[str, dict[str, Any], BotApiError]] = []  # failed calls
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook: Webhook | None = None
        self.webhook_deliveries: list[tuple[int, int | None]] = []  # (update_id, HTTP status)
        self.dropped_updates: list[dict[str, Any]] = []  # webhook gave up on these

        self._users: dict[int, SimulatedUser] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100_000_001)
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._photo_sets: dict[str, list[dict[str, Any]]] = {}  # file_id -> all its PhotoSizes
        self._file_counter = itertools.count(1)
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._query_counter = itertools.count(1)
        self._media_group_counter = itertools.count(13_000_000_000_000_001)
        self._failures: dict[str, list[BotApiError]] = {}
        self._transcript: list[tuple[SimulatedUser | None, str]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None

        self._methods: dict[str, tuple[str, Handler]] = {}
        for name, handler in {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "sendLocation": self._send_location,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "getFile": self._get_file,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
        }.items():
            self._methods[name.lower()] = (name, handler)

    # ============================================================== lifecycle
    async def start(self) -> "LocalBotApi":
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        # handler_cancellation: a client that gives up on a long poll (PTB stopping its
        # updater) cancels the waiting handler, as a closed connection does at Telegram.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0,
            handler_cancellation=True,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        self._http = aiohttp.ClientSession()
        self._closing = False
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        if self._http:
            await self._http.close()
            self._http = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "LocalBotApi":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ============================================================== test-facing helpers
    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        phone_number: str | None = None,
        started: bool = False,
    ) -> SimulatedUser:
        """The simulated user ``user_id`` (created on first call; private chat id == user id).

        The bot can write to the chat only after the user did something in it ("chat not
        found" before), unless ``started=True``: a user who talked to the bot in the past
        (e.g. a customer in the database who gets a notification)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        user = SimulatedUser(
            self, user_id, first_name, last_name=last_name, username=username,
            language_code=language_code, phone_number=phone_number,
        )
        user._chat_known = started
        self._users[user_id] = user
        return user

    @property
    def users(self) -> list[SimulatedUser]:
        return list(self._users.values())

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
        count: int = 1,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (case-insensitive; "*" = any method)
        fail with ``status``, worded as Telegram does: 429 "Too Many Requests: retry after N"
        with ``parameters.retry_after``, 500 "Internal Server Error", 502 "Bad Gateway",
        403 "Forbidden: bot was blocked by the user" ... ``description`` overrides it."""
        error = E.injected_error(status, retry_after_seconds=retry_after, description=description)
        self._failures.setdefault(method.lower(), []).extend([error] * count)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of ``method`` (case-insensitive), in order."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def commands_for(
        self, scope: dict[str, Any] | str | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """What setMyCommands stored for ``scope`` (dict, type name, or None = default)."""
        return self.commands.get((scope_key(scope), language_code), [])

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (getUpdates) or delivered (webhook)."""
        return list(self._updates)

    def file_bytes(self, file_id: str) -> bytes | None:
        file = self._files.get(file_id)
        return file.data if file else None

    def transcript(self) -> str:
        """All users' conversations interleaved in the order things happened."""
        lines = []
        for user, line in self._transcript:
            who = f"[{user.first_name} #{user.id}] " if user else ""
            lines.append(who + line.replace("\n", "\n" + " " * len(who)))
        return "\n".join(lines)

    # ============================================================== HTTP layer
    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(BotApiError(401, E.UNAUTHORIZED))
        method = request.match_info["method"]
        entry = self._methods.get(method.lower())
        try:
            params = await self._read_params(request)
        except BotApiError as error:
            return self._error_response(error)
        name = entry[0] if entry else method
        self.calls.append((name, params.for_record()))
        if entry is None:
            error = BotApiError(404, self._unknown_method_description(method))
            self._record_error(name, params, error)
            return self._error_response(error)

        queue = self._failures.get(name.lower()) or self._failures.get("*")
        try:
            if queue:
                raise queue.pop(0)
            result = await entry[1](params)
        except BotApiError as error:
            self._record_error(name, params, error)
            return self._error_response(error)
        if isinstance(result, tuple):  # (result, description), e.g. "Webhook was set"
            return web.json_response({"ok": True, "result": result[0], "description": result[1]})
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _unknown_method_description(method: str) -> str:
        # api.telegram.org answers "Not Found" for any unknown method. If the method is a real
        # Bot API method PTB knows, say that this test server does not implement it yet, so
        # that a failing test points at the gap instead of at the bot.
        try:
            import telegram

            known = {
                attr.lower() for attr in dir(telegram.Bot)
                if attr[:1].islower() and any(ch.isupper() for ch in attr)
            }
        except ImportError:  # pragma: no cover
            known = set()
        if method.lower() in known:
            return (
                f"{E.NOT_FOUND} ({method} is a real Bot API method that "
                "the local Bot API (bot/sandbox/botapi) does not implement)"
            )
        return E.NOT_FOUND

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error_response(BotApiError(401, E.UNAUTHORIZED))
        file = self._files_by_path.get(request.match_info["path"])
        if file is None or file.data is None:
            return self._error_response(BotApiError(404, E.NOT_FOUND))
        return web.Response(
            body=file.data, content_type=file.mime_type or "application/octet-stream"
        )

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return self._error_response(BotApiError(404, E.NOT_FOUND))

    @staticmethod
    def _error_response(error: BotApiError) -> web.Response:
        return web.json_response(error.to_json(), status=error.error_code)

    async def _read_params(self, request: web.Request) -> _Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.read()
                if body.strip():
                    try:
                        decoded = json.loads(body)
                    except ValueError:
                        raise bad_request("can't parse JSON encoded request body") from None
                    if not isinstance(decoded, dict):
                        raise bad_request("can't parse JSON encoded request body")
                    values.update(decoded)
            elif request.content_type in (
                "application/x-www-form-urlencoded", "multipart/form-data"
            ):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        files[name] = UploadedFile(
                            name=name,
                            filename=value.filename,
                            content_type=value.content_type,
                            data=value.file.read(),
                        )
                    else:
                        values[name] = value
        return _Params(values, files)

    def _record_error(self, method: str, params: _Params, error: BotApiError) -> None:
        self.errors.append((method, params.for_record(), error))
        user = None
        try:
            user = self._users.get(int(params.raw("chat_id")))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            query = self._callback_queries.get(str(params.raw("callback_query_id")))
            user = query["user"] if query else None
        line = f"! {method} -> {error.error_code} {error.description}"
        if user is not None:
            user.transcript.append(line)
            user._touch()
        self._transcript.append((user, line))

    def _recent_errors(self) -> list[str]:
        return [f"{m} -> {e.error_code} {e.description}" for m, _, e in self.errors[-10:]]

    def _log(self, user: SimulatedUser | None, line: str) -> None:
        self._transcript.append((user, line))

    # ============================================================== updates
    @staticmethod
    def _now() -> int:
        return int(time.time())

    def _notify(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    async def _wait_for_news(self, timeout: float) -> None:
        event = self._wake
        try:
            await asyncio.wait_for(event.wait(), timeout=max(timeout, 0))
        except asyncio.TimeoutError:
            pass

    def _enqueue(self, content: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update (``content`` is e.g. ``{"message": {...}}``) for getUpdates or
        the webhook. Like Telegram, updates of types the bot did not subscribe to are not
        stored at all."""
        kind = next(iter(content))
        allowed = self.webhook.allowed_updates if self.webhook else self._allowed_updates
        if allowed:
            if kind not in allowed:
                return None
        elif kind in _NOT_DEFAULT_UPDATES:
            return None
        update = {"update_id": next(self._update_ids), **content}
        self._updates.append(update)
        self._notify()
        return update

    async def _get_updates(self, p: _Params) -> list[dict[str, Any]]:
        if self.webhook:
            raise BotApiError(409, E.WEBHOOK_ACTIVE)
        offset = p.int("offset", 0) or 0
        limit = min(max(p.int("limit", 100) or 100, 1), 100)
        timeout = max(p.float("timeout") or 0.0, 0.0)
        if p.has("allowed_updates"):
            allowed = p.json("allowed_updates")
            self._allowed_updates = list(allowed) if allowed else None  # the setting persists
        # An update is confirmed by asking for a higher offset; a negative offset keeps only
        # the last -offset updates.
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._notify()  # wakes a pending long poll, which then sees it was superseded
        # A newer getUpdates ends a pending long poll with 409, as at Telegram (two pollers).
        self._poll_generation += 1
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._wait_for_news(remaining)
            if self.webhook:
                raise BotApiError(409, E.WEBHOOK_ACTIVE)
            if generation != self._poll_generation:
                raise BotApiError(409, E.TERMINATED_BY_OTHER_POLL)
        return copy.deepcopy(self._updates[:limit])

    async def _set_webhook(self, p: _Params) -> tuple[bool, str]:
        url = (p.str("url") or "").strip()
        if not url:
            return await self._delete_webhook(p)
        # Deviation: Telegram demands HTTPS on ports 443/80/88/8443; local receivers use http.
        if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
            raise bad_request(E.WEBHOOK_NEEDS_HTTPS)
        secret = p.str("secret_token") or None
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = p.json("allowed_updates") if p.has("allowed_updates") else None
        if p.bool("drop_pending_updates"):
            self._updates.clear()
        self.webhook = Webhook(
            url=url, secret_token=secret, allowed_updates=list(allowed) if allowed else None,
            max_connections=p.int("max_connections", 40) or 40,
        )
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        self._notify()  # wake long polls: they now answer 409
        return True, "Webhook was set"

    async def _delete_webhook(self, p: _Params) -> tuple[bool, str]:
        was_set = self.webhook is not None
        self.webhook = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        if p.bool("drop_pending_updates"):
            self._updates.clear()
        return True, "Webhook was deleted" if was_set else "Webhook is already deleted"

    async def _get_webhook_info(self, p: _Params) -> dict[str, Any]:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
            if hook.allowed_updates:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _deliver_webhooks(self) -> None:
        """POST each update, in order, to the webhook until it answers 2xx. Telegram retries
        for hours; here a failing update is retried every ``webhook_retry_delay`` seconds and
        dropped (into ``dropped_updates``) after ``webhook_max_attempts`` attempts so that a
        broken receiver cannot hang a test. One update at a time keeps the order per chat."""
        attempts = 0
        while self.webhook is not None and not self._closing:
            if not self._updates:
                await self._wait_for_news(3600)
                continue
            hook = self.webhook
            update = self._updates[0]
            headers = {"Content-Type": "application/json"}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            status: int | None = None
            reason = ""
            try:
                assert self._http is not None
                async with self._http.post(
                    hook.url, data=json.dumps(update), headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as response:
                    status, reason = response.status, response.reason or ""
                    await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                reason = f"Connection failed: {exc.__class__.__name__}"
            self.webhook_deliveries.append((update["update_id"], status))
            if status is not None and 200 <= status < 300:
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                attempts = 0
                continue
            hook.last_error_date = self._now()
            hook.last_error_message = (
                f"Wrong response from the webhook: {status} {reason}" if status else reason
            )
            attempts += 1
            if attempts >= self.webhook_max_attempts:
                if self._updates and self._updates[0] is update:
                    self.dropped_updates.append(self._updates.pop(0))
                attempts = 0
                continue
            await asyncio.sleep(self.webhook_retry_delay)

    # ============================================================== users -> bot
    def _user_message(
        self, user: SimulatedUser, content: dict[str, Any], *, reply_to_message_id: int | None
    ) -> dict[str, Any]:
        user._chat_known = True
        tg: dict[str, Any] = {
            "message_id": self._next_message_id(user),
            "from": user.user_dict(),
            "chat": user.chat_dict(),
            "date": self._now(),
            **content,
        }
        if reply_to_message_id is not None:
            target = user._messages.get(reply_to_message_id)
            if target is None:
                raise AssertionError(f"{user!r} cannot reply to unknown message #{reply_to_message_id}")
            tg["reply_to_message"] = self._reply_copy(target)
        stored = StoredMessage(tg=tg, from_bot=False)
        for kind in ("photo", "document"):
            if kind in tg:
                file_id = tg[kind][-1]["file_id"] if kind == "photo" else tg[kind]["file_id"]
                stored.file = self._files.get(file_id)
        user._messages[tg["message_id"]] = stored
        self._enqueue({"message": stored.snapshot()})
        return stored.snapshot()

    def _callback_query(self, user: SimulatedUser, stored: StoredMessage, data: str) -> str:
        query_id = str(4_611_686_018_427_387_904 + user.id * 1000 + next(self._query_counter))
        self._callback_queries[query_id] = {"user": user, "answered": False}
        self._enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.user_dict(),
                    "message": stored.snapshot(),
                    # chat_instance: a global identifier of the chat the message is in
                    "chat_instance": str(-(7_000_000_000_000_000_000 + user.id)),
                    "data": data,
                }
            }
        )
        return query_id

    @staticmethod
    def _next_message_id(user: SimulatedUser) -> int:
        # One counter per chat, shared by the user's and the bot's messages.
        message_id = user._next_mid
        user._next_mid += 1
        return message_id

    @staticmethod
    def _reply_copy(stored: StoredMessage) -> dict[str, Any]:
        # Telegram does not nest reply_to_message further than one level.
        data = stored.snapshot()
        data.pop("reply_to_message", None)
        return data

    # ============================================================== files
    def _store_file(
        self,
        kind: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        n = next(self._file_counter)
        prefix = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "audio": "CQAC"}.get(
            kind, "BQAC"
        )
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        if kind == "document" and mime_type is None:
            mime_type = "application/octet-stream"
        file = StoredFile(
            file_id=f"{prefix}AgIAAxkBAA{n:05d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AQAD{n:05d}{secrets.token_urlsafe(4)}",
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            url=url,
        )
        self._files[file.file_id] = file
        return file

    def _photo_sizes(
        self, data: bytes | None, *, mime_type: str | None, url: str | None = None
    ) -> list[dict[str, Any]]:
        """PhotoSize list as Telegram returns it: a 320px thumbnail plus the full size when the
        photo is larger than that (smallest first; PTB's ``message.photo[-1]`` is the largest)."""
        width, height = _image_size(data) if data else (0, 0)
        if not width:
            width, height = 800, 600
        sizes = []
        if max(width, height) > 320:
            scale = 320 / max(width, height)
            sizes.append((max(int(width * scale), 1), max(int(height * scale), 1)))
        sizes.append((width, height))
        result = []
        for w, h in sizes:
            file = self._store_file(
                "photo", data, mime_type=mime_type or "image/jpeg", url=url, width=w, height=h
            )
            size = {"file_id": file.file_id, "file_unique_id": file.file_unique_id,
                    "width": w, "height": h}
            if file.file_size is not None:
                size["file_size"] = file.file_size
            result.append(size)
        for size in result:
            self._photo_sets[size["file_id"]] = result
        return copy.deepcopy(result)

    @staticmethod
    def _document_dict(file: StoredFile) -> dict[str, Any]:
        document: dict[str, Any] = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
        }
        if file.file_name:
            document["file_name"] = file.file_name
        if file.mime_type:
            document["mime_type"] = file.mime_type
        if file.file_size is not None:
            document["file_size"] = file.file_size
        if file.kind in ("video",):
            document.update({"width": file.width or 640, "height": file.height or 360,
                             "duration": 0})
        if file.kind in ("audio",):
            document["duration"] = 0
        return document

    def _input_file(self, p: _Params, name: str, kind: str, value: Any = None) -> StoredFile:
        """Resolve a file parameter: an upload (multipart part ``name`` or ``attach://x``), a
        file_id the bot may reuse, or an HTTP URL."""
        upload = p.files.get(name) if value is None else None
        if value is None:
            value = p.raw(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value[len("attach://"):])
            if upload is None:
                raise bad_request("can't parse InputMedia: media not found")
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            return self._store_file(
                kind, upload.data, file_name=_clean_file_name(upload.filename, kind),
                mime_type=_upload_mime(upload),
            )
        if value in (None, ""):
            raise bad_request(f"there is no {kind} in the request")
        value = str(value).strip()
        known = self._files.get(value)
        if known is not None:
            if (known.kind == "photo") != (kind == "photo"):
                raise bad_request(
                    f"can't use file of type {known.kind.capitalize()} as {kind.capitalize()}"
                )
            return known
        if re.match(r"^https?://", value, re.IGNORECASE):
            # Deviation: Telegram would download the URL; here it is stored without bytes.
            name_part = value.rsplit("/", 1)[-1].split("?")[0] or None
            return self._store_file(kind, None, file_name=name_part, url=value)
        raise bad_request(E.WRONG_FILE_ID)

    async def _get_file(self, p: _Params) -> dict[str, Any]:
        file_id = (p.str("file_id") or "").strip()
        file = self._files.get(file_id)
        if file is None:
            raise bad_request(E.INVALID_FILE_ID)
        if file.file_path is None and file.data is not None:
            folder = {"photo": "photos", "document": "documents", "video": "videos",
                      "audio": "music"}.get(file.kind, "documents")
            extension = ""
            if file.file_name and "." in file.file_name:
                extension = "." + file.file_name.rsplit(".", 1)[1]
            elif file.mime_type:
                extension = mimetypes.guess_extension(file.mime_type) or ""
                extension = ".jpg" if extension in (".jpe", ".jpeg") else extension
            file.file_path = f"{folder}/file_{len(self._files_by_path)}{extension}"
            self._files_by_path[file.file_path] = file
        result: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        if file.file_size is not None:
            result["file_size"] = file.file_size
        if file.file_path:
            result["file_path"] = file.file_path
        return result

    # ============================================================== shared validation
    def _target_user(self, p: _Params, name: str = "chat_id") -> SimulatedUser:
        raw = p.raw(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise bad_request(f"{name} is empty")
        try:
            chat_id = int(str(raw).strip())
        except ValueError:
            raise bad_request(E.CHAT_NOT_FOUND) from None  # e.g. "@username": no such chat here
        user = self._users.get(chat_id)
        if user is None or not user._chat_known:
            raise bad_request(E.CHAT_NOT_FOUND)
        return user

    @staticmethod
    def _check_not_blocked(user: SimulatedUser) -> None:
        if user._blocked:
            raise forbidden(E.BOT_BLOCKED)

    def _formatted(
        self, p: _Params, text_name: str, mode_name: str, entities_name: str
    ) -> FormattedText:
        raw = p.str(text_name) or ""
        entities = None
        if p.has(entities_name):
            entities = p.json(entities_name, f"can't parse {entities_name} JSON object")
        try:
            return parse_formatted_text(
                raw, p.str(mode_name), entities, strict_html=self.strict_html
            )
        except EntityParseError as exc:
            raise bad_request(E.CANT_PARSE_ENTITIES + str(exc)) from None
        except ValueError as exc:
            raise bad_request(str(exc)) from None

    def _message_text(self, p: _Params) -> FormattedText:
        if not p.str("text"):
            raise bad_request(E.MESSAGE_TEXT_EMPTY)
        formatted = self._formatted(p, "text", "parse_mode", "entities")
        if not formatted.text:
            raise bad_request(E.TEXT_MUST_BE_NON_EMPTY)
        if len(formatted.text) > TEXT_LIMIT:  # counted in Unicode code points
            raise bad_request(E.MESSAGE_TOO_LONG)
        return formatted

    def _caption(
        self, p: _Params, names: tuple[str, str, str] = ("caption", "parse_mode", "caption_entities")
    ) -> FormattedText:
        formatted = self._formatted(p, *names)
        if len(formatted.text) > CAPTION_LIMIT:
            raise bad_request(E.CAPTION_TOO_LONG)
        return formatted

    def _reply_target(self, p: _Params, user: SimulatedUser) -> StoredMessage | None:
        message_id: int | None = None
        allow_without = p.bool("allow_sending_without_reply")
        if p.has("reply_parameters"):
            params = p.json("reply_parameters", "can't parse reply parameters JSON object")
            if not isinstance(params, dict):
                raise bad_request("can't parse reply parameters JSON object")
            if "message_id" not in params:
                raise bad_request('can\'t find field "message_id"')
            message_id = int(params["message_id"])
            allow_without = bool(params.get("allow_sending_without_reply", allow_without))
        elif p.has("reply_to_message_id"):
            message_id = p.int("reply_to_message_id")
        if message_id is None:
            return None
        target = user._messages.get(message_id)
        if target is None and not allow_without:
            raise bad_request(E.MESSAGE_TO_REPLY_NOT_FOUND)
        return target

    def _markup(self, p: _Params, *, inline_only: bool = False) -> _Markup | None:
        if not p.has("reply_markup"):
            return None
        markup = p.json("reply_markup", "can't parse reply keyboard markup JSON object")
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return _Markup(inline={"inline_keyboard": _inline_keyboard(markup["inline_keyboard"])})
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list):
                raise bad_request('field "keyboard" must be of type Array')
            options = {}
            for flag in ("resize_keyboard", "one_time_keyboard", "selective", "is_persistent"):
                if flag in markup:
                    if not isinstance(markup[flag], bool):
                        raise bad_request(f'field "{flag}" must be of type Boolean')
                    options[flag] = markup[flag]
            if "input_field_placeholder" in markup:
                options["input_field_placeholder"] = markup["input_field_placeholder"]
            return _Markup(keyboard=_reply_keyboard(rows), keyboard_options=options)
        if "remove_keyboard" in markup:
            if not isinstance(markup["remove_keyboard"], bool):
                raise bad_request('field "remove_keyboard" must be of type Boolean')
            return _Markup(remove_keyboard=True)
        if "force_reply" in markup:
            if not isinstance(markup["force_reply"], bool):
                raise bad_request('field "force_reply" must be of type Boolean')
            return _Markup(force_reply=True)
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _post_bot_message(
        self,
        user: SimulatedUser,
        content: dict[str, Any],
        *,
        p: _Params,
        markup: _Markup | None,
        reply_to: StoredMessage | None,
        raw_text: str | None = None,
        file: StoredFile | None = None,
    ) -> dict[str, Any]:
        tg: dict[str, Any] = {
            "message_id": self._next_message_id(user),
            "from": self.bot_user,
            "chat": user.chat_dict(),
            "date": self._now(),
        }
        if reply_to is not None:
            tg["reply_to_message"] = self._reply_copy(reply_to)
        tg.update(content)
        if markup and markup.inline and markup.inline["inline_keyboard"]:
            tg["reply_markup"] = markup.inline  # only inline keyboards are part of a Message
        if p.bool("protect_content"):
            tg["has_protected_content"] = True
        stored = StoredMessage(
            tg=tg,
            from_bot=True,
            raw_text=raw_text,
            parse_mode=p.str("parse_mode"),
            reply_keyboard=markup.keyboard if markup else None,
            keyboard_options=markup.keyboard_options if markup else {},
            remove_keyboard=bool(markup and markup.remove_keyboard),
            force_reply=bool(markup and markup.force_reply),
            file=file,
        )
        user._messages[tg["message_id"]] = stored
        user._bot_posted(stored, edited=False)
        return stored.snapshot()

    @staticmethod
    def _text_content(formatted: FormattedText, key: str = "text") -> dict[str, Any]:
        content: dict[str, Any] = {}
        if formatted.text or key == "text":
            content[key] = formatted.text
        if formatted.entities:
            content["entities" if key == "text" else "caption_entities"] = formatted.entities
        return content

    # ============================================================== methods
    async def _true(self, p: _Params) -> bool:
        return True

    async def _get_me(self, p: _Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _send_message(self, p: _Params) -> dict[str, Any]:
        # Order as the Bot API checks: text and its formatting, the markup, then the chat.
        formatted = self._message_text(p)
        markup = self._markup(p)
        user = self._target_user(p)
        reply_to = self._reply_target(p, user)
        self._check_not_blocked(user)
        return self._post_bot_message(
            user, self._text_content(formatted), p=p, markup=markup, reply_to=reply_to,
            raw_text=p.str("text"),
        )

    async def _send_photo(self, p: _Params) -> dict[str, Any]:
        caption = self._caption(p)
        markup = self._markup(p)
        user = self._target_user(p)
        reply_to = self._reply_target(p, user)
        file = self._input_file(p, "photo", "photo")
        self._check_not_blocked(user)
        sizes, file = self._photo_sizes_for(file)
        content = {"photo": sizes, **self._text_content(caption, "caption")}
        if p.bool("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._post_bot_message(
            user, content, p=p, markup=markup, reply_to=reply_to, raw_text=p.str("caption"),
            file=file,
        )

    def _photo_sizes_for(self, file: StoredFile) -> tuple[list[dict[str, Any]], StoredFile]:
        """The PhotoSize list for a photo being sent, and the file of its largest size. A photo
        re-sent by the file_id of any of its sizes comes back with the same sizes."""
        if file.file_id in self._photo_sets:
            sizes = copy.deepcopy(self._photo_sets[file.file_id])
        else:
            sizes = self._photo_sizes(file.data, mime_type=file.mime_type, url=file.url)
            self._files.pop(file.file_id, None)  # the upload itself is known by its sizes
        return sizes, self._files[sizes[-1]["file_id"]]

    async def _send_document(self, p: _Params) -> dict[str, Any]:
        caption = self._caption(p)
        markup = self._markup(p)
        user = self._target_user(p)
        reply_to = self._reply_target(p, user)
        file = self._input_file(p, "document", "document")
        self._check_not_blocked(user)
        content = {"document": self._document_dict(file), **self._text_content(caption, "caption")}
        return self._post_bot_message(
            user, content, p=p, markup=markup, reply_to=reply_to, raw_text=p.str("caption"),
            file=file,
        )

    async def _send_location(self, p: _Params) -> dict[str, Any]:
        latitude, longitude = p.float("latitude"), p.float("longitude")
        if latitude is None or longitude is None or not (-90 <= latitude <= 90) or not (
            -180 <= longitude <= 180
        ):
            raise bad_request("wrong latitude or longitude specified")  # approximate wording
        markup = self._markup(p)
        user = self._target_user(p)
        reply_to = self._reply_target(p, user)
        self._check_not_blocked(user)
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        return self._post_bot_message(
            user, {"location": location}, p=p, markup=markup, reply_to=reply_to
        )

    async def _send_media_group(self, p: _Params) -> list[dict[str, Any]]:
        media = p.json("media", "can't parse InputMedia JSON object") if p.has("media") else None
        if not media:
            raise bad_request(E.NO_MESSAGES_TO_SEND)
        if not isinstance(media, list):
            raise bad_request("can't parse InputMedia JSON object")
        if len(media) > 10:
            raise bad_request(E.TOO_MANY_ALBUM_MESSAGES)
        items = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "animation":
                raise bad_request('can\'t parse InputMedia: type "animation" can\'t be used in sendMediaGroup')
            if kind not in ("photo", "video", "document", "audio"):
                raise bad_request(f'can\'t parse InputMedia: type "{kind}" is unsupported')
            caption_params = _Params(item, {})
            caption = self._caption(caption_params)
            items.append((kind, item, caption))
        kinds = {kind for kind, _, _ in items}
        if "document" in kinds and kinds != {"document"}:
            raise bad_request(E.DOCUMENT_CANT_BE_MIXED)
        if "audio" in kinds and kinds != {"audio"}:
            raise bad_request("audio can't be mixed with other media types")
        user = self._target_user(p)
        reply_to = self._reply_target(p, user)
        files = [self._input_file(p, "media", kind, value=item.get("media"))
                 for kind, item, _ in items]
        self._check_not_blocked(user)
        group_id = str(next(self._media_group_counter)) if len(items) > 1 else None
        results = []
        for (kind, item, caption), file in zip(items, files):
            if kind == "photo":
                sizes, file = self._photo_sizes_for(file)
                content: dict[str, Any] = {"photo": sizes}
            else:
                content = {kind: self._document_dict(file)}
            if group_id:
                content["media_group_id"] = group_id
            content.update(self._text_content(caption, "caption"))
            results.append(
                self._post_bot_message(
                    user, content, p=p, markup=None, reply_to=reply_to,
                    raw_text=item.get("caption"), file=file,
                )
            )
        return results

    _NOT_CONTENT = frozenset({
        "message_id", "from", "chat", "date", "reply_to_message", "reply_markup", "edit_date",
        "forward_origin", "media_group_id", "has_protected_content", "is_automatic_forward",
    })

    def _source_message(self, p: _Params, what: str) -> StoredMessage:
        source = self._target_user(p, "from_chat_id")
        message_id = p.int("message_id")
        if message_id is None:
            raise bad_request(E.MESSAGE_ID_NOT_SPECIFIED)
        stored = source._messages.get(message_id)
        if stored is None:
            raise bad_request(f"message to {what} not found")
        return stored

    async def _copy_message(self, p: _Params) -> dict[str, Any]:
        caption = self._caption(p) if p.raw("caption") is not None else None
        markup = self._markup(p)
        user = self._target_user(p)
        stored = self._source_message(p, "copy")
        reply_to = self._reply_target(p, user)
        self._check_not_blocked(user)
        content = {k: v for k, v in stored.snapshot().items() if k not in self._NOT_CONTENT}
        raw_text = stored.raw_text
        if caption is not None and "text" not in content:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._text_content(caption, "caption"))
            raw_text = p.str("caption")
        copied = self._post_bot_message(
            user, content, p=p, markup=markup, reply_to=reply_to, raw_text=raw_text,
            file=stored.file,
        )
        return {"message_id": copied["message_id"]}

    async def _forward_message(self, p: _Params) -> dict[str, Any]:
        user = self._target_user(p)
        stored = self._source_message(p, "forward")
        self._check_not_blocked(user)
        content = {k: v for k, v in stored.snapshot().items() if k not in self._NOT_CONTENT}
        content["forward_origin"] = {
            "type": "user", "sender_user": stored.tg["from"], "date": stored.tg["date"],
        }
        return self._post_bot_message(
            user, content, p=p, markup=None, reply_to=None, raw_text=stored.raw_text,
            file=stored.file,
        )

    async def _send_chat_action(self, p: _Params) -> bool:
        action = p.str("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request(E.WRONG_CHAT_ACTION)
        user = self._target_user(p)
        self._check_not_blocked(user)
        user._bot_action(action)
        return True

    def _message_to_edit(self, p: _Params) -> tuple[SimulatedUser, StoredMessage]:
        if p.has("inline_message_id") and not p.has("chat_id"):
            raise bad_request(E.MESSAGE_TO_EDIT_NOT_FOUND)  # no inline mode here
        user = self._target_user(p)
        message_id = p.int("message_id")
        if message_id is None:
            raise bad_request(E.MESSAGE_ID_NOT_SPECIFIED)
        stored = user._messages.get(message_id)
        if stored is None:
            raise bad_request(E.MESSAGE_TO_EDIT_NOT_FOUND)
        if not stored.from_bot:
            raise bad_request(E.MESSAGE_CANT_BE_EDITED)
        return user, stored

    def _apply_edit(
        self,
        user: SimulatedUser,
        stored: StoredMessage,
        content: dict[str, Any],
        markup: _Markup | None,
        *,
        raw_text: str | None = None,
        parse_mode: str | None = None,
        keep_text: bool = False,
    ) -> dict[str, Any]:
        """Apply an edit unless it changes nothing. As at Telegram, leaving out reply_markup
        in an edit removes the inline keyboard."""
        new = {key: value for key, value in stored.tg.items()
               if key not in ("text", "entities", "caption", "caption_entities",
                              "reply_markup", "edit_date")}
        if keep_text:
            for key in ("text", "entities", "caption", "caption_entities"):
                if key in stored.tg:
                    new[key] = stored.tg[key]
        new.update(content)
        if markup and markup.inline and markup.inline["inline_keyboard"]:
            new["reply_markup"] = markup.inline
        old = {key: value for key, value in stored.tg.items() if key != "edit_date"}
        if _canonical_json(new) == _canonical_json(old):
            raise bad_request(E.MESSAGE_NOT_MODIFIED)
        new["edit_date"] = self._now()
        stored.tg = new
        if not keep_text:
            stored.raw_text, stored.parse_mode = raw_text, parse_mode
        user._bot_posted(stored, edited=True)
        return stored.snapshot()

    async def _edit_message_text(self, p: _Params) -> dict[str, Any]:
        formatted = self._message_text(p)
        markup = self._markup(p, inline_only=True)
        user, stored = self._message_to_edit(p)
        if "text" not in stored.tg:
            raise bad_request(E.NO_TEXT_TO_EDIT)
        return self._apply_edit(
            user, stored, self._text_content(formatted), markup,
            raw_text=p.str("text"), parse_mode=p.str("parse_mode"),
        )

    async def _edit_message_caption(self, p: _Params) -> dict[str, Any]:
        caption = self._caption(p)
        markup = self._markup(p, inline_only=True)
        user, stored = self._message_to_edit(p)
        if message_kind(stored.tg) not in ("photo", "document", "video", "audio", "animation"):
            raise bad_request(E.NO_CAPTION_TO_EDIT)
        return self._apply_edit(
            user, stored, self._text_content(caption, "caption"), markup,
            raw_text=p.str("caption"), parse_mode=p.str("parse_mode"),
        )

    async def _edit_message_reply_markup(self, p: _Params) -> dict[str, Any]:
        markup = self._markup(p, inline_only=True)
        user, stored = self._message_to_edit(p)
        return self._apply_edit(user, stored, {}, markup, keep_text=True)

    async def _delete_message(self, p: _Params) -> bool:
        user = self._target_user(p)
        message_id = p.int("message_id")
        if message_id is None:
            raise bad_request(E.MESSAGE_ID_NOT_SPECIFIED)
        stored = user._messages.pop(message_id, None)
        if stored is None:
            raise bad_request(E.MESSAGE_TO_DELETE_NOT_FOUND)
        user._bot_deleted(message_id, was_bot_message=stored.from_bot)
        return True

    async def _delete_messages(self, p: _Params) -> bool:
        user = self._target_user(p)
        ids = p.json("message_ids") or []
        for message_id in ids:  # like Telegram: missing ones are skipped silently
            stored = user._messages.pop(int(message_id), None)
            if stored is not None:
                user._bot_deleted(int(message_id), was_bot_message=stored.from_bot)
        return True

    async def _answer_callback_query(self, p: _Params) -> bool:
        query_id = (p.str("callback_query_id") or "").strip()
        query = self._callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise bad_request(E.QUERY_TOO_OLD)
        text = p.str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query["answered"] = True
        answer: dict[str, Any] = {"query_id": query_id, "text": text or None,
                                  "show_alert": p.bool("show_alert")}
        if p.has("url"):
            answer["url"] = p.str("url")
        query["user"]._bot_answered(answer)
        return True

    def _commands_target(self, p: _Params) -> tuple[str, str]:
        scope = p.json("scope", "can't parse BotCommandScope JSON object") if p.has("scope") else None
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            try:
                chat_id = int(scope.get("chat_id"))
            except (TypeError, ValueError):
                raise bad_request(E.CHAT_NOT_FOUND) from None
            if chat_id not in self._users or not self._users[chat_id]._chat_known:
                raise bad_request(E.CHAT_NOT_FOUND)
            if scope["type"] != "chat":
                raise bad_request("can't use specified scope in private chats")
            scope = {**scope, "chat_id": chat_id}
        language = p.str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request(E.INVALID_LANGUAGE_CODE)
        return scope_key(scope), language

    async def _set_my_commands(self, p: _Params) -> bool:
        commands = p.json("commands", "can't parse commands JSON object") if p.has("commands") else []
        if not isinstance(commands, list):
            raise bad_request('field "commands" must be of type Array')
        if len(commands) > 100:
            raise bad_request(E.BOT_COMMANDS_TOO_MUCH)
        clean = []
        for item in commands:
            command = str(item.get("command", "")) if isinstance(item, dict) else ""
            description = str(item.get("description", "")) if isinstance(item, dict) else ""
            command = command.removeprefix("/")
            if not command:
                raise bad_request("command must be non-empty")
            if len(command) > 32:
                raise bad_request("command length must not exceed 32")
            if not _COMMAND_RE.match(command):
                raise bad_request(E.BOT_COMMAND_INVALID)
            if not description.strip():
                raise bad_request("command description must be non-empty")
            if len(description) > 256:
                raise bad_request("command description length must not exceed 256")
            clean.append({"command": command, "description": description})
        key = self._commands_target(p)
        if clean:
            self.commands[key] = clean
        else:
            self.commands.pop(key, None)  # an empty list deletes the commands
        return True

    async def _get_my_commands(self, p: _Params) -> list[dict[str, str]]:
        return copy.deepcopy(self.commands.get(self._commands_target(p), []))

    async def _delete_my_commands(self, p: _Params) -> bool:
        self.commands.pop(self._commands_target(p), None)
        return True

    async def _set_chat_menu_button(self, p: _Params) -> bool:
        button = p.json("menu_button", "can't parse MenuButton JSON object") if p.has("menu_button") else None
        button = button or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise bad_request("can't parse MenuButton JSON object")
        chat_id = None
        if p.has("chat_id"):
            chat_id = self._target_user(p).id
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, p: _Params) -> dict[str, Any]:
        chat_id = self._target_user(p).id if p.has("chat_id") else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}


# ================================================================== helpers
_BUTTON_ACTIONS = (
    # The order in which the Bot API server looks for a button's action; the first present
    # one wins and the others are dropped (Telegram does not reject a button with two).
    "url", "callback_data", "callback_game", "pay", "switch_inline_query",
    "switch_inline_query_chosen_chat", "switch_inline_query_current_chat", "login_url",
    "web_app", "copy_text",
)


def _inline_keyboard(rows: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" must be of type Array')
    clean_rows = []
    total = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad_request('field "inline_keyboard" must be an Array of Arrays')
        clean_row = []
        for button in row:
            total += 1
            clean_row.append(_inline_button(button))
        if clean_row:
            clean_rows.append(clean_row)
    if total > 100:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    return clean_rows


def _inline_button(button: Any) -> dict[str, Any]:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "expected an Object")
    if "text" not in button:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    for action in _BUTTON_ACTIONS:
        value = button.get(action)
        if value is None or value == "":  # an empty callback_data counts as missing
            continue
        clean: dict[str, Any] = {"text": button["text"]}
        if action == "callback_data":
            if not isinstance(value, str):
                raise bad_request(prefix + 'Field "callback_data" must be of type String')
            if len(value.encode("utf-8")) > 64:
                raise bad_request(E.BUTTON_DATA_INVALID)
        elif action == "url":
            if not isinstance(value, str):
                raise bad_request(prefix + 'Field "url" must be of type String')
            problem = _url_problem(value)
            if problem:
                raise bad_request(f"inline keyboard button URL '{value}' is invalid: {problem}")
        elif action in ("callback_game", "pay"):
            raise bad_request("BUTTON_TYPE_INVALID")
        elif action == "web_app":
            url = value.get("url", "") if isinstance(value, dict) else ""
            if not isinstance(value, dict):
                raise bad_request(prefix + 'Field "web_app" must be of type Object')
            if not url.lower().startswith("https://"):
                raise bad_request(
                    f"inline keyboard button Web App URL '{url}' is invalid: "
                    "Only HTTPS links are allowed"
                )
        elif action == "copy_text":
            text = value.get("text") if isinstance(value, dict) else None
            if not isinstance(text, str) or not 1 <= len(text) <= 256:
                raise bad_request("BUTTON_COPY_TEXT_INVALID")
        clean[action] = value
        return clean
    raise bad_request(E.TEXT_BUTTONS_UNALLOWED)


def _url_problem(url: str) -> str | None:
    """Why the Bot API would refuse ``url`` for a button (simplified TDLib check_url)."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", url.strip())
    if match:
        scheme, rest = match.group(1).lower(), match.group(2)
        if scheme not in ("http", "https", "tg", "ton"):
            return "Unsupported URL protocol"
        if scheme in ("http", "https") and not re.match(r"^[^/\s?#]+", rest):
            return "URL host is empty"
        return None
    if url.lower().startswith("tg:"):
        return None
    host = re.split(r"[/?#]", url.strip(), maxsplit=1)[0]
    if not host or " " in url.strip() or "." not in host:
        return "Wrong HTTP URL"
    return None


def _reply_keyboard(rows: list[Any]) -> list[list[dict[str, Any]]]:
    clean_rows = []
    for row in rows:
        if not isinstance(row, list):
            raise bad_request('field "keyboard" must be an Array of Arrays')
        clean_row = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request('can\'t parse keyboard button: Can\'t find field "text"')
            clean = {
                "text": button["text"],
                "request_contact": bool(button.get("request_contact", False)),
                "request_location": bool(button.get("request_location", False)),
            }
            for extra in ("request_poll", "request_users", "request_chat", "web_app"):
                if extra in button:
                    clean[extra] = button[extra]
            if "web_app" in button:
                url = (button["web_app"] or {}).get("url", "")
                if not str(url).lower().startswith("https://"):
                    raise bad_request(
                        f"keyboard button Web App URL '{url}' is invalid: "
                        "Only HTTPS links are allowed"
                    )
            clean_row.append(clean)
        if clean_row:
            clean_rows.append(clean_row)
    return clean_rows


def _clean_file_name(name: str | None, kind: str) -> str | None:
    if kind == "photo":
        return None  # Telegram keeps no name for photos
    if not name:
        return None
    return name.replace("/", "_").replace("\\", "_").strip() or None


def _upload_mime(upload: UploadedFile) -> str | None:
    guessed = mimetypes.guess_type(upload.filename or "")[0]
    # PTB sends application/octet-stream when it cannot guess; prefer the name's type then.
    if upload.content_type and upload.content_type != "application/octet-stream":
        return upload.content_type
    return guessed or upload.content_type


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG, GIF or JPEG header; (0, 0) when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                          0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            i += 2 + length
    return 0, 0
