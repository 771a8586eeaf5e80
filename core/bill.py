"""The bill of a completed job, a pure function of the approved quote and the parts used: it
refuses (a domain error), never asserts, since money rules must hold under `python -O` too."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import NotAllowed
from .quotes import LABOUR_KINDS, PART


@dataclass(frozen=True)
class Bill:
    """What a completed job costs: each part fitted against the quote line that prices it."""
    parts: int
    labour: int
    fitted: tuple  # (part, quote line, quantity, serial)

    @property
    def total(self) -> int:
        return self.parts + self.labour


def bill(quote_lines, used, approved_total: int | None) -> Bill:
    """The bill from the approved quote's lines and the parts used ((part, quantity, serial)):
    each part is priced by the quote's lines for it, warranty-covered lines first. More of a
    part than the quote approved needs a revised quote (NotAllowed "needs_revised_quote"), and
    the bill can never exceed the approved total (NotAllowed "over_quote")."""
    allowed: dict[int, list] = {}
    for line in sorted(quote_lines, key=lambda line: line.position):
        if line.kind == PART:
            allowed.setdefault(line.part_id, []).append([line, line.quantity])
    for lines in allowed.values():
        lines.sort(key=lambda entry: (not entry[0].warranty, entry[0].position))
    wanted: dict[int, int] = {}
    for part, quantity, _ in used:
        wanted[part.id] = wanted.get(part.id, 0) + quantity
    for part, _, _ in used:
        approved = sum(n for _, n in allowed.get(part.id, []))
        if wanted[part.id] > approved:
            raise NotAllowed(reason="needs_revised_quote", part=part.sku, approved=approved,
                             used=wanted[part.id])
    parts_amount, fitted = 0, []
    for part, quantity, serial in used:
        for entry in allowed[part.id]:
            line, left = entry
            taken = min(quantity, left)
            if not taken:
                continue
            entry[1] -= taken
            quantity -= taken
            parts_amount += taken * line.unit_price
            fitted.append((part, line, taken, serial))
            if not quantity:
                break
    labour = sum(line.total for line in quote_lines if line.kind in LABOUR_KINDS)
    priced = Bill(parts_amount, labour, tuple(fitted))
    if approved_total is not None and priced.total > approved_total:
        raise NotAllowed(reason="over_quote", amount=priced.total, approved=approved_total)
    return priced


