"""Numbers as people type them: one reading of quantities and money everywhere."""
import pytest

from core.errors import InvalidInput
from core.parsing import MONEY_MAX, QUANTITY_MAX, parse_money, parse_quantity


def test_quantities_in_ascii_or_full_width_digits():
    assert parse_quantity("12") == 12
    assert parse_quantity("１２") == 12
    assert parse_quantity(" 7 \n") == 7
    assert parse_quantity("007") == 7
    assert parse_quantity(str(QUANTITY_MAX)) == QUANTITY_MAX


@pytest.mark.parametrize("typed, reason", [
    ("1 2", "format"), ("１ ２", "format"), ("ten", "format"), ("十", "format"), ("", "format"),
    ("1.5", "format"), ("<b>7</b>", "format"), ("²", "format"), (None, "format"),
    ("0", "range"), ("-3", "range"), ("－３", "range"), (str(QUANTITY_MAX + 1), "range"),
    ("9" * 5000, "range"),
])
def test_quantities_refused_say_why(typed, reason):
    with pytest.raises(InvalidInput) as refused:
        parse_quantity(typed)
    assert refused.value.details == {"field": "quantity", "reason": reason, "minimum": 1,
                                     "maximum": QUANTITY_MAX}


def test_money_in_yuan_becomes_fen():
    assert parse_money("300") == 30000
    assert parse_money("300.5") == 30050
    assert parse_money("300.50") == 30050
    assert parse_money("¥300") == 30000
    assert parse_money("￥３００.０５") == 30005
    assert parse_money(" 0 ") == 0
    assert parse_money(str(MONEY_MAX // 100)) == MONEY_MAX


@pytest.mark.parametrize("typed, reason", [
    ("300.505", "format"), ("3 00", "format"), ("abc", "format"), ("300.", "format"),
    ("1e3", "format"), ("", "format"), (None, "format"),
    ("-5", "range"), ("¥-5", "range"), (str(MONEY_MAX // 100 + 1), "range"),
    ("9" * 5000, "range"),
])
def test_money_refused_says_why(typed, reason):
    with pytest.raises(InvalidInput) as refused:
        parse_money(typed)
    assert refused.value.details["field"] == "amount"
    assert refused.value.details["reason"] == reason
