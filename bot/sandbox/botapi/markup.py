"""Keyboards: checking a request's reply_markup (inline and reply keyboards) as Telegram does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import errors as E
from .errors import bad_request
from .params import _Params


@dataclass
class _Markup:
    """A parsed reply_markup."""

    inline: dict[str, Any] | None = None            # what Message.reply_markup shows
    keyboard: list[list[dict[str, Any]]] | None = None
    keyboard_options: dict[str, Any] = field(default_factory=dict)
    remove_keyboard: bool = False
    force_reply: bool = False


def read_markup(p: _Params, *, inline_only: bool = False) -> _Markup | None:
    """The request's reply_markup checked as the Bot API checks it (None when absent)."""
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
