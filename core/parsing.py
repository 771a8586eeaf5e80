"""What people type as numbers, read one way everywhere: a quantity ("12", or "１２" from a
Chinese keyboard's full-width digits) and an amount of money in yuan ("300", "300.5", "¥300.50")
turned into integer fen. Anything else is refused with InvalidInput, whose `field` and `reason`
the chat side turns into a clear sentence; nothing is guessed ("1 2" is not 12).
"""
from __future__ import annotations

import re
import unicodedata

from .errors import InvalidInput

QUANTITY_MAX = 9999
MONEY_MAX = 100_000_000  # fen: one million yuan, more than any repair

# Full-width digits, point and currency signs (Chinese input methods) as their ASCII forms.
_FULL_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                             "．": ".", "。": ".", "，": ",", "￥": "¥", "＋": "+", "－": "-"})
_QUANTITY = re.compile(r"[0-9]+")
_MONEY = re.compile(r"([0-9]{1,12})(?:[.,]([0-9]*))?")


def _plain(text) -> str:
    if not isinstance(text, str):
        return ""
    return text.translate(_FULL_WIDTH).strip()


def parse_quantity(text, *, maximum: int = QUANTITY_MAX, field: str = "quantity") -> int:
    """A whole number from 1 to `maximum` typed by a person."""
    plain = _plain(text)
    if not plain:
        raise InvalidInput(field=field, reason="empty", minimum=1, maximum=maximum)
    if plain.startswith("-"):
        raise InvalidInput(field=field, reason="negative", minimum=1, maximum=maximum)
    if not _QUANTITY.fullmatch(plain.removeprefix("+")):
        raise InvalidInput(field=field, reason="format", minimum=1, maximum=maximum)
    value = int(plain.removeprefix("+"))
    if not 1 <= value <= maximum:
        raise InvalidInput(field=field, reason="range", minimum=1, maximum=maximum)
    return value


def parse_money(text, *, maximum: int = MONEY_MAX, field: str = "amount") -> int:
    """Fen from an amount typed in yuan: "300" 30000, "300.5" 30050, "¥300.50" 30050
    ("元" after it and a comma for the point are taken too). At most two decimals."""
    plain = _plain(text)
    plain = plain.removeprefix("¥").removesuffix("元").strip()
    if not plain:
        raise InvalidInput(field=field, reason="empty", maximum=maximum)
    if plain.startswith("-"):
        raise InvalidInput(field=field, reason="negative", maximum=maximum)
    match = _MONEY.fullmatch(plain)
    if not match:
        raise InvalidInput(field=field, reason="format", maximum=maximum)
    yuan, decimals = match[1], match[2] or ""
    if len(decimals) > 2:
        raise InvalidInput(field=field, reason="decimals", maximum=maximum)
    fen = int(yuan) * 100 + int(decimals.ljust(2, "0"))
    if fen > maximum:
        raise InvalidInput(field=field, reason="range", maximum=maximum)
    return fen


def clean_text(text: str | None, field: str, *, minimum: int = 0, maximum: int,
               multiline: bool = False) -> str | None:
    """Typed text trimmed, runs of spaces made one (one line unless `multiline`, which keeps
    line breaks, at most one empty line in a row); None when empty and allowed to be.
    Refuses control and format characters (such as right-to-left overrides) except the
    zero-width joiner of emoji."""
    if text is not None and not isinstance(text, str):
        raise InvalidInput(field=field, reason="format")
    value = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        value = "\n".join(" ".join(line.split()) for line in value.split("\n")).strip()
        value = re.sub(r"\n{3,}", "\n\n", value)
    else:
        value = " ".join(value.split())
    allowed = "\u200d\n" if multiline else "\u200d"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") and ch not in allowed
           for ch in value):
        raise InvalidInput(field=field, reason="characters")
    if not value:
        if minimum:
            raise InvalidInput(field=field, reason="empty")
        return None
    if len(value) < minimum:
        raise InvalidInput(field=field, reason="too_short", limit=minimum)
    if len(value) > maximum:
        raise InvalidInput(field=field, reason="too_long", limit=maximum)
    return value


SERIAL_MAX = 64
# What a rating label's S/N holds: Latin letters, digits and a few separators.
_SERIAL = re.compile(r"[A-Za-z0-9 ./_#():+-]+")


def serial_number(text, *, maximum: int = SERIAL_MAX, required: bool = False) -> str | None:
    """A serial number (an appliance's or a part's) as printed on its label: Latin letters,
    digits and - / . _ # ( ) : +; a Chinese keyboard's full-width forms read as ASCII. None
    when empty, unless `required` (typed at the question that asks for it). Anything else (an address typed one step too early, "不知道") is refused: a
    wrong serial would follow the appliance into its warranty."""
    value = clean_text(unicodedata.normalize("NFKC", text) if isinstance(text, str) else text,
                       "serial", minimum=1 if required else 0, maximum=maximum)
    if value is not None and (not _SERIAL.fullmatch(value) or not value.strip("./_#():+- ")):
        raise InvalidInput(field="serial", reason="format")
    return value

