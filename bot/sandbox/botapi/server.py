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
import itertools
import json
from typing import Any, Awaitable, Callable

import aiohttp
from aiohttp import web

from . import errors as E
from .commands import CommandsMixin
from .errors import BotApiError, bad_request
from .files import FilesMixin
from .messages import MessagesMixin
from .models import StoredFile, UploadedFile
from .params import _Params
from .updates import UpdatesMixin, Webhook
from .users import SimulatedUser

Handler = Callable[["_Params"], Awaitable[Any]]


class LocalBotApi(UpdatesMixin, FilesMixin, MessagesMixin, CommandsMixin):
    """The local Bot API server plus the simulated Telegram users around it.

    The state lives here (``__init__``); the Bot API methods are in the mixins, one module
    each: updates.py, files.py, messages.py, commands.py."""

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

    # ============================================================== methods kept here
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
