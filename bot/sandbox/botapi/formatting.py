"""A text with its parse mode or entities, as Telegram stores it: HTML (telegram_html),
Markdown and MarkdownV2 (telegram_markdown), or explicit entities."""
from __future__ import annotations

from typing import Any

from .telegram_html import FormattedText, check_entities, finalize, parse_html
from .telegram_markdown import parse_markdown, parse_markdown_v2


def parse_formatted_text(
    text: str | None,
    parse_mode: str | None,
    entities: Any = None,
    *,
    strict_html: bool = False,
) -> FormattedText:
    """Text + parse_mode/entities -> what Telegram stores. Raises ``ValueError`` carrying the
    Bot API description without the "Bad Request: " prefix (``EntityParseError`` for markup
    errors, whose message still needs the "can't parse entities: " prefix)."""
    text = text or ""
    mode = (parse_mode or "").lower()
    # As the Bot API server does: a parse_mode (other than "none") wins over explicit
    # entities, which are only read when there is no parse_mode.
    if mode and mode != "none":
        if mode == "html":
            parsed = parse_html(text, strict=strict_html)
        elif mode == "markdownv2":
            parsed = parse_markdown_v2(text)
        elif mode == "markdown":
            parsed = parse_markdown(text)
        else:
            raise ValueError("unsupported parse_mode")
    elif entities:
        parsed = FormattedText(text, check_entities(text, entities))
    else:
        parsed = FormattedText(text, [])
    return finalize(parsed)
