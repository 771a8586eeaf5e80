"""The bill of a completed job, as a pure function of the approved quote and the parts used."""
from types import SimpleNamespace as Row

import pytest

from core.bill import bill
from core.errors import NotAllowed

PUMP, SEAL = Row(id=1, sku="PUMP"), Row(id=2, sku="SEAL")


def part_line(position, part, quantity, price, warranty=False):
    return Row(position=position, kind="part", part_id=part.id, quantity=quantity,
               unit_price=0 if warranty else price, warranty=warranty, total=quantity * price)


def labour_line(position, price):
    return Row(position=position, kind="labour", part_id=None, quantity=1, unit_price=price,
               warranty=False, total=price)


def test_parts_used_are_priced_by_their_quote_lines_and_labour_is_added():
    lines = [part_line(1, PUMP, 2, 12000), labour_line(2, 8000)]
    priced = bill(lines, [(PUMP, 1, "SN-1")], approved_total=32000)
    assert (priced.parts, priced.labour, priced.total) == (12000, 8000, 20000)
    assert [(p.sku, taken, serial) for p, _, taken, serial in priced.fitted] == [
        ("PUMP", 1, "SN-1")]


def test_warranty_lines_are_used_first_so_a_covered_part_costs_nothing():
    lines = [part_line(1, PUMP, 1, 12000), part_line(2, PUMP, 1, 12000, warranty=True)]
    priced = bill(lines, [(PUMP, 1, None)], approved_total=12000)
    assert priced.total == 0
    priced = bill(lines, [(PUMP, 2, None)], approved_total=12000)
    assert priced.total == 12000


def test_more_than_the_quote_approved_needs_a_revised_quote():
    lines = [part_line(1, PUMP, 1, 12000)]
    with pytest.raises(NotAllowed) as refused:
        bill(lines, [(PUMP, 1, "A"), (PUMP, 1, "B")], approved_total=12000)
    assert refused.value.details == {"reason": "needs_revised_quote", "part": "PUMP",
                                     "approved": 1, "used": 2}
    with pytest.raises(NotAllowed):
        bill(lines, [(SEAL, 1, None)], approved_total=12000)


def test_the_bill_never_exceeds_the_approved_total():
    """A refusal, not an assert: `python -O` removes asserts; money rules stay."""
    lines = [part_line(1, PUMP, 1, 12000), labour_line(2, 8000)]
    with pytest.raises(NotAllowed) as refused:
        bill(lines, [(PUMP, 1, None)], approved_total=15000)
    assert refused.value.details["reason"] == "over_quote"
    assert bill(lines, [], approved_total=None).total == 8000
