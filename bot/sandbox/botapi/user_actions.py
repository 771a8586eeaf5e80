"""What a simulated user does in the chat: typing, sharing, sending files, tapping and pressing
buttons, editing, blocking the bot. Each action becomes an update on the local Bot API."""

from __future__ import annotations

import asyncio
import re
import struct
import zlib
from typing import Any

from .models import BotMessage, StoredMessage
from .telegram_html import utf16_len

_OWN = object()  # default for send_contact(user_id=...): the sender's own id

# TDLib's bot-command matcher: "/" + 1-64 of [A-Za-z0-9_], optionally "@botname" (3-32),
# not glued to a word character or to "/", "<", ">" on either side.
_BOT_COMMAND = re.compile(
    r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])"
)


def detect_bot_commands(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entities Telegram adds to a message a user types."""
    entities = []
    for match in _BOT_COMMAND.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities


def tiny_png(width: int = 64, height: int = 48) -> bytes:
    """A valid solid-colour PNG, so photo handlers that open the image can."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x33\x99\xcc" * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class UserActions:
    """SimulatedUser's actions (the state they use is set up in ``SimulatedUser.__init__``)."""

    # ------------------------------------------------------------------ acting
    async def send(self, text: str, *, reply_to: Any = None) -> dict[str, Any]:
        """Type and send ``text``. A leading ``/command`` (or ``/command payload``, or
        ``/command@bot``) gets a ``bot_command`` entity, as Telegram adds it."""
        content: dict[str, Any] = {"text": text}
        entities = detect_bot_commands(text)
        if entities:
            content["entities"] = entities
        return await self._post(content, f"> {self.first_name}: {text}", reply_to=reply_to)

    async def send_contact(
        self,
        phone: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        user_id: Any = _OWN,
    ) -> dict[str, Any]:
        """Share a contact. By default it is the user's own (``user_id`` = the user's id), as a
        ``request_contact`` keyboard button sends it. The phone number is passed through
        exactly as given: real clients send it with or without the leading "+"."""
        phone = phone or self.phone_number
        if not phone:
            raise AssertionError(f"{self!r} has no phone number: pass phone=...")
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or self.first_name,
        }
        last = last_name if last_name is not None else (self.last_name if user_id is _OWN else None)
        if last:
            contact["last_name"] = last
        uid = self.id if user_id is _OWN else user_id
        if uid is not None:
            contact["user_id"] = uid
        return await self._post({"contact": contact}, f"> {self.first_name}: (contact) {phone}")

    async def send_location(
        self, latitude: float, longitude: float, *, horizontal_accuracy: float | None = None
    ) -> dict[str, Any]:
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        return await self._post(
            {"location": location}, f"> {self.first_name}: (location) {latitude}, {longitude}"
        )

    async def send_photo(
        self, data: bytes | None = None, *, caption: str | None = None
    ) -> dict[str, Any]:
        """Send a photo (a generated PNG unless ``data`` is given). The server invents the
        file ids and serves the bytes through ``getFile``."""
        data = data if data is not None else tiny_png()
        content: dict[str, Any] = {"photo": self.api._photo_sizes(data, mime_type=None)}
        if caption:
            content["caption"] = caption
        return await self._post(content, f"> {self.first_name}: (photo) {caption or ''}".rstrip())

    async def send_document(
        self,
        data: bytes,
        file_name: str = "document.bin",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        file = self.api._store_file("document", data, file_name=file_name, mime_type=mime_type)
        content: dict[str, Any] = {"document": self.api._document_dict(file)}
        if caption:
            content["caption"] = caption
        return await self._post(
            content, f"> {self.first_name}: (document) {file_name}" + (f": {caption}" if caption else "")
        )

    async def tap(self, text: str, *, location: tuple[float, float] | None = None) -> dict[str, Any]:
        """Tap a button of the current reply keyboard: sends its text, or the user's contact
        for ``request_contact`` (needs ``phone_number``), or ``location`` for
        ``request_location``."""
        if not self.keyboard:
            raise AssertionError(
                f'{self.first_name} has no reply keyboard to tap "{text}".\n' + self._dump()
            )
        button = next((b for row in self.keyboard for b in row if b["text"] == text), None)
        if button is None:
            visible = " / ".join(" | ".join(b["text"] for b in row) for row in self.keyboard)
            raise AssertionError(
                f'No reply keyboard button "{text}"; the keyboard shows: {visible}\n' + self._dump()
            )
        if self._keyboard_one_time:
            self.keyboard = None  # clients hide a one_time_keyboard after it was used
        if button.get("request_contact"):
            return await self.send_contact()
        if button.get("request_location"):
            if location is None:
                raise AssertionError(f'"{text}" requests a location: pass location=(lat, lon)')
            return await self.send_location(*location)
        return await self.send(text)

    async def edit(self, message: Any, text: str) -> dict[str, Any]:
        """Edit one of the user's own text messages (an ``edited_message`` update)."""
        self._ensure_can_act()
        message_id = message["message_id"] if isinstance(message, dict) else int(message)
        stored = self._messages.get(message_id)
        if stored is None or stored.from_bot or "text" not in stored.tg:
            raise AssertionError(f"{self.first_name} has no text message #{message_id} to edit")
        stored.tg["text"] = text
        entities = detect_bot_commands(text)
        stored.tg.pop("entities", None)
        if entities:
            stored.tg["entities"] = entities
        stored.tg["edit_date"] = self.api._now()
        self._log(f"> {self.first_name} (edit #{message_id}): {text}")
        self.api._enqueue({"edited_message": stored.snapshot()})
        await asyncio.sleep(0)
        return stored.snapshot()

    async def press(self, text: str, *, message: Any = None) -> str:
        """Press the inline button labelled ``text`` on the newest bot message that shows it
        (or on ``message``: a BotMessage, a Message dict or a message id). Creates a
        ``callback_query`` update and returns its id."""
        self._ensure_can_act()
        candidates = self._button_candidates(message)
        for stored in candidates:
            for row in stored.inline_keyboard:
                for button in row:
                    if button["text"] != text:
                        continue
                    if "callback_data" not in button:
                        kind = next(k for k in button if k != "text")
                        raise AssertionError(
                            f'Button "{text}" on message #{stored.message_id} is a {kind} '
                            f"button ({button[kind]!r}), not a callback button"
                        )
                    return await self._callback(stored, button["callback_data"], f'"{text}"')
        raise AssertionError(
            f'{self.first_name} sees no inline button "{text}".\n'
            + self._visible_buttons(candidates) + "\n" + self._dump()
        )

    async def press_at(self, message: Any, row: int, column: int) -> str:
        """Press the inline button at ``row``, ``column`` (from 0) of ``message``, as a person
        taps it (the sandbox's page: labels need not be unique)."""
        self._ensure_can_act()
        [stored] = self._button_candidates(message)
        rows = stored.inline_keyboard
        try:
            button = rows[row][column]
        except (IndexError, TypeError):
            raise AssertionError(
                f"Message #{stored.message_id} has no button at row {row}, column {column}"
            ) from None
        if "callback_data" not in button:
            raise AssertionError(f'Button "{button["text"]}" is not a callback button')
        return await self._callback(stored, button["callback_data"], f'"{button["text"]}"')

    async def press_data(self, data: str, *, message: Any = None) -> str:
        """Send a callback query with arbitrary (forged or stale) ``data`` from ``message``
        (default: the newest bot message)."""
        self._ensure_can_act()
        candidates = self._button_candidates(message)
        if not candidates:
            raise AssertionError(f"{self.first_name} has no bot message to press on")
        return await self._callback(candidates[0], data, f"data={data!r}")

    def block(self, *, notify: bool = True) -> None:
        """Block the bot: every send to this chat now answers 403. Like Telegram, the bot gets
        a ``my_chat_member`` update (member -> kicked) unless ``notify=False``."""
        if self._blocked:
            return
        self._blocked = True
        self._log(f"> {self.first_name}: (blocked the bot)")
        if notify and self._chat_known:
            self.api._enqueue({"my_chat_member": self._member_update("member", "kicked")})

    def unblock(self, *, notify: bool = True) -> None:
        if not self._blocked:
            return
        self._blocked = False
        self._log(f"> {self.first_name}: (unblocked the bot)")
        if notify and self._chat_known:
            self.api._enqueue({"my_chat_member": self._member_update("kicked", "member")})

    @property
    def blocked(self) -> bool:
        return self._blocked

    # ------------------------------------------------------------------ internals of acting
    def _ensure_can_act(self) -> None:
        if self._blocked:
            raise AssertionError(f"{self.first_name} has blocked the bot; call unblock() first")

    async def _post(self, content: dict[str, Any], line: str, *, reply_to: Any = None) -> dict[str, Any]:
        self._ensure_can_act()
        reply_id = None
        if reply_to is not None:
            reply_id = reply_to.message_id if isinstance(reply_to, BotMessage) else (
                reply_to["message_id"] if isinstance(reply_to, dict) else int(reply_to)
            )
        self._log(line)
        message = self.api._user_message(self, content, reply_to_message_id=reply_id)
        await asyncio.sleep(0)
        return message

    async def _callback(self, stored: StoredMessage, data: str, label: str) -> str:
        self._log(f"> {self.first_name}: (pressed {label} on #{stored.message_id})")
        self.presses += 1
        query_id = self.api._callback_query(self, stored, data)
        await asyncio.sleep(0)
        return query_id

    def _button_candidates(self, message: Any) -> list[StoredMessage]:
        if message is None:
            return [
                self._messages[mid]
                for mid in sorted(self._messages, reverse=True)
                if self._messages[mid].from_bot
            ]
        if isinstance(message, BotMessage):
            message_id = message.message_id
        elif isinstance(message, dict):
            message_id = message["message_id"]
        else:
            message_id = int(message)
        stored = self._messages.get(message_id)
        if stored is None or not stored.from_bot:
            raise AssertionError(
                f"{self.first_name} cannot see bot message #{message_id} (deleted or never sent)"
            )
        return [stored]

    def _visible_buttons(self, candidates: list[StoredMessage]) -> str:
        lines = []
        for stored in candidates:
            rows = stored.inline_keyboard
            if rows:
                text = (stored.tg.get("text") or stored.tg.get("caption") or "").split("\n")[0]
                shown = " / ".join(" | ".join(b["text"] for b in row) for row in rows)
                lines.append(f"  #{stored.message_id} {text[:40]!r}: {shown}")
        return "Visible inline buttons:\n" + ("\n".join(lines) if lines else "  (none)")

    def _member_update(self, old: str, new: str) -> dict[str, Any]:
        bot = self.api.bot_user
        now = self.api._now()

        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": bot}
            if status == "kicked":
                data["until_date"] = 0
            return data

        return {
            "chat": self.chat_dict(),
            "from": self.user_dict(),
            "date": now,
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
