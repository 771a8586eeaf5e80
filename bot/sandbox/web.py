"""The sandbox's web page and the small JSON API behind it.

Each person in the page is a simulated Telegram user of the local Bot API server; what the
page does (type, press a button, share the contact, send a photo or a location) is what that
user does in Telegram, and what the bot sends lands in their chat, which the page long-polls.

    GET  /                                 the page (static/index.html, app.css, app.js)
    GET  /api/people[?after=V]             everyone, with a version to long-poll for changes
    POST /api/people                       a new customer {name, language, invite?}
    GET  /api/chat/{id}[?after=V]          the chat (long poll: answers when past version V)
    POST /api/chat/{id}/text               {text}
    POST /api/chat/{id}/press              {message_id, row, column}: an inline button
    POST /api/chat/{id}/tap                {text, latitude?, longitude?}: a reply-keyboard button
    POST /api/chat/{id}/contact            shares the person's own phone
    POST /api/chat/{id}/location           {latitude, longitude}
    POST /api/chat/{id}/photo              multipart: photo (PNG, JPEG, GIF or WebP), caption?
    GET  /api/chat/{id}/file/{message_id}  the photo or document of a message

Messages go out as Telegram has them: visible text plus entities (the server parsed the bot's
HTML), so the page builds its formatting from entities with DOM nodes and never inserts HTML.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from aiohttp import web

from core.desk import Desk
from core.errors import InvalidInput
from core.lifecycle import CUSTOMER, MANAGER, TECHNICIAN
from core.people import NAME_MAX, clean_name

from . import demo
from .botapi import LocalBotApi, SimulatedUser, detect_bot_commands
from .botapi.models import StoredMessage, message_kind

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
LONG_POLL_SECONDS = 25.0
MESSAGES_SHOWN = 300
PHOTO_LIMIT = 10 * 1024 * 1024  # Telegram's limit for photos
ROLE_ORDER = {MANAGER: 0, TECHNICIAN: 1, CUSTOMER: 2}
IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Refused(Exception):
    """Something the page asked that a person in Telegram could not do: 4xx with a reason."""

    def __init__(self, reason: str, status: int = 409):
        super().__init__(reason)
        self.reason, self.status = reason, status


def image_type(data: bytes) -> str | None:
    for magic, mime in IMAGE_TYPES.items():
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class SandboxPage:
    """The aiohttp application of the page; people are the API server's simulated users."""

    def __init__(self, api: LocalBotApi, desk: Desk, *, default_language: str = "zh"):
        self.api = api
        self.desk = desk
        self.default_language = default_language
        self.closing = False
        # A page open from an earlier run of the sandbox sends its instance with its versions;
        # a different one means "start over" (versions begin again at 0), answered at once.
        self.instance = secrets.token_hex(4)
        self._new_ids = demo.FIRST_NEW_ID

    # ------------------------------------------------------------------ people
    async def load_people(self) -> None:
        """A chat for everyone in the database (the bot may write to them: they are its users)."""
        for user in await demo.people_in(self.desk):
            self._simulated(user)

    def _simulated(self, user) -> SimulatedUser:
        spec = demo.person(user.telegram_id)
        sim = self.api.user(
            user.telegram_id,
            user.name or (spec.name if spec else f"Customer {user.telegram_id}"),
            language_code=(spec.language if spec else user.language) or self.default_language,
            phone_number=user.phone or (spec.phone if spec else None)
            or demo.new_customer_phone(user.telegram_id),
            started=True,
        )
        self._new_ids = max(self._new_ids, user.telegram_id + 1)
        return sim

    async def people(self) -> list[dict[str, Any]]:
        rows = {u.telegram_id: u for u in await demo.people_in(self.desk)}
        for telegram_id, user in rows.items():
            if not any(s.id == telegram_id for s in self.api.users):
                self._simulated(user)  # e.g. added by `python -m bot add-manager` meanwhile
        result = []
        for sim in self.api.users:
            user = rows.get(sim.id)
            spec = demo.person(sim.id)
            bot_messages = [m for m in sim._events if not m.edited]
            last = sim.last_message
            result.append({
                "id": sim.id,
                "name": (user.name if user and user.name else sim.first_name),
                "role": user.role if user else CUSTOMER,
                "active": user.active if user else True,
                "registered": bool(user and user.registered_at),
                "language": sim.language_code,
                "phone": sim.phone_number,
                "demo": spec is not None,
                "bot_messages": len(bot_messages),
                "preview": ((last.text or last.caption or f"({last.kind})") if last else "")[:80],
            })
        result.sort(key=lambda p: (ROLE_ORDER.get(p["role"], 3), p["id"]))
        return result

    def people_version(self) -> int:
        return sum(u.version for u in self.api.users) + len(self.api.users)

    def new_customer(self, name: str, language: str) -> SimulatedUser:
        name = clean_name(name)
        if language not in ("zh", "en"):
            raise Refused("language: zh or en", 400)
        telegram_id = self._new_ids
        self._new_ids += 1
        return self.api.user(telegram_id, name, language_code=language,
                             phone_number=demo.new_customer_phone(telegram_id))

    def person(self, request: web.Request) -> SimulatedUser:
        try:
            telegram_id = int(request.match_info["user"])
        except ValueError:
            raise Refused("no such person", 404) from None
        sim = next((u for u in self.api.users if u.id == telegram_id), None)
        if sim is None:
            raise Refused("no such person", 404)
        return sim

    # ------------------------------------------------------------------ chat state
    def chat(self, sim: SimulatedUser) -> dict[str, Any]:
        stored = [sim._messages[mid] for mid in sorted(sim._messages)][-MESSAGES_SHOWN:]
        answers = [
            {"n": n, "text": a["text"], "alert": bool(a.get("show_alert"))}
            for n, a in enumerate(sim.answers) if a.get("text")
        ][-3:]
        keyboard = None
        if sim.keyboard:
            keyboard = [[{"text": b["text"],
                          "contact": bool(b.get("request_contact")),
                          "location": bool(b.get("request_location"))} for b in row]
                        for row in sim.keyboard]
        return {
            "id": sim.id,
            "instance": self.instance,
            "version": sim.version,
            "messages": [self._message(sim, m) for m in stored],
            "keyboard": keyboard,
            "toasts": answers,
            "answers": len(sim.answers),
            "bot_messages": sum(1 for m in sim._events if not m.edited),
            "commands": self._commands(sim),
            "errors": [line for line in sim.transcript if line.startswith("! ")][-3:],
        }

    def _commands(self, sim: SimulatedUser) -> list[dict[str, str]]:
        """The bot's command menu in this chat, resolved as Telegram resolves scopes."""
        chat = {"type": "chat", "chat_id": sim.id}
        lang = sim.language_code or ""
        for scope in (chat, "all_private_chats", None):
            for code in (lang, ""):
                found = self.api.commands_for(scope, code)
                if found:
                    return found
        return []

    @staticmethod
    def _message(sim: SimulatedUser, stored: StoredMessage) -> dict[str, Any]:
        tg = stored.tg
        kind = message_kind(tg)
        text = tg.get("text") if kind == "text" else tg.get("caption")
        entities = tg.get("entities") if kind == "text" else tg.get("caption_entities")
        out: dict[str, Any] = {
            "id": tg["message_id"],
            "from_bot": stored.from_bot,
            "kind": kind,
            "date": tg.get("date"),
            "edited": "edit_date" in tg,
            "text": text or "",
            "entities": _with_commands(text or "", entities or []) if stored.from_bot
            else entities or [],
        }
        buttons = []
        for row in stored.inline_keyboard:
            cells = []
            for button in row:
                cell = {"text": button["text"],
                        "kind": "callback" if "callback_data" in button else "other"}
                url = button.get("url")
                if url and urlparse(url).scheme in ("http", "https", "tg"):
                    cell.update(kind="url", url=url)
                cells.append(cell)
            buttons.append(cells)
        if buttons:
            out["buttons"] = buttons
        file = stored.file
        if kind in ("photo", "document", "video", "audio", "animation", "voice"):
            media = tg[kind][-1] if kind == "photo" else tg[kind]
            out["file"] = {
                "url": (f"/api/chat/{sim.id}/file/{tg['message_id']}"
                        if file is not None and file.data is not None else None),
                "name": media.get("file_name"),
                "size": media.get("file_size"),
                "mime": media.get("mime_type"),
                "width": media.get("width"),
                "height": media.get("height"),
            }
        if "location" in tg:
            out["location"] = {"latitude": tg["location"]["latitude"],
                               "longitude": tg["location"]["longitude"]}
        if "contact" in tg:
            contact = tg["contact"]
            out["contact"] = {"phone": contact.get("phone_number"),
                              "name": " ".join(filter(None, (contact.get("first_name"),
                                                             contact.get("last_name"))))}
        reply = tg.get("reply_to_message")
        if reply:
            out["reply_to"] = reply.get("message_id")
        return out

    # ------------------------------------------------------------------ HTTP
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=PHOTO_LIMIT + 65536)
        app.router.add_get("/", self._index)
        app.router.add_get("/favicon.ico", self._favicon)
        app.router.add_static("/static/", STATIC, follow_symlinks=False)
        app.router.add_get("/api/people", self._get_people)
        app.router.add_post("/api/people", self._post_people)
        app.router.add_get("/api/chat/{user}", self._get_chat)
        app.router.add_get("/api/chat/{user}/file/{message}", self._get_file)
        for action in ("text", "press", "tap", "contact", "location", "photo"):
            app.router.add_post(f"/api/chat/{{user}}/{action}", self._act)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        """Only pages of this sandbox may use it: the Host must be a loopback address (no DNS
        rebinding), and a POST must come from its own page (no other site in the browser)."""
        host = (request.host or "").rsplit(":", 1)[0].strip("[]") if request.host else ""
        if host != "localhost":
            try:
                if not ipaddress.ip_address(host).is_loopback:
                    raise ValueError
            except ValueError:
                return web.json_response({"error": "the sandbox answers on 127.0.0.1 only"},
                                         status=403)
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin and urlparse(origin).netloc != request.host:
                return web.json_response({"error": "cross-site request refused"}, status=403)
        try:
            response = await handler(request)
        except Refused as refused:
            response = web.json_response({"error": refused.reason}, status=refused.status)
        except AssertionError as error:  # what a Telegram user could not do right now
            response = web.json_response({"error": str(error).split("\n")[0]}, status=409)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _favicon(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "favicon.svg",
                                headers={"Content-Type": "image/svg+xml"})

    async def _get_people(self, request: web.Request) -> web.Response:
        after = self._after(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LONG_POLL_SECONDS
        # Many chats, one cheap sum: looked at a few times a second while someone waits.
        while self.people_version() <= after and loop.time() < deadline and not self.closing:
            await asyncio.sleep(0.25)
        version = self.people_version()
        return web.json_response({"instance": self.instance, "version": version,
                                  "people": await self.people(),
                                  "bot": {"username": self.api.bot_username,
                                          "name": self.api.bot_first_name,
                                          # Message times as the bot speaks: the company's.
                                          "timezone": self.desk.company.timezone.key}})

    async def _post_people(self, request: web.Request) -> web.Response:
        body = await _json(request)
        try:
            sim = self.new_customer(str(body.get("name") or ""), str(body.get("language") or ""))
        except InvalidInput:
            raise Refused(f"name: 1 to {NAME_MAX} characters, no control characters",
                          400) from None
        invite = str(body.get("invite") or "").strip()
        if invite:
            code = invite.rsplit("start=", 1)[-1].split("&")[0].strip()
            await sim.send(f"/start {code}" if code else "/start")
        return web.json_response({"id": sim.id, "name": sim.first_name}, status=201)

    async def _get_chat(self, request: web.Request) -> web.Response:
        sim = self.person(request)
        after = self._after(request)
        if sim.version <= after and not self.closing:
            await sim.wait_for_change(after, LONG_POLL_SECONDS)
        return web.json_response(self.chat(sim))

    def _after(self, request: web.Request) -> int:
        """The version the page has seen (-1: none, or one of an earlier run)."""
        if request.query.get("instance", self.instance) != self.instance:
            return -1
        return _int(request.query.get("after"), -1)

    async def _get_file(self, request: web.Request) -> web.StreamResponse:
        sim = self.person(request)
        stored = sim._messages.get(_int(request.match_info["message"], -1))
        if stored is None or stored.file is None or stored.file.data is None:
            raise Refused("no such file", 404)
        file = stored.file
        headers = {"Content-Security-Policy": "sandbox", "Cache-Control": "private, max-age=3600"}
        mime = image_type(file.data)
        if file.kind == "photo" and mime:
            return web.Response(body=file.data, content_type=mime, headers=headers)
        # Anything else is downloaded, never shown in the page's origin (an .html document!).
        name = file.file_name or f"file_{stored.message_id}"
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return web.Response(body=file.data, content_type="application/octet-stream",
                            headers=headers)

    async def _act(self, request: web.Request) -> web.Response:
        sim = self.person(request)
        if sim.blocked:
            raise Refused("this person blocked the bot")
        action = request.path.rsplit("/", 1)[-1]
        if action == "photo":
            await self._photo(request, sim)
        else:
            body = await _json(request)
            if action == "text":
                text = str(body.get("text") or "")
                if not text.strip():
                    raise Refused("type something first", 400)
                if len(text) > 4096:
                    raise Refused("a message is at most 4096 characters", 400)
                await sim.send(text)
            elif action == "press":
                await sim.press_at(_int(body.get("message_id"), -1), _int(body.get("row"), -1),
                                   _int(body.get("column"), -1))
            elif action == "tap":
                location = None
                if body.get("latitude") is not None:
                    location = _location(body)
                await sim.tap(str(body.get("text") or ""), location=location)
            elif action == "contact":
                await sim.send_contact()
            elif action == "location":
                await sim.send_location(*_location(body))
        return web.json_response({"ok": True, "version": sim.version})

    async def _photo(self, request: web.Request, sim: SimulatedUser) -> None:
        if not request.content_type.startswith("multipart/"):
            raise Refused("send the photo as multipart/form-data", 400)
        data, caption = None, None
        async for part in await request.multipart():
            if part.name == "photo":
                data = bytes(await part.read(decode=False))
            elif part.name == "caption":
                caption = (await part.text()).strip() or None
        if not data:
            raise Refused("choose a photo first", 400)
        if len(data) > PHOTO_LIMIT:
            raise Refused("a photo is at most 10 MB", 413)
        if image_type(data) is None:
            raise Refused("that is not a photo: PNG, JPEG, GIF or WebP", 400)
        await sim.send_photo(data, caption=caption)


def _with_commands(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot's entities plus the /commands in its plain text, which Telegram's apps show
    as tappable commands."""
    taken = [(e["offset"], e["offset"] + e["length"]) for e in entities]
    found = [c for c in detect_bot_commands(text)
             if not any(c["offset"] < end and start < c["offset"] + c["length"]
                        for start, end in taken)]
    return entities + found


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _location(body: dict[str, Any]) -> tuple[float, float]:
    try:
        latitude, longitude = float(body["latitude"]), float(body["longitude"])
    except (KeyError, TypeError, ValueError):
        raise Refused("latitude and longitude are numbers", 400) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Refused("latitude -90..90, longitude -180..180", 400)
    return latitude, longitude


async def _json(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise Refused("send JSON (Content-Type: application/json)", 415)
    try:
        body = await request.json()
    except ValueError:
        raise Refused("that is not JSON", 400) from None
    if not isinstance(body, dict):
        raise Refused("send a JSON object", 400)
    return body
