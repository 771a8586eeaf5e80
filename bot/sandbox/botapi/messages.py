"""What the bot does in a chat: sending, copying/forwarding, albums, editing, deleting, and
answering callback queries; with the checks every send shares (chat, text, reply target)."""

from __future__ import annotations

from typing import Any

from . import errors as E
from .errors import bad_request, forbidden
from .formatting import parse_formatted_text
from .markup import _Markup, read_markup
from .models import StoredFile, StoredMessage, message_kind
from .params import _canonical_json, _Params
from .telegram_html import CAPTION_LIMIT, TEXT_LIMIT, EntityParseError, FormattedText
from .users import SimulatedUser

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
        # older aliases Telegram still accepts
        "record_audio", "upload_audio",
    }
)


class MessagesMixin:
    """LocalBotApi's Bot API methods that post, change or remove messages in a chat."""

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

    async def _send_message(self, p: _Params) -> dict[str, Any]:
        # Order as the Bot API checks: text and its formatting, the markup, then the chat.
        formatted = self._message_text(p)
        markup = read_markup(p)
        user = self._target_user(p)
        reply_to = self._reply_target(p, user)
        self._check_not_blocked(user)
        return self._post_bot_message(
            user, self._text_content(formatted), p=p, markup=markup, reply_to=reply_to,
            raw_text=p.str("text"),
        )

    async def _send_photo(self, p: _Params) -> dict[str, Any]:
        caption = self._caption(p)
        markup = read_markup(p)
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

    async def _send_document(self, p: _Params) -> dict[str, Any]:
        caption = self._caption(p)
        markup = read_markup(p)
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
        markup = read_markup(p)
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
        markup = read_markup(p)
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
        markup = read_markup(p, inline_only=True)
        user, stored = self._message_to_edit(p)
        if "text" not in stored.tg:
            raise bad_request(E.NO_TEXT_TO_EDIT)
        return self._apply_edit(
            user, stored, self._text_content(formatted), markup,
            raw_text=p.str("text"), parse_mode=p.str("parse_mode"),
        )

    async def _edit_message_caption(self, p: _Params) -> dict[str, Any]:
        caption = self._caption(p)
        markup = read_markup(p, inline_only=True)
        user, stored = self._message_to_edit(p)
        if message_kind(stored.tg) not in ("photo", "document", "video", "audio", "animation"):
            raise bad_request(E.NO_CAPTION_TO_EDIT)
        return self._apply_edit(
            user, stored, self._text_content(caption, "caption"), markup,
            raw_text=p.str("caption"), parse_mode=p.str("parse_mode"),
        )

    async def _edit_message_reply_markup(self, p: _Params) -> dict[str, Any]:
        markup = read_markup(p, inline_only=True)
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
