"""Telegram's Markdown and MarkdownV2 parse modes (ports of TDLib's parse_markdown and
parse_markdown_v2, td/telegram/MessageEntity.cpp), simplified where noted.

The service-desk bot uses HTML, so these exist mainly so that a stray ``parse_mode=MarkdownV2``
fails the way it would in production, e.g. ``Character '.' is reserved and must be escaped with
the preceding '\\'``.
"""

from __future__ import annotations

from typing import Any

from .telegram_html import (
    EntityParseError,
    FormattedText,
    _byte_offset,
    _checked_link,
    _is_space,
    sort_entities,
)

# TDLib prints entity types by their C++ names in "Can't find end of ... entity".
_TDLIB_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline",
    "strikethrough": "Strikethrough", "spoiler": "Spoiler", "text_link": "TextUrl",
    "code": "Code", "pre": "Pre", "precode": "PreCode", "custom_emoji": "CustomEmoji",
}


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _at(text: str, i: int) -> str:
    return text[i] if 0 <= i < len(text) else "\0"


def _reserved(ch: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
    )


def parse_markdown_v2(text: str) -> FormattedText:
    result: list[str] = []
    utf16 = 0
    entities: list[dict[str, Any]] = []
    # (type, argument, utf16 offset, byte offset, result index)
    stack: list[list[Any]] = []
    quote_start: int | None = None  # UTF-16 offset of the current ">" blockquote

    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        # Blockquotes: ">" at the start of a line (simplified: no "**>" expandable form).
        if c == ">" and (i == 0 or text[i - 1] == "\n") and not stack:
            if quote_start is None:
                quote_start = utf16
            i += 1
            continue
        if c == "\n" and quote_start is not None and _at(text, i + 1) != ">":
            entities.append(
                {"type": "blockquote", "offset": quote_start, "length": utf16 - quote_start}
            )
            quote_start = None
        if c == "\\" and 0 < ord(_at(text, i + 1)) <= 126:
            result.append(text[i + 1])
            utf16 += 1
            i += 2
            continue
        reserved = "_*[]()~`>#+-=|{}.!"
        if stack and stack[-1][0] in ("code", "pre"):
            reserved = "`"
        if c not in reserved:
            result.append(c)
            utf16 += _u16(c)
            i += 1
            continue

        is_end = False
        if stack:
            top = stack[-1][0]
            is_end = {
                "bold": c == "*",
                "italic": c == "_" and _at(text, i + 1) != "_",
                "code": c == "`",
                "pre": c == "`" and _at(text, i + 1) == "`" and _at(text, i + 2) == "`",
                "text_link": c == "]",
                "custom_emoji": c == "]",
                "underline": c == "_" and _at(text, i + 1) == "_",
                "strikethrough": c == "~",
                "spoiler": c == "|" and _at(text, i + 1) == "|",
            }.get(top, False)

        if not is_end:
            byte_offset = _byte_offset(text, i)
            argument = ""
            if c == "_":
                if _at(text, i + 1) == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if _at(text, i + 1) != "|":
                    raise _reserved(c)
                kind = "spoiler"
                i += 1
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if _at(text, i + 1) == "`" and _at(text, i + 2) == "`":
                    i += 3
                    kind = "pre"
                    lang_end = i
                    while lang_end < n and not _is_space(text[lang_end]) and text[lang_end] != "`":
                        lang_end += 1
                    if i != lang_end and lang_end < n and text[lang_end] != "`":
                        argument = text[i:lang_end]
                        i = lang_end
                    if _at(text, i) in "\r\n" and i < n:
                        nxt = _at(text, i + 1)
                        i += 2 if (nxt in "\r\n" and nxt != "\0" and nxt != text[i]) else 1
                    i -= 1
                else:
                    kind = "code"
            elif c == "!" and _at(text, i + 1) == "[":
                kind = "custom_emoji"
                i += 1
            else:
                raise _reserved(c)
            stack.append([kind, argument, utf16, byte_offset, len(result)])
            i += 1
            continue

        kind, argument, offset, _byte, result_pos = stack.pop()
        skip = utf16 == offset
        entity: dict[str, Any] = {"type": kind, "offset": offset, "length": utf16 - offset}
        if kind == "underline" or kind == "spoiler":
            i += 1
        elif kind == "pre":
            i += 2
            if argument:
                entity["language"] = argument
        elif kind in ("text_link", "custom_emoji"):
            if _at(text, i + 1) != "(":
                url = "".join(result[result_pos:])
            else:
                i += 2
                url_begin = i
                chars = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and 0 < ord(_at(text, i + 1)) <= 126:
                        chars.append(text[i + 1])
                        i += 2
                        continue
                    chars.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                url = "".join(chars)
            if kind == "custom_emoji":
                prefix = "tg://emoji?id="
                if not url.startswith(prefix) or not url[len(prefix) :].isdigit():
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                entity["custom_emoji_id"] = url[len(prefix) :]
            else:
                url = _checked_link(url)
                if not url:
                    skip = True
                entity["url"] = url
        if not skip:
            entities.append(entity)
        i += 1

    if stack:
        kind, argument, _, byte_offset, _ = stack[-1]
        name = "precode" if kind == "pre" and argument else kind
        raise EntityParseError(
            f"Can't find end of {_TDLIB_NAMES.get(name, name)} entity at byte offset "
            f"{byte_offset}"
        )
    if quote_start is not None and utf16 > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start, "length": utf16 - quote_start})
    return FormattedText("".join(result), sort_entities(entities))


def parse_markdown(text: str) -> FormattedText:
    """Legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url); only \\_ \\* \\` \\[
    are escapes."""
    result: list[str] = []
    utf16 = 0
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and _at(text, i + 1) in "_*`[" and i + 1 < n:
            result.append(text[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in "_*`[":
            result.append(c)
            utf16 += _u16(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = ""
        i += 1
        if c == "`" and _at(text, i) == "`" and _at(text, i + 1) == "`":
            i += 2
            is_pre = True
            lang_end = i
            while lang_end < n and not _is_space(text[lang_end]) and text[lang_end] != "`":
                lang_end += 1
            if i != lang_end and lang_end < n and text[lang_end] != "`":
                language = text[i:lang_end]
                i = lang_end
            if i < n and text[i] in "\r\n":
                nxt = _at(text, i + 1)
                i += 2 if (nxt in "\r\n" and nxt != "\0" and nxt != text[i]) else 1
        offset = utf16
        content_start = len(result)
        while i < n and (
            text[i] != end_char
            or (is_pre and not (_at(text, i + 1) == "`" and _at(text, i + 2) == "`"))
        ):
            result.append(text[i])
            utf16 += _u16(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                "Can't find end of the entity starting at byte offset "
                f"{_byte_offset(text, begin)}"
            )
        if utf16 != offset:
            length = utf16 - offset
            if c == "_":
                entities.append({"type": "italic", "offset": offset, "length": length})
            elif c == "*":
                entities.append({"type": "bold", "offset": offset, "length": length})
            elif c == "[":
                if _at(text, i + 1) != "(":
                    url = "".join(result[content_start:])
                else:
                    i += 2
                    chars = []
                    while i < n and text[i] != ")":
                        chars.append(text[i])
                        i += 1
                    url = "".join(chars)
                url = _checked_link(url)
                if url:
                    entities.append(
                        {"type": "text_link", "offset": offset, "length": length, "url": url}
                    )
            elif is_pre:
                entity = {"type": "pre", "offset": offset, "length": length}
                if language:
                    entity["language"] = language
                entities.append(entity)
            else:
                entities.append({"type": "code", "offset": offset, "length": length})
        if is_pre:
            i += 2
        i += 1
    return FormattedText("".join(result), sort_entities(entities))
