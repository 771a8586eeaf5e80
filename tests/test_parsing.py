"""Typed quantities, money and serial numbers: what people type on phones (full-width digits,
a ¥ sign) is read; anything doubtful is refused with the field and reason the chat explains."""
import pytest

from core.errors import InvalidInput
from core import parsing
from core.parsing import MONEY_MAX, parse_money, parse_quantity


@pytest.mark.parametrize("typed, value", [
    ("1", 1), ("12", 12), (" 12 ", 12), ("１２", 12), ("\t７\n", 7), ("+3", 3), ("0012", 12),
    ("9999", 9999),
])
def test_quantities_are_read(typed, value):
    assert parse_quantity(typed) == value


@pytest.mark.parametrize("typed, reason", [
    ("", "empty"), ("   ", "empty"), ("1 2", "format"), ("１ ２", "format"), ("1.5", "format"),
    ("two", "format"), ("١٢", "format"), ("²", "format"), ("0", "range"), ("０", "range"),
    ("-1", "negative"), ("－3", "negative"), ("10000", "range"), ("1" * 30, "range"),
])
def test_doubtful_quantities_are_refused(typed, reason):
    with pytest.raises(InvalidInput) as refused:
        parse_quantity(typed)
    assert refused.value.details["field"] == "quantity"
    assert refused.value.details["reason"] == reason


def test_a_quantity_has_the_callers_maximum():
    assert parse_quantity("99", maximum=99) == 99
    with pytest.raises(InvalidInput) as refused:
        parse_quantity("100", maximum=99)
    assert refused.value.details["maximum"] == 99


@pytest.mark.parametrize("typed, fen", [
    ("300", 30000), ("300.5", 30050), ("300.50", 30050), ("¥300", 30000), ("￥300", 30000),
    ("¥ 300.05", 30005), (" 300 ", 30000), ("３００", 30000), ("３００．５", 30050),
    ("120元", 12000), ("0,5", 50), ("0", 0), ("0.01", 1), ("1000000", MONEY_MAX), ("300.", 30000),
])
def test_money_is_read_in_fen(typed, fen):
    assert parse_money(typed) == fen


@pytest.mark.parametrize("typed, reason", [
    ("", "empty"), ("¥", "empty"), ("300.505", "decimals"), ("0.001", "decimals"),
    ("-5", "negative"), ("¥-5", "negative"), ("1000000.01", "range"),
    ("99999999999", "range"), ("3 00", "format"), ("a lot", "format"), ("1e5", "format"),
    ("300..5", "format"), ("$300", "format"),
])
def test_doubtful_amounts_are_refused(typed, reason):
    with pytest.raises(InvalidInput) as refused:
        parse_money(typed)
    assert refused.value.details["field"] == "amount"
    assert refused.value.details["reason"] == reason


def test_not_text_is_refused():
    with pytest.raises(InvalidInput):
        parse_quantity(None)
    with pytest.raises(InvalidInput):
        parse_money(None)


@pytest.mark.parametrize("typed, serial", [
    ("6F2A0034571", "6F2A0034571"),
    ("  BE0Q5K1D8000  ", "BE0Q5K1D8000"),
    ("ＳＮ：１２３－４５", "SN:123-45"),  # a Chinese keyboard's full-width forms
    ("KFR-35GW/(35592)", "KFR-35GW/(35592)"),
    ("SN-A", "SN-A"),
    ("", None),
])
def test_serial_numbers_are_read_as_printed_on_the_label(typed, serial):
    assert parsing.serial_number(typed) == serial


@pytest.mark.parametrize("typed", ["上海市浦东新区张江路 88 弄 3 号 501", "不知道",
                                   "88 Century Ave, flat 5", "SN 12<b>", "- / -", "S" * 65])
def test_what_is_not_a_serial_number_is_refused(typed):
    with pytest.raises(InvalidInput) as refused:
        parsing.serial_number(typed)
    assert refused.value.details["field"] == "serial"


def test_a_serial_number_typed_at_its_question_must_be_there():
    with pytest.raises(InvalidInput) as refused:
        parsing.serial_number("   ", required=True)
    assert (refused.value.details["field"], refused.value.details["reason"]) == ("serial", "empty")

