"""What the local Bot API keeps per file and per message, and the read-only view a simulated
user gets of the bot's messages (``BotMessage``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StoredFile:
    """A file Telegram knows: uploaded by the bot, sent by a simulated user, or a URL."""

    file_id: str
    file_unique_id: str
    kind: str                      # photo, document, video, audio
    data: bytes | None             # None for files "sent by URL" (never downloaded here)
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    url: str | None = None
    file_path: str | None = None   # assigned by getFile, as Telegram does

    @property
    def file_size(self) -> int | None:
        return len(self.data) if self.data is not None else None


@dataclass
class UploadedFile:
    """A multipart part that carried a file (how ``api.calls`` shows uploads)."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes, {self.content_type!r})"


@dataclass
class StoredMessage:
    """One message of a private chat: the Bot API ``Message`` dict plus what only the server
    knows (the HTML source, a reply keyboard, which is never echoed in ``Message``)."""

    tg: dict[str, Any]
    from_bot: bool
    raw_text: str | None = None
    parse_mode: str | None = None
    reply_keyboard: list[list[dict[str, Any]]] | None = None
    keyboard_options: dict[str, Any] = field(default_factory=dict)
    remove_keyboard: bool = False
    force_reply: bool = False
    file: StoredFile | None = None

    @property
    def message_id(self) -> int:
        return self.tg["message_id"]

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        return (self.tg.get("reply_markup") or {}).get("inline_keyboard") or []

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.tg)


MEDIA_KINDS = ("photo", "document", "video", "audio", "voice", "animation")


def message_kind(tg: dict[str, Any]) -> str:
    if "text" in tg:
        return "text"
    for kind in MEDIA_KINDS + ("location", "contact", "venue", "sticker", "dice", "poll"):
        if kind in tg:
            return kind
    return "service"


@dataclass(repr=False)
class BotMessage:
    """A message of the bot as the user sees it (a snapshot; ``press`` always uses the
    current state of the message, not the snapshot)."""

    message_id: int
    chat_id: int
    kind: str                       # text, photo, document, location, video, audio ...
    text: str | None                # visible text (tags stripped); for media: the caption
    html: str | None                # text/caption exactly as the bot sent it
    parse_mode: str | None
    entities: list[dict[str, Any]]
    caption: str | None             # visible caption (media only)
    buttons: list[list[str]]        # inline keyboard: rows of button texts
    callback_data: dict[str, str]   # button text -> callback_data (first one wins)
    urls: dict[str, str]            # button text -> url, for URL buttons
    reply_keyboard: list[list[dict[str, Any]]] | None  # rows of {"text", "request_contact", ...}
    remove_keyboard: bool
    force_reply: bool
    edited: bool
    file_bytes: bytes | None
    filename: str | None
    mime_type: str | None
    location: tuple[float, float] | None
    media_group_id: str | None
    reply_to_message_id: int | None
    raw: dict[str, Any]             # the Bot API Message dict at that moment

    @property
    def document(self) -> bytes | None:
        return self.file_bytes if self.kind == "document" else None

    @property
    def photo(self) -> bytes | None:
        return self.file_bytes if self.kind == "photo" else None

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text in row]

    @property
    def reply_keyboard_texts(self) -> list[list[str]] | None:
        if self.reply_keyboard is None:
            return None
        return [[button["text"] for button in row] for row in self.reply_keyboard]

    @classmethod
    def from_stored(cls, stored: StoredMessage, *, edited: bool) -> "BotMessage":
        tg = stored.snapshot()
        kind = message_kind(tg)
        buttons: list[list[str]] = []
        callback_data: dict[str, str] = {}
        urls: dict[str, str] = {}
        for row in stored.inline_keyboard:
            buttons.append([button["text"] for button in row])
            for button in row:
                if "callback_data" in button:
                    callback_data.setdefault(button["text"], button["callback_data"])
                if "url" in button:
                    urls.setdefault(button["text"], button["url"])
        caption = tg.get("caption") if kind != "text" else None
        location = None
        if "location" in tg:
            location = (tg["location"]["latitude"], tg["location"]["longitude"])
        file = stored.file
        return cls(
            message_id=tg["message_id"],
            chat_id=tg["chat"]["id"],
            kind=kind,
            text=tg.get("text") if kind == "text" else caption,
            html=stored.raw_text,
            parse_mode=stored.parse_mode,
            entities=tg.get("entities") or tg.get("caption_entities") or [],
            caption=caption,
            buttons=buttons,
            callback_data=callback_data,
            urls=urls,
            reply_keyboard=copy.deepcopy(stored.reply_keyboard),
            remove_keyboard=stored.remove_keyboard,
            force_reply=stored.force_reply,
            edited=edited,
            file_bytes=file.data if file else None,
            filename=file.file_name if file else None,
            mime_type=file.mime_type if file else None,
            location=location,
            media_group_id=tg.get("media_group_id"),
            reply_to_message_id=(tg.get("reply_to_message") or {}).get("message_id"),
            raw=tg,
        )

    def describe(self) -> str:
        """The transcript line for this message."""
        tags = []
        if self.edited:
            tags.append(f"edit #{self.message_id}")
        if self.kind != "text":
            tags.append(self.kind)
        if self.kind == "text":
            head = f"< bot ({', '.join(tags)}): " if tags else "< bot: "
            body = self.text or ""
        else:
            head = f"< bot ({', '.join(tags)}) "
            if self.kind == "location" and self.location:
                body = f"{self.location[0]}, {self.location[1]}"
            elif self.filename and self.kind != "photo":
                body = self.filename + (f": {self.caption}" if self.caption else "")
            else:
                body = self.caption or ""
        suffix = ""
        if self.buttons:
            suffix += " [buttons: " + " / ".join(" | ".join(row) for row in self.buttons) + "]"
        if self.reply_keyboard:
            rows = []
            for row in self.reply_keyboard:
                cells = []
                for button in row:
                    flag = next(
                        (f"({k[len('request_'):]})" for k in button if k.startswith("request_")
                         and button[k]),
                        "",
                    )
                    cells.append(button["text"] + flag)
                rows.append(" | ".join(cells))
            suffix += " [keyboard: " + " / ".join(rows) + "]"
        if self.remove_keyboard:
            suffix += " [keyboard removed]"
        if self.force_reply:
            suffix += " [force reply]"
        return indent_continuation(head + body + suffix)

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        # Short, so that failed asserts stay readable: BotMessage(#2 < bot: Hello [buttons: A])
        line = self.describe()
        if len(line) > 300:
            line = line[:297] + "..."
        return f"BotMessage(#{self.message_id} {line})"


def indent_continuation(line: str) -> str:
    return line.replace("\n", "\n    ")
