"""Telegram's formatted text: HTML parse mode, explicit entities, and the final clean-up.

``parse_html`` is a line-by-line port of TDLib's ``parse_html`` (td/telegram/MessageEntity.cpp),
which is what the Bot API server runs for ``parse_mode=HTML``. It keeps TDLib's quirks on
purpose, because they decide what the bot gets back:

* Only these tags exist: b strong i em u ins s strike del span (class="tg-spoiler" only)
  tg-spoiler a (href) code (class="language-...") pre blockquote (optional ``expandable``)
  tg-emoji (emoji-id). Tag names are case-insensitive. Anything else -- including ``<br>``,
  ``<p>``, ``<div>`` and a bare ``<`` (tag name "") -- fails with
  ``Unsupported start tag "..." at byte offset N``.
* Byte offsets are UTF-8 byte offsets into the text *as sent*.
* Only ``&lt; &gt; &amp; &quot;`` and numeric references (``&#38;``, ``&#x26;``) are
  entities; the ``;`` is optional. Anything else after ``&`` is kept literally -- real Telegram
  shows ``Tom & Jerry`` and even ``&nbsp;`` as typed. Because that hides missing
  ``html.escape()`` calls, ``strict=True`` (the local server's default) rejects such a bare
  ``&``; see ``STRICT_AMPERSAND``.
* An end tag must close the innermost open tag (``</>`` closes whatever is open).
* Entity offsets/lengths are counted in UTF-16 code units, as the Bot API reports them.

After parsing, the Bot API trims leading/trailing white space (see ``finalize``); the length
limits (4096 for text, 1024 for captions) apply to the visible text that is left, counted in
Unicode code points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)

# Added to the description when ``strict=True`` rejects a bare "&" that real Telegram would
# have shown literally. The "can't parse entities" prefix stays, so bot code that handles
# parse errors treats it like any other HTML mistake.
STRICT_AMPERSAND = (
    'Character "&" at byte offset {offset} must be escaped as "&amp;" '
    "(strict check of the local test server: Telegram itself would show it literally)"
)

# TDLib's sort order for entities that start at the same offset with the same length.
_TYPE_PRIORITY = {
    "mention": 50, "hashtag": 50, "bot_command": 50, "url": 50, "email": 50,
    "bold": 90, "italic": 91, "code": 20, "pre": 11, "text_link": 49, "text_mention": 49,
    "cashtag": 50, "phone_number": 50, "underline": 92, "strikethrough": 93,
    "blockquote": 0, "expandable_blockquote": 0, "spoiler": 94, "custom_emoji": 99,
}

ENTITY_TYPES = frozenset(_TYPE_PRIORITY)


class EntityParseError(ValueError):
    """The parser's message; the Bot API prefixes it with "can't parse entities: "."""


@dataclass(frozen=True)
class FormattedText:
    text: str                      # what the user sees
    entities: list[dict[str, Any]]  # Bot API MessageEntity dicts (UTF-16 offsets)


def utf16_len(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _is_space(ch: str) -> bool:
    # td::is_space; TDLib also treats the terminating NUL as space, which callers model
    # with explicit end-of-text checks.
    return ch in " \t\r\n\v\0"


def _ascii_lower(text: str) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def _decode_html_entity(text: str, pos: int) -> tuple[int, int]:
    """TDLib's decode_html_entity: (code point or 0, position after the entity)."""
    n = len(text)
    end = pos + 1
    code = 0
    if end < n and text[end] == "#":
        end += 1
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(text[end], 16)
                end += 1
        else:
            while end < n and text[end] in "0123456789":
                code = code * 10 + int(text[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        code = {"lt": 0x3C, "gt": 0x3E, "amp": 0x26, "quot": 0x22}.get(text[pos + 1 : end], 0)
        if not code:
            return 0, pos  # unsupported literal entity: the "&" is kept as a plain character
    if end < n and text[end] == ";":
        end += 1
    return code, end


@dataclass
class _OpenTag:
    name: str
    argument: str
    entity_offset: int   # UTF-16 offset in the result
    result_pos: int      # index into the result list (for <a> without href)


def parse_html(text: str, *, strict: bool = False) -> FormattedText:
    """Parse ``text`` as Telegram's HTML; raises ``EntityParseError`` like TDLib."""
    n = len(text)
    result: list[str] = []
    utf16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    has_surrogate = False

    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            code, after = _decode_html_entity(text, i)
            if code:
                if 0xD800 <= code <= 0xDFFF:
                    has_surrogate = True
                result.append(chr(code))
                utf16 += 2 if code > 0xFFFF else 1
                i = after
                continue
            if strict:
                raise EntityParseError(STRICT_AMPERSAND.format(offset=_byte_offset(text, i)))
        if c != "<":
            result.append(c)
            utf16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if i >= n or text[i] != "/":
            # ---- start tag ----
            while i < n and not _is_space(text[i]) and text[i] != ">":
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            tag = _ascii_lower(text[begin + 1 : i])
            if tag not in ALLOWED_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            argument = ""
            while not (i < n and text[i] == ">"):
                while i < n and _is_space(text[i]):
                    i += 1
                if i < n and text[i] == ">":
                    break
                attr_begin = i
                while i < n and not _is_space(text[i]) and text[i] not in "=>":
                    i += 1
                attr_name = text[attr_begin:i]
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(text, begin)}"
                    )
                while i < n and _is_space(text[i]):
                    i += 1
                if i >= n or text[i] != "=":
                    # Newer TDLib: <blockquote expandable> is the only value-less attribute.
                    if tag == "blockquote" and attr_name == "expandable":
                        argument = "expandable"
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                i += 1
                while i < n and _is_space(text[i]):
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                if text[i] not in "'\"":
                    # A name token: letters, digits, periods, hyphens; case-insensitive.
                    token_begin = i
                    while i < n and (
                        (text[i].isascii() and text[i].isalnum()) or text[i] in ".-"
                    ):
                        i += 1
                    value = _ascii_lower(text[token_begin:i])
                    if i < n and not _is_space(text[i]) and text[i] != ">":
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            code, after = _decode_html_entity(text, i)
                            if code:
                                chars.append(chr(code))
                                i = after
                                continue
                        chars.append(text[i])
                        i += 1
                    if i < n and text[i] == quote:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                    )
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "expandable"
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            stack.append(_OpenTag(tag, argument, utf16, len(result)))
        else:
            # ---- end tag ----
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(text, begin)}"
                )
            while i < n and not _is_space(text[i]) and text[i] != ">":
                i += 1
            end_name = _ascii_lower(text[begin + 2 : i])
            while i < n and _is_space(text[i]):
                i += 1
            if i >= n or text[i] != ">":
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(text, begin)}"
                )
            top = stack[-1]
            if end_name and end_name != top.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{top.name}>", found "</{end_name}>"'
                )
            if utf16 > top.entity_offset:
                _close_entity(top, utf16, result, entities)
            stack.pop()
        i += 1  # skip the ">"

    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        )
    if has_surrogate:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    # A language only survives on a <pre><code class="language-..."> pair.
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return FormattedText("".join(result), sort_entities(entities))


def _close_entity(
    tag: _OpenTag, utf16: int, result: list[str], entities: list[dict[str, Any]]
) -> None:
    offset = tag.entity_offset
    length = utf16 - offset
    name = tag.name
    simple = {
        "i": "italic", "em": "italic", "b": "bold", "strong": "bold",
        "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
        "u": "underline", "ins": "underline", "tg-spoiler": "spoiler", "span": "spoiler",
    }
    if name in simple:
        entities.append({"type": simple[name], "offset": offset, "length": length})
    elif name == "tg-emoji":
        try:
            emoji_id = int(tag.argument)
        except ValueError:
            emoji_id = 0
        if not 0 < emoji_id < 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(
            {"type": "custom_emoji", "offset": offset, "length": length,
             "custom_emoji_id": str(emoji_id)}
        )
    elif name == "a":
        url = tag.argument or "".join(result[tag.result_pos :])
        url = _checked_link(url)
        if url:  # TDLib silently drops links it cannot use
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif name == "pre":
        last = entities[-1] if entities else None
        if (
            last and last["type"] == "code" and last["offset"] == offset
            and last["length"] == length and last.get("language")
        ):
            last["type"] = "pre"  # <pre><code class="language-x">: a pre block with a language
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif name == "code":
        last = entities[-1] if entities else None
        if (
            last and last["type"] == "pre" and last["offset"] == offset
            and last["length"] == length and tag.argument
        ):
            last["language"] = tag.argument
        else:
            entity = {"type": "code", "offset": offset, "length": length}
            if tag.argument:
                entity["language"] = tag.argument
            entities.append(entity)
    elif name == "blockquote":
        kind = "expandable_blockquote" if tag.argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


def _checked_link(url: str) -> str:
    """A simplified LinkManager::get_checked_link: keep usable links, add http:// if bare."""
    url = url.strip()
    if not url or any(_is_space(ch) for ch in url):
        return ""
    if "://" in url or url.startswith(("tg:", "mailto:")):
        return url
    if "." in url:
        return "http://" + url
    return ""


def sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        entities, key=lambda e: (e["offset"], -e["length"], _TYPE_PRIORITY.get(e["type"], 50))
    )


# --------------------------------------------------------------------------------------------
# Explicit "entities" / "caption_entities" parameters
# --------------------------------------------------------------------------------------------


def check_entities(text: str, raw: Any) -> list[dict[str, Any]]:
    """Validate explicitly given entities the way the Bot API does; returns clean dicts.

    Raises ``ValueError`` with the full Bot API description (without "Bad Request: ").
    """
    if not isinstance(raw, list):
        raise ValueError("can't parse entities JSON object")
    total = utf16_len(text)
    checked = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError("can't parse MessageEntity: expected an Object")
        kind = item.get("type")
        if kind not in ENTITY_TYPES:
            raise ValueError("can't parse MessageEntity: Unsupported type specified")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise ValueError('can\'t parse MessageEntity: Field "offset" must be a valid Number')
        if offset < 0:
            raise ValueError(f"receive an entity with incorrect offset {offset}")
        if length < 0:
            raise ValueError(f"receive an entity with incorrect length {length}")
        if offset > total:
            raise ValueError(f"entity begins after the end of the text at UTF-16 offset {offset}")
        if offset + length > total:
            raise ValueError(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text "
                f"at UTF-16 offset {offset + length}"
            )
        entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
        if kind == "text_link":
            if "url" not in item:
                raise ValueError('can\'t parse MessageEntity: Can\'t find field "url"')
            url = _checked_link(str(item["url"]))
            if not url:
                raise ValueError(f"entity URL '{item['url']}' is invalid: Wrong HTTP URL")
            entity["url"] = url
        elif kind == "text_mention":
            if "user" not in item:
                raise ValueError('can\'t parse MessageEntity: Can\'t find field "user"')
            entity["user"] = item["user"]
        elif kind == "custom_emoji":
            if "custom_emoji_id" not in item:
                raise ValueError(
                    'can\'t parse MessageEntity: Can\'t find field "custom_emoji_id"'
                )
            entity["custom_emoji_id"] = str(item["custom_emoji_id"])
        elif kind == "pre" and item.get("language"):
            entity["language"] = str(item["language"])
        if length > 0:  # empty entities are dropped
            checked.append(entity)
    return sort_entities(checked)


# --------------------------------------------------------------------------------------------
# The clean-up the Bot API applies to every text and caption
# --------------------------------------------------------------------------------------------

_TRIM = " \t\r\n\v\f\u00a0\u2028\u2029"


def finalize(formatted: FormattedText) -> FormattedText:
    """Trim leading/trailing white space and clip entities to what is left.

    TDLib's fix_formatted_text does this for every message text and caption, which is why a
    bot sending "  hi\\n" gets back text "hi".
    """
    text = formatted.text
    stripped_left = text.lstrip(_TRIM)
    shift = utf16_len(text[: len(text) - len(stripped_left)])
    stripped = stripped_left.rstrip(_TRIM)
    total = utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, sort_entities(entities))
