"""A technician's jobs from assignment to payment: the list, each act and its event, the
completion with parts from stock, the report, and nobody touching another's job."""
from datetime import date

import pytest
from sqlalchemy import select

from core import (
    dispatch,
    job_completion,
    jobs,
    people,
    quotes,
    ratings,
    repair_reports,
    sales,
    stock,
    stock_levels,
)
from core.errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from core.models import ReplacedPart, ServiceOrder, StockMovement
from core.stock import NotEnoughStock
from tests.workshop import (
    ANN,
    BOB,
    BOSS,
    LI,
    TODAY,
    TOMORROW,
    WANG,
    act,
    add_lines,
    assigned,
    at,
    book,
    company,
    events,
    load,
    on_site,
    quoted,
)


@pytest.fixture
async def shop(desk):
    await company(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 5, "Haier parts")
    await act(desk, stock.receive, BOSS, "THERM-02", 5)
    async with desk.uow() as uow:
        li = await people.find_user(uow, LI)
        await stock.transfer(uow, await people.find_user(uow, BOSS), "CMP-01", 1, "main",
                             await stock.van(uow, li))
        await uow.commit()


async def levels(desk, sku):
    """(Li's van, main) levels of a part."""
    async with desk.uow() as uow:
        li = await people.find_user(uow, LI)
        return (await stock_levels.level(uow, await stock.van(uow, li), sku),
                await stock_levels.level(uow, "main", sku))


async def test_a_repair_from_assignment_to_closed(desk, clock, shop):
    order = await book(desk, ANN)
    async with desk.uow() as uow:
        suggested = await dispatch.suggest_technicians(uow, await uow.session.get(
            ServiceOrder, order.id))
    assert suggested[0].name == "Li Wei"  # fridges, and Xuhui is his area
    await act(desk, dispatch.assign, BOSS, order.number, suggested[0].id)

    card = (await act(desk, jobs.my_jobs, LI)).items[0]
    assert (card.number, card.when, card.window, card.customer_name, card.phone) == (
        order.number, "upcoming", "09-12", "Ann", "+8613800138000")
    assert (card.address, card.brand, card.description, card.photos) == (
        "Xuhui, Tianyaoqiao Rd 1, flat 502", "Haier", "Not cooling since Monday", ("AgAD1",))
    assert card.actions == ("accept", "decline", "start_trip")
    await act(desk, jobs.accept, LI, order.number)
    assert (await act(desk, jobs.job_card, LI, order.number)).actions == (
        "start_trip", "decline")

    clock.at = at(TOMORROW, 8, 50)
    assert (await act(desk, jobs.my_jobs, LI)).items[0].when == "today"
    await act(desk, jobs.start_trip, LI, order.number)
    clock.at = at(TOMORROW, 9, 35)
    await act(desk, jobs.arrive, LI, order.number)
    card = await act(desk, jobs.job_card, LI, order.number)
    assert (card.status, card.on_time, card.arrived_at) == ("on_site", True, at(TOMORROW, 9, 35))
    assert card.actions == ("diagnose", "parts_missing")  # a quote needs a diagnosis first

    await act(desk, jobs.diagnose, LI, order.number,
              "Compressor relay burnt out; compressor does not start.", ["AgADp1", "AgADp2"])
    await add_lines(desk, LI, order.number, [("part", "CMP-01", 1), ("labour", "CALLOUT", 1),
                                             ("labour", "LAB-H", 2)])
    sent = await act(desk, quotes.send_quote, LI, order.number)
    assert (sent.parts_total, sent.labour_total, sent.total) == (45000, 21000, 66000)
    assert (await load(desk, order.id)).status == "awaiting_approval"

    approved = await act(desk, quotes.approve_quote, ANN, order.number)
    assert (approved.status, approved.version) == ("approved", 1)
    assert (await load(desk, order.id)).quote_total == 66000

    clock.at = at(TOMORROW, 11, 5)
    completion = await act(desk, job_completion.complete, LI, order.number, [("CMP-01", 1, "SN-778812")],
                           photos=["AgADdone"], work_done="Replaced compressor, refilled gas")
    assert (completion.parts_amount, completion.labour_amount, completion.amount) == (
        45000, 21000, 66000)
    assert await levels(desk, "CMP-01") == (0, 4)  # the van's unit was used
    async with desk.uow() as uow:
        issued = (await uow.session.scalars(
            select(StockMovement).where(StockMovement.order_id == order.id))).all()
        li = await people.find_user(uow, LI)
    assert [(m.kind, m.quantity, m.actor_id) for m in issued] == [("issue", -1, li.id)]

    report = await act(desk, repair_reports.repair_report, ANN, order.number)
    assert report.found == "Compressor relay burnt out; compressor does not start."
    assert report.work_done == "Replaced compressor, refilled gas"
    assert [(p.sku, p.serial, p.quantity, p.line_total, p.warranty_until)
            for p in report.parts] == [("CMP-01", "SN-778812", 1, 45000, date(2027, 11, 25))]
    assert [(l.name, l.quantity, l.line_total) for l in report.labour] == [
        ("Call-out", 1, 5000), ("Repair labour, per hour", 2, 16000)]
    assert (report.total, report.workmanship_until, report.technician_name) == (
        66000, date(2027, 2, 25), "Li")  # three months' workmanship

    await act(desk, jobs.settle, LI, order.number, "cash")
    stored = await load(desk, order.id)
    assert (stored.status, stored.final_amount, stored.payment_method) == ("closed", 66000, "cash")
    assert stored.completed_at == at(TOMORROW, 11, 5)
    await act(desk, ratings.rate, ANN, order.number, 5, "Quick and tidy")

    assert [e[:4] for e in await events(desk, order.id)] == [
        ("create", None, "new", ANN),
        ("assign", "new", "scheduled", BOSS),
        ("accept", "scheduled", "scheduled", LI),
        ("start_trip", "scheduled", "en_route", LI),
        ("arrive", "en_route", "on_site", LI),
        ("diagnose", "on_site", "on_site", LI),
        ("send_quote", "on_site", "awaiting_approval", LI),
        ("approve_quote", "awaiting_approval", "in_progress", ANN),
        ("complete", "in_progress", "completed", LI),
        ("settle", "completed", "closed", LI),
        ("rate", "closed", "closed", ANN),
    ]


async def test_a_declined_quote_closes_the_order_as_diagnosis_only(desk, clock, shop):
    order = await quoted(desk, clock, [("part", "CMP-01", 1), ("labour", "CALLOUT", 1)])
    declined = await act(desk, quotes.decline_quote, ANN, order.number)
    assert (declined.status, declined.total) == ("declined", 50000)
    stored = await load(desk, order.id)
    assert (stored.status, stored.final_amount) == ("closed", None)
    assert (await events(desk, order.id))[-1] == (
        "decline_quote", "awaiting_approval", "closed", ANN, "diagnosis_only")
    with pytest.raises(TransitionRefused):
        await act(desk, quotes.approve_quote, ANN, order.number)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, repair_reports.repair_report, ANN, order.number)
    assert refused.value.details["reason"] == "not_completed"
    assert await levels(desk, "CMP-01") == (1, 4)  # nothing left the stock


async def test_more_parts_than_approved_need_a_revised_quote(desk, clock, shop):
    order = await quoted(desk, clock, [("part", "THERM-02", 1), ("labour", "CALLOUT", 1)])
    await act(desk, quotes.approve_quote, ANN, order.number)
    for used, approved, wanted in (([("CMP-01", 1, None)], 0, 1),
                                   ([("THERM-02", 1, "A"), ("THERM-02", 1, "B")], 1, 2)):
        with pytest.raises(NotAllowed) as refused:
            await act(desk, job_completion.complete, LI, order.number, used)
        assert refused.value.details == {"reason": "needs_revised_quote",
                                         "part": used[0][0], "approved": approved,
                                         "used": wanted}
    assert (await load(desk, order.id)).status == "in_progress"

    # the revision starts from the approved lines; the customer approves it
    await act(desk, quotes.add_part, LI, order.number, "CMP-01", 1)
    draft = await act(desk, quotes.draft_view, LI, order.number)
    assert (draft.version, [l.sku for l in draft.lines]) == (2, ["THERM-02", None, "CMP-01"])
    await act(desk, quotes.send_quote, LI, order.number)
    async with desk.uow() as uow:
        ann = await people.find_user(uow, ANN)
        with pytest.raises(NotFound):  # the customer never sees a draft...
            await quotes.quote_view(uow, ann, order.number, version=3)
        shown = await quotes.quote_view(uow, ann, order.number)  # ...but sees what was sent
    assert (shown.version, shown.status, shown.total) == (2, "sent", 58000)
    await act(desk, quotes.approve_quote, ANN, order.number)
    completion = await act(desk, job_completion.complete, LI, order.number,
                           [("CMP-01", 1, "SN1"), ("THERM-02", 1, None)])
    assert completion.amount == 58000
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        first = await quotes.quote_view(uow, boss, order.number, version=1)
    assert first.status == "superseded"
    assert [e[:3] for e in await events(desk, order.id)][-4:] == [
        ("approve_quote", "awaiting_approval", "in_progress"),
        ("send_quote", "in_progress", "awaiting_approval"),
        ("approve_quote", "awaiting_approval", "in_progress"),
        ("complete", "in_progress", "completed")]


async def test_parts_not_all_used_are_not_billed(desk, clock, shop):
    order = await quoted(desk, clock, [("part", "THERM-02", 2), ("typed", "Door seal fix", 3000)])
    await act(desk, quotes.approve_quote, ANN, order.number)
    completion = await act(desk, job_completion.complete, LI, order.number, [("THERM-02", 1, None)])
    assert (completion.parts_amount, completion.labour_amount, completion.amount) == (
        8000, 3000, 11000)
    assert await levels(desk, "THERM-02") == (0, 4)


async def test_completion_refused_when_stock_is_short_writes_nothing(desk, clock, shop):
    order = await quoted(desk, clock, [("part", "FAN-03", 1)])
    await act(desk, quotes.approve_quote, ANN, order.number)
    with pytest.raises(NotEnoughStock) as refused:
        await act(desk, job_completion.complete, LI, order.number, [("FAN-03", 1, None)])
    assert refused.value.details == {"sku": "FAN-03", "requested": 1, "available": 0,
                                     "van": 0, "main": 0}
    stored = await load(desk, order.id)
    assert (stored.status, stored.final_amount) == ("in_progress", None)
    async with desk.uow() as uow:
        assert (await uow.session.scalars(select(ReplacedPart))).all() == []


async def test_parts_missing_sends_the_order_to_waiting_parts(desk, clock, shop):
    order = await on_site(desk, clock)
    with pytest.raises(InvalidInput) as refused:
        await act(desk, jobs.parts_missing, LI, order.number, [])
    assert refused.value.details == {"field": "parts", "reason": "empty"}
    await act(desk, jobs.parts_missing, LI, order.number, [("FAN-03", 1), ("THERM-02", 2)],
              "Also a door hinge, brand part")
    stored = await load(desk, order.id)
    assert stored.status == "waiting_parts"
    assert (await events(desk, order.id))[-1] == (
        "parts_missing", "on_site", "waiting_parts", LI,
        "1 × FAN-03, 2 × THERM-02; Also a door hinge, brand part")
    async with desk.uow() as uow:
        listed = await jobs.missing_parts(uow, stored)
    assert {(p.sku if p else None, m.quantity, m.note) for m, p in listed} == {
        ("FAN-03", 1, None), ("THERM-02", 2, None), (None, None, "Also a door hinge, brand part")}
    # the manager books the next visit; the technician sees it again in their list
    await act(desk, dispatch.reschedule_visit, BOSS, order.number, date(2026, 11, 27), "13-17")
    card = await act(desk, jobs.job_card, LI, order.number)
    assert (card.status, card.booked_date, card.window, card.arrived_at) == (
        "scheduled", date(2026, 11, 27), "13-17", None)


async def test_an_installation_is_completed_with_its_checklist_and_a_photo(desk, clock, shop):
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        await sales.register_sales_order(uow, boss, number="S-2026-0042",
                                         customer_name="Bob Wu", phone="13900139000",
                                         address="Xuhui, Caoxi Rd 8", category="washing_machine",
                                         brand="Little Swan", model="TG100")
        await uow.commit()
    async with desk.uow() as uow:
        bob = await people.find_user(uow, BOB)
        found = await sales.verify_sales_order(uow, bob, "S-2026-0042", "13900139000")
        order = await sales.book_installation(uow, bob, found.id, day=TOMORROW, window="13-17")
        await uow.commit()
    await act(desk, dispatch.assign, BOSS, order.number, (await _id(desk, LI)))
    clock.at = at(TOMORROW, 13, 0)
    await act(desk, jobs.start_trip, LI, order.number)
    clock.at = at(TOMORROW, 17, 20)
    await act(desk, jobs.arrive, LI, order.number)
    card = await act(desk, jobs.job_card, LI, order.number)
    assert (card.on_time, card.actions) == (False, ("complete", "parts_missing"))  # 20 min late

    checklist = {"delivered": True, "installed": True, "tested": True, "old_unit_removed": False}
    with pytest.raises(InvalidInput) as refused:
        await act(desk, job_completion.complete, LI, order.number, checklist=checklist)
    assert refused.value.details == {"field": "photos", "reason": "empty"}
    with pytest.raises(InvalidInput) as refused:
        await act(desk, job_completion.complete, LI, order.number, checklist={"delivered": True},
                  photos=["AgADi"])
    assert refused.value.details == {"field": "checklist", "reason": "incomplete",
                                     "missing": ["installed", "tested", "old_unit_removed"]}
    with pytest.raises(InvalidInput) as refused:
        await act(desk, job_completion.complete, LI, order.number,
                  checklist=checklist | {"installed": False}, photos=["AgADi"])
    assert refused.value.details == {"field": "checklist", "reason": "not_done",
                                     "items": ["installed"]}
    with pytest.raises(NotAllowed) as refused:
        await act(desk, job_completion.complete, LI, order.number, [("CMP-01", 1, None)],
                  checklist=checklist, photos=["AgADi"])
    assert refused.value.details == {"reason": "no_parts_on_installation"}
    with pytest.raises(TransitionRefused) as refused:
        await act(desk, quotes.add_part, LI, order.number, "CMP-01", 1)
    assert refused.value.details["reason"] == "kind"

    completion = await act(desk, job_completion.complete, LI, order.number, checklist=checklist,
                           photos=["AgADi1", "AgADi2"])
    assert (completion.amount, completion.checklist, completion.photos) == (
        0, checklist, ["AgADi1", "AgADi2"])
    report = await act(desk, repair_reports.repair_report, BOB, order.number)
    assert (report.kind, report.total, report.parts, report.checklist) == (
        "installation", 0, (), checklist)
    await act(desk, jobs.settle, LI, order.number, "waived")  # nothing to pay
    assert (await load(desk, order.id)).status == "closed"


async def _id(desk, telegram_id):
    async with desk.uow() as uow:
        return (await people.find_user(uow, telegram_id)).id


async def test_settling_a_bill_cannot_be_waived_and_needs_a_known_method(desk, clock, shop):
    order = await quoted(desk, clock, [("labour", "CALLOUT", 1)])
    await act(desk, quotes.approve_quote, ANN, order.number)
    await act(desk, job_completion.complete, LI, order.number)
    with pytest.raises(InvalidInput) as refused:
        await act(desk, jobs.settle, LI, order.number, "bitcoin")
    assert refused.value.details == {"field": "method", "reason": "unknown"}
    with pytest.raises(NotAllowed) as refused:
        await act(desk, jobs.settle, LI, order.number, "waived")
    assert refused.value.details == {"reason": "waive_not_allowed", "amount": 5000}
    with pytest.raises(TransitionRefused) as refused:
        await act(desk, jobs.settle, ANN, order.number, "cash")
    assert refused.value.details["reason"] == "role"
    await act(desk, jobs.settle, BOSS, order.number, "transfer")
    with pytest.raises(TransitionRefused):
        await act(desk, jobs.settle, BOSS, order.number, "transfer")


async def test_declining_an_assignment_puts_it_back_for_dispatch(desk, clock, shop):
    order = await assigned(desk)
    with pytest.raises(InvalidInput) as refused:
        await act(desk, jobs.decline, LI, order.number, " ")
    assert refused.value.details == {"field": "reason", "reason": "empty"}
    await act(desk, jobs.decline, LI, order.number, "My van is in the garage tomorrow")
    stored = await load(desk, order.id)
    assert (stored.status, stored.technician_id) == ("new", None)
    assert (await events(desk, order.id))[-1] == (
        "unassign", "scheduled", "new", LI, "My van is in the garage tomorrow")
    async with desk.uow() as uow:
        waiting = await dispatch.unassigned_orders(uow)
    assert [c.number for c in waiting.items] == [order.number]
    with pytest.raises(NotFound):  # no longer his
        await act(desk, jobs.accept, LI, order.number)


async def test_accept_pressed_twice_records_one_event(desk, clock, shop):
    order = await assigned(desk)
    first = await act(desk, jobs.accept, LI, order.number)
    again = await act(desk, jobs.accept, LI, order.number)
    assert first.id == again.id
    assert [e[0] for e in await events(desk, order.id)] == ["create", "assign", "accept"]
    await act(desk, jobs.start_trip, LI, order.number)
    with pytest.raises(TransitionRefused) as refused:
        await act(desk, jobs.accept, LI, order.number)
    assert refused.value.details["status"] == "en_route"
    with pytest.raises(TransitionRefused):
        await act(desk, jobs.start_trip, LI, order.number)


async def test_a_technician_cannot_touch_another_technicians_job(desk, clock, shop):
    order = await on_site(desk, clock)
    attempts = [
        (jobs.job_card, ()), (jobs.accept, ()), (jobs.decline, ("no",)),
        (jobs.start_trip, ()), (jobs.arrive, ()), (jobs.diagnose, ("A fault found",)),
        (jobs.parts_missing, ([("CMP-01", 1)],)), (job_completion.complete, ()),
        (jobs.settle, ("cash",)), (repair_reports.repair_report, ()),
        (quotes.add_part, ("CMP-01", 1)), (quotes.send_quote, ()), (quotes.draft_view, ()),
    ]
    for service, args in attempts:
        for number in (order.number, order.id, "R-99999"):
            with pytest.raises(NotFound) as refused:
                await act(desk, service, WANG, number, *args)
            assert refused.value.details == {"what": "order"}, service.__name__
    async with desk.uow() as uow:
        listed = await jobs.my_jobs(uow, await people.find_user(uow, WANG))
    assert listed.total == 0
    # a deactivated technician can do nothing, not even with their own job
    async with desk.uow() as uow:
        (await people.find_user(uow, LI)).active = False
        await uow.commit()
    for service, args in attempts[:6]:
        with pytest.raises((NotFound, NotAllowed)):
            await act(desk, service, LI, order.number, *args)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, jobs.my_jobs, LI)
    assert refused.value.details == {"reason": "technician_only"}
    assert (await load(desk, order.id)).status == "on_site"


async def test_the_job_list_is_todays_in_window_order_then_upcoming(desk, clock, shop):
    clock.at = at(TODAY, 7, 0)  # early, so this morning's window can still be booked
    nothing = await act(desk, jobs.my_jobs, LI, 3)
    assert (nothing.items, nothing.page, nothing.pages, nothing.total) == ((), 1, 1, 0)
    later = await assigned(desk, LI, ANN, day=date(2026, 11, 26), window="09-12")
    evening = await assigned(desk, LI, BOB, day=TODAY, window="17-20")
    morning = await assigned(desk, LI, ANN, day=TODAY, window="09-12", brand="Midea")
    await assigned(desk, WANG, BOB, day=TODAY, window="09-12", brand="Gree")  # not Li's
    listed = await act(desk, jobs.my_jobs, LI)
    assert [(c.number, c.when) for c in listed.items] == [
        (morning.number, "today"), (evening.number, "today"), (later.number, "upcoming")]
    second = await act(desk, jobs.my_jobs, LI, 2, 2)
    assert [c.number for c in second.items] == [later.number]
    past = await act(desk, jobs.my_jobs, LI, 7, 2)  # past the end: the last page
    assert ([c.number for c in past.items], past.page, past.total) == ([later.number], 2, 3)
    clock.at = at(TOMORROW, 8, 0)  # the evening job was never started: it stays, first
    listed = await act(desk, jobs.my_jobs, LI)
    assert [(c.number, c.when) for c in listed.items][:2] == [
        (morning.number, "earlier"), (evening.number, "earlier")]


@pytest.mark.parametrize("fault, photos, field, reason", [
    ("bad", [], "fault", "too_short"),
    ("x" * 2001, [], "fault", "too_long"),
    ("Compressor dead", [f"p{i}" for i in range(11)], "photos", "too_many"),
    ("Compressor dead", ["<script>"], "photos", "format"),
])
async def test_a_diagnosis_is_checked(desk, clock, shop, fault, photos, field, reason):
    order = await on_site(desk, clock)
    with pytest.raises(InvalidInput) as refused:
        await act(desk, jobs.diagnose, LI, order.number, fault, photos)
    assert (refused.value.details["field"], refused.value.details["reason"]) == (field, reason)
    diagnosis = await act(desk, jobs.diagnose, LI, order.number, "Compressor dead",
                          [f"p{i}" for i in range(10)])
    assert len(diagnosis.photos) == 10
