"""Warranty: each part's end date in the company's time zone, what is still covered, claiming
it as a warranty order that takes a window place like a booking, and that order priced at
zero."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from core import (
    dispatch,
    job_completion,
    jobs,
    people,
    quotes,
    repair_reports,
    stock,
    warranty,
)
from core.errors import InvalidInput, NotAllowed, NotFound
from core.models import ServiceOrder, WarrantyClaimPart
from core.windows import WindowFull
from tests.workshop import (
    ANN,
    BOB,
    BOSS,
    LI,
    TOMORROW,
    WANG,
    act,
    add_lines,
    assigned,
    at,
    company,
    events,
    load,
    quoted,
)


@pytest.fixture
async def shop(desk):
    await company(desk)
    for sku in ("CMP-01", "THERM-02", "FAN-03"):
        await act(desk, stock.receive, BOSS, sku, 10)


def test_months_are_added_to_the_calendar_day():
    assert warranty.add_months(date(2026, 11, 25), 12) == date(2027, 11, 25)
    assert warranty.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert warranty.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert warranty.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert warranty.add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert warranty.warranty_end(date(2026, 12, 15), 0) is None


async def repaired(desk, clock, finish_at, customer=ANN):
    """A repair with a compressor (12 months), a thermostat (6) and a fan motor (none),
    completed at `finish_at` and paid."""
    order = await quoted(desk, clock, [("part", "CMP-01", 1), ("part", "THERM-02", 1),
                                       ("part", "FAN-03", 1), ("labour", "LAB-H", 1)],
                         customer=customer)
    await act(desk, quotes.approve_quote, customer, order.number)
    clock.at = finish_at
    await act(desk, job_completion.complete, LI, order.number,
              [("CMP-01", 1, "SN-C1"), ("THERM-02", 1, None), ("FAN-03", 1, None)])
    await act(desk, jobs.settle, LI, order.number, "cash")
    return order


async def test_warranty_dates_are_counted_from_the_local_day_of_completion(desk, clock, shop):
    # 16:30 UTC on the 25th is already 00:30 on the 26th in Shanghai: a late finish
    finish = datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc)
    order = await repaired(desk, clock, finish)
    report = await act(desk, repair_reports.repair_report, ANN, order.number)
    assert report.completed_on == date(2026, 11, 26)
    assert [(p.sku, p.serial, p.warranty_until) for p in report.parts] == [
        ("CMP-01", "SN-C1", date(2027, 11, 26)), ("THERM-02", None, date(2027, 5, 26)),
        ("FAN-03", None, None)]
    assert report.workmanship_until == date(2027, 2, 26)


async def test_the_parts_still_under_warranty_and_who_may_ask(desk, clock, shop):
    order = await repaired(desk, clock, at(TOMORROW, 11))
    listed = await act(desk, warranty.parts_under_warranty, ANN, order.number)
    assert [(p.sku, p.serial, p.warranty_until) for p in listed] == [
        ("CMP-01", "SN-C1", date(2027, 11, 25)), ("THERM-02", None, date(2027, 5, 25))]
    clock.at = at(date(2027, 5, 25), 23, 59)  # the thermostat's last day
    assert len(await act(desk, warranty.parts_under_warranty, ANN, order.number)) == 2
    clock.at = at(date(2027, 5, 26), 0, 1)
    status = await act(desk, warranty.warranty_status, ANN, order.number)
    assert [p.sku for p in status.parts] == ["CMP-01"]
    assert (status.workmanship_until, status.workmanship_valid, status.claimable) == (
        date(2027, 2, 25), False, True)
    with pytest.raises(NotFound):
        await act(desk, warranty.parts_under_warranty, BOB, order.number)
    open_order = await assigned(desk, customer=BOB, day=date(2027, 5, 27))
    with pytest.raises(NotAllowed) as refused:
        await act(desk, warranty.parts_under_warranty, BOB, open_order.number)
    assert refused.value.details == {"reason": "not_completed", "status": "scheduled"}


async def claim(desk, original, part_skus=("CMP-01",), customer=ANN, day=None, window="09-12",
                **extra):
    listed = await act(desk, warranty.parts_under_warranty, customer, original.number)
    ids = [p.replaced_part_id for p in listed if p.sku in part_skus]
    return await act(desk, warranty.open_warranty_claim, customer, original.number, ids,
                     "Not cooling again, compressor clicks", day, window, **extra)


async def test_a_claim_books_a_warranty_order_from_the_original(desk, clock, shop):
    original = await repaired(desk, clock, at(TOMORROW, 11))
    clock.at = at(date(2026, 12, 20), 10)
    order = await claim(desk, original, day=date(2026, 12, 22), photos=["AgADw"])
    stored, first = await load(desk, order.id), await load(desk, original.id)
    assert (stored.kind, stored.status, stored.number[:2]) == ("warranty", "new", "W-")
    assert (stored.parent_order_id, stored.appliance_id, stored.address_id, stored.phone,
            stored.category) == (original.id, first.appliance_id, first.address_id,
                                 first.phone, "refrigerator")
    assert (stored.booked_date, stored.window, stored.photos) == (
        date(2026, 12, 22), "09-12", ["AgADw"])
    assert stored.window_start == at(date(2026, 12, 22), 9)
    async with desk.uow() as uow:
        claimed = (await uow.session.scalars(select(WarrantyClaimPart))).all()
    assert len(claimed) == 1
    assert (await events(desk, original.id))[-1][:2] == ("warranty_claim", "closed")
    assert (await events(desk, original.id))[-1][4] == order.number
    # the technician's card shows what is claimed
    await act(desk, _assign, BOSS, order.number, LI)
    card = await act(desk, jobs.job_card, LI, order.number)
    assert (card.kind, card.claimed_parts) == ("warranty", ("CMP-01",))

    with pytest.raises(NotAllowed) as refused:  # one open claim at a time
        await claim(desk, original, day=date(2026, 12, 23))
    assert refused.value.details == {"reason": "already_claimed", "order": order.number}


async def _assign(uow, boss, number, telegram_id):
    return await dispatch.assign(uow, boss, number, await people.find_user(uow, telegram_id))


async def test_what_a_claim_refuses(desk, clock, shop):
    original = await repaired(desk, clock, at(TOMORROW, 11))
    clock.at = at(date(2026, 12, 20), 10)
    listed = await act(desk, warranty.parts_under_warranty, ANN, original.number)
    with pytest.raises(InvalidInput) as refused:
        await act(desk, warranty.open_warranty_claim, ANN, original.number, [999],
                  "Not cooling again", date(2026, 12, 22), "09-12")
    assert refused.value.details == {"field": "parts", "reason": "not_under_warranty",
                                     "part": 999}
    with pytest.raises(InvalidInput) as refused:
        await act(desk, warranty.open_warranty_claim, ANN, original.number,
                  [listed[0].replaced_part_id], "bad", date(2026, 12, 22), "09-12")
    assert refused.value.details["field"] == "description"
    with pytest.raises(InvalidInput) as refused:
        await claim(desk, original, day=date(2026, 12, 19))
    assert refused.value.details["reason"] == "past"
    with pytest.raises(NotFound):
        await claim(desk, original, customer=BOB, day=date(2026, 12, 22))
    # two technicians cover fridges: two bookings fill the window
    await assigned(desk, LI, BOB, day=date(2026, 12, 22))
    await assigned(desk, WANG, BOB, day=date(2026, 12, 22), brand="Midea")
    with pytest.raises(WindowFull):
        await claim(desk, original, day=date(2026, 12, 22))
    # after the workmanship warranty, a claim must name a part still under warranty
    clock.at = at(date(2027, 3, 1), 10)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, warranty.open_warranty_claim, ANN, original.number, [],
                  "Door does not close", date(2027, 3, 2), "09-12")
    assert refused.value.details == {"reason": "warranty_expired"}
    async with desk.uow() as uow:
        count = len((await uow.session.scalars(
            select(ServiceOrder).where(ServiceOrder.kind == "warranty"))).all())
    assert count == 0


async def test_a_warranty_job_is_priced_at_zero_and_closed_as_waived(desk, clock, shop):
    original = await repaired(desk, clock, at(TOMORROW, 11))
    clock.at = at(date(2027, 2, 20), 10)  # the workmanship warranty runs to 25 February
    order = await claim(desk, original, day=date(2027, 2, 26))  # visit after it: still honoured
    await act(desk, _assign, BOSS, order.number, LI)
    await act(desk, jobs.start_trip, LI, order.number)
    await act(desk, jobs.arrive, LI, order.number)
    await act(desk, jobs.diagnose, LI, order.number, "Compressor failed under warranty")
    await add_lines(desk, LI, order.number, [("part", "CMP-01", 1), ("labour", "CALLOUT", 1),
                                             ("typed", "Gas refill", 6000)])
    sent = await act(desk, quotes.send_quote, LI, order.number)
    assert [(l.name, l.unit_price, l.list_price, l.warranty) for l in sent.lines] == [
        ("Compressor", 0, 45000, True), ("Call-out", 0, 5000, True),
        ("Gas refill", 0, 6000, True)]
    assert (sent.total, sent.warranty_saving) == (0, 56000)
    await act(desk, quotes.approve_quote, ANN, order.number)
    completion = await act(desk, job_completion.complete, LI, order.number, [("CMP-01", 1, "SN-C2")])
    assert completion.amount == 0
    report = await act(desk, repair_reports.repair_report, ANN, order.number)
    assert [(p.sku, p.unit_price, p.warranty, p.warranty_until) for p in report.parts] == [
        ("CMP-01", 0, True, date(2028, 2, 20))]
    await act(desk, jobs.settle, LI, order.number, "waived")
    stored = await load(desk, order.id)
    assert (stored.status, stored.final_amount, stored.payment_method) == ("closed", 0, "waived")


async def test_labour_is_charged_once_the_workmanship_warranty_has_ended(desk, clock, shop):
    original = await repaired(desk, clock, at(TOMORROW, 11))
    clock.at = at(date(2027, 4, 1), 10)
    order = await claim(desk, original, day=date(2027, 4, 2))
    await act(desk, _assign, BOSS, order.number, LI)
    await act(desk, jobs.start_trip, LI, order.number)
    await act(desk, jobs.arrive, LI, order.number)
    await act(desk, quotes.add_part, LI, order.number, "CMP-01", 1)
    await act(desk, quotes.add_labour, LI, order.number, "CALLOUT", 1)
    draft = await act(desk, quotes.draft_view, LI, order.number)
    assert [(l.unit_price, l.warranty) for l in draft.lines] == [(0, True), (5000, False)]
    assert draft.total == 5000
