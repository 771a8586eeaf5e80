"""What people type as numbers, read one way everywhere: quantities and money.

Phones type digits in ASCII or, with a Chinese input method, full width ("１２"); both are
taken. Spaces at the ends are dropped; a space inside ("1 2") is refused rather than guessed.
Refusals are InvalidInput with the field, a reason ("format" or "range") and the bounds, so
the chat side can say what would be taken.
"""
from __future__ import annotations

import re

from .errors import InvalidInput

QUANTITY_MAX = 100_000
MONEY_MAX = 100_000_000  # fen: one million yuan; anything above is a typing slip

# Full-width digits, point and yuan sign as a Chinese keyboard types them.
_WIDE = str.maketrans("０１２３４５６７８９．￥", "0123456789.¥")
_DIGITS = re.compile(r"^[0-9]+$")
_NEGATIVE = re.compile(r"^[-−－][0-9０-９]")
_MONEY = re.compile(r"^¥?([0-9]+)(?:\.([0-9]+))?$")


def _normalised(text) -> str:
    return text.strip().translate(_WIDE) if isinstance(text, str) else ""


def parse_quantity(text) -> int:
    """A whole number of units from 1 to QUANTITY_MAX: "12", "１２", " 12 " → 12."""
    cleaned = _normalised(text)
    bounds = dict(minimum=1, maximum=QUANTITY_MAX)
    if _NEGATIVE.match(cleaned):
        raise InvalidInput(field="quantity", reason="range", **bounds)
    if not _DIGITS.match(cleaned):
        raise InvalidInput(field="quantity", reason="format", **bounds)
    digits = cleaned.lstrip("0") or "0"
    if len(digits) > len(str(QUANTITY_MAX)) or not 1 <= int(digits) <= QUANTITY_MAX:
        raise InvalidInput(field="quantity", reason="range", **bounds)
    return int(digits)


def parse_money(text) -> int:
    """Fen from an amount in yuan: "300", "300.5", "300.50", "¥300", "３００" → 30000 ...
    At most two decimals; not negative; at most MONEY_MAX."""
    cleaned = _normalised(text)
    bounds = dict(minimum=0, maximum=MONEY_MAX)
    if _NEGATIVE.match(cleaned.lstrip("¥")):
        raise InvalidInput(field="amount", reason="range", **bounds)
    match = _MONEY.match(cleaned)
    if not match or (match[2] is not None and not 1 <= len(match[2]) <= 2):
        raise InvalidInput(field="amount", reason="format", **bounds)
    yuan = match[1].lstrip("0") or "0"
    if len(yuan) > len(str(MONEY_MAX // 100)):
        raise InvalidInput(field="amount", reason="range", **bounds)
    fen = int(yuan) * 100 + int((match[2] or "0").ljust(2, "0"))
    if fen > MONEY_MAX:
        raise InvalidInput(field="amount", reason="range", **bounds)
    return fen
