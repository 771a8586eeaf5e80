"""Building a quote line by line, what it shows, what is refused, and parts priced at zero
because an earlier repair's warranty still covers them."""
from datetime import date

import pytest

from core import catalogue, job_completion, jobs, people, quotes, stock
from core.errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from tests.workshop import (
    ANN,
    BOB,
    BOSS,
    LI,
    TOMORROW,
    act,
    add_lines,
    assigned,
    at,
    company,
    load,
    on_site,
    quoted,
)


@pytest.fixture
async def shop(desk):
    await company(desk)
    for sku in ("CMP-01", "THERM-02", "FAN-03"):
        await act(desk, stock.receive, BOSS, sku, 10)


async def test_a_draft_is_built_line_by_line_and_survives_between_actions(desk, clock, shop):
    order = await on_site(desk, clock)
    await act(desk, jobs.diagnose, LI, order.number, "Fan motor seized, thermostat drifting")
    # each line is its own unit of work, as each button press is: a restart in between
    # loses nothing
    parts = await act(desk, quotes.add_part, LI, order.number, "fan-03", 1)
    await act(desk, quotes.add_part, LI, order.number, "THERM-02", 2)
    await act(desk, quotes.add_labour, LI, order.number, "LAB-H", 2)
    typed = await act(desk, quotes.add_typed_labour, LI, order.number,
                      "Clean condenser coils", 4500)
    await act(desk, quotes.remove_line, LI, order.number, parts[0].id)
    draft = await act(desk, quotes.draft_view, LI, order.number)
    assert (draft.version, draft.status) == (1, "draft")
    assert [(l.kind, l.sku, l.name, l.quantity, l.unit_price, l.line_total, l.warranty,
             l.warranty_months) for l in draft.lines] == [
        ("part", "THERM-02", "Thermostat", 2, 8000, 16000, False, 6),
        ("labour", None, "Repair labour, per hour", 2, 8000, 16000, False, None),
        ("typed_labour", None, "Clean condenser coils", 1, 4500, 4500, False, None),
    ]
    assert (draft.parts_total, draft.labour_total, draft.total, draft.warranty_saving) == (
        16000, 20500, 36500, 0)
    with pytest.raises(NotFound) as refused:
        await act(desk, quotes.remove_line, LI, order.number, parts[0].id)
    assert refused.value.details == {"what": "quote_line"}
    async with desk.uow() as uow:
        ann = await people.find_user(uow, ANN)
        with pytest.raises(NotFound) as refused:
            await quotes.quote_view(uow, ann, order.number)
        assert refused.value.details == {"what": "quote"}
    # prices are copied: a later catalogue change does not alter the draft
    await act(desk, catalogue.edit_part, BOSS, "THERM-02", price=9900)
    assert (await act(desk, quotes.draft_view, LI, order.number)).total == 36500
    sent = await act(desk, quotes.send_quote, LI, order.number)
    assert (sent.status, sent.total, sent.sent_at) == ("sent", 36500, at(TOMORROW, 9, 40))
    assert typed.description == "Clean condenser coils"


async def test_what_a_quote_refuses(desk, clock, shop):
    order = await on_site(desk, clock)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, quotes.send_quote, LI, order.number)
    assert refused.value.details == {"reason": "diagnosis_missing"}
    await act(desk, jobs.diagnose, LI, order.number, "Thermostat stuck open")
    with pytest.raises(InvalidInput) as refused:
        await act(desk, quotes.send_quote, LI, order.number)
    assert refused.value.details == {"field": "lines", "reason": "empty"}
    for args, field, reason in ((("CMP-01", 0), "quantity", "range"),
                                (("CMP-01", 100), "quantity", "range"),
                                (("CMP-01", "two"), "quantity", "format")):
        with pytest.raises(InvalidInput) as refused:
            await act(desk, quotes.add_part, LI, order.number, *args)
        assert (refused.value.details["field"], refused.value.details["reason"]) == (field,
                                                                                     reason)
    await act(desk, catalogue.edit_part, BOSS, "FAN-03", active=False)
    with pytest.raises(NotFound) as refused:
        await act(desk, quotes.add_part, LI, order.number, "FAN-03", 1)
    assert refused.value.details == {"what": "part"}
    with pytest.raises(NotFound):
        await act(desk, quotes.add_labour, LI, order.number, "NOPE", 1)
    for description, amount, field in (("x", 100, "description"), ("Fix", 0, "amount"),
                                       ("Fix", 100_000_001, "amount"),
                                       ("a" * 101, 1, "description")):
        with pytest.raises(InvalidInput) as refused:
            await act(desk, quotes.add_typed_labour, LI, order.number, description, amount)
        assert refused.value.details["field"] == field
    for n in range(quotes.LINES_MAX):
        await act(desk, quotes.add_typed_labour, LI, order.number, f"Step {n}", 100)
    with pytest.raises(InvalidInput) as refused:
        await act(desk, quotes.add_labour, LI, order.number, "CALLOUT", 1)
    assert refused.value.details == {"field": "lines", "reason": "too_many", "limit": 30}


async def test_no_quote_before_arrival_or_while_one_waits_for_an_answer(desk, clock, shop):
    order = await assigned(desk)
    with pytest.raises(TransitionRefused) as refused:
        await act(desk, quotes.add_part, LI, order.number, "CMP-01", 1)
    assert refused.value.details == {"action": "quote", "status": "scheduled",
                                     "reason": "status", "order": order.number}
    other = await quoted(desk, clock, [("labour", "CALLOUT", 1)], customer=BOB,
                         brand="Midea", window="13-17")
    with pytest.raises(TransitionRefused) as refused:
        await act(desk, quotes.add_part, LI, other.number, "CMP-01", 1)
    assert refused.value.details["status"] == "awaiting_approval"
    with pytest.raises(NotFound):  # another customer's quote
        await act(desk, quotes.approve_quote, ANN, other.number)


# --- the warranty of an earlier repair ------------------------------------------------------------

async def finished_repair(desk, clock, lines, used, customer=ANN, **overrides):
    """A repair quoted with `lines`, approved, completed with `used` parts and paid."""
    order = await quoted(desk, clock, lines, customer=customer, **overrides)
    await act(desk, quotes.approve_quote, customer, order.number)
    await act(desk, job_completion.complete, LI, order.number, used)
    await act(desk, jobs.settle, LI, order.number, "cash")
    return order


async def test_a_part_still_under_an_earlier_warranty_of_the_appliance_is_free(desk, clock, shop):
    first = await finished_repair(
        desk, clock, [("part", "CMP-01", 1), ("part", "THERM-02", 1), ("part", "FAN-03", 1)],
        [("CMP-01", 1, "SN-A"), ("THERM-02", 1, None), ("FAN-03", 1, None)])
    # seven months later the same fridge fails again: the compressor's 12 months still
    # hold, the thermostat's 6 have passed, the fan motor never had any
    clock.at = at(date(2027, 6, 20), 10)
    day = date(2027, 6, 21)
    second = await on_site(desk, clock, day=day)
    assert (await load(desk, second.id)).appliance_id == (await load(desk, first.id)).appliance_id
    await act(desk, jobs.diagnose, LI, second.number, "Compressor failed again")
    await add_lines(desk, LI, second.number, [("part", "CMP-01", 2), ("part", "THERM-02", 1),
                                              ("part", "FAN-03", 1), ("labour", "CALLOUT", 1)])
    draft = await act(desk, quotes.draft_view, LI, second.number)
    assert [(l.sku, l.quantity, l.unit_price, l.line_total, l.warranty) for l in draft.lines] == [
        ("CMP-01", 1, 0, 0, True),  # the one compressor fitted last time
        ("CMP-01", 1, 45000, 45000, False),  # a second one is charged
        ("THERM-02", 1, 8000, 8000, False),
        ("FAN-03", 1, 12000, 12000, False),
        (None, 1, 5000, 5000, False),  # labour on a repair order is charged
    ]
    assert (draft.total, draft.warranty_saving, draft.has_warranty_lines) == (70000, 45000, True)
    # another customer's fridge of the same model has no such warranty
    other = await on_site(desk, clock, customer=BOB, day=day, window="13-17")
    await act(desk, jobs.diagnose, LI, other.number, "Compressor failed")
    await act(desk, quotes.add_part, LI, other.number, "CMP-01", 1)
    assert (await act(desk, quotes.draft_view, LI, other.number)).total == 45000
