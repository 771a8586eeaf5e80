"""A delivery's handover (core.handover): the technician's record, the customer's answer, the
damage claim and the manager's decision, and completion held meanwhile."""
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import complaints, dispatch, handover, job_completion, jobs, people, sales
from core.errors import InvalidInput, NotAllowed, NotFound
from core.models import Complaint, ComplaintEvent, Reminder
from tests.workshop import ANN, BOB, BOSS, LI, TOMORROW, act, at, company, events, load

CHECKLIST = {"delivered": True, "installed": True, "tested": True, "old_unit_removed": False}


@pytest.fixture
async def delivery(desk, clock):
    """Bob's washing machine S-2026-0042 delivered by Li, who has just arrived."""
    await company(desk, parts=False)
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
    async with desk.uow() as uow:
        li = await people.find_user(uow, LI)
        await dispatch.assign(uow, await people.find_user(uow, BOSS), order.number, li)
        await uow.commit()
    clock.at = at(TOMORROW, 13, 0)
    await act(desk, jobs.start_trip, LI, order.number)
    clock.at = at(TOMORROW, 13, 40)
    await act(desk, jobs.arrive, LI, order.number)
    return order


async def _kinds(desk, order_id):
    async with desk.uow() as uow:
        rows = await uow.session.scalars(select(Reminder).where(
            Reminder.key.like(f"handover:{order_id}:%")).order_by(Reminder.id))
        return [(r.kind, r.due_at) for r in rows]


async def test_an_intact_handover_confirmed_leaves_the_installation_free(desk, clock, delivery):
    with pytest.raises(InvalidInput) as refused:
        await act(desk, handover.record, LI, delivery.number, "intact", [])
    assert refused.value.details == {"field": "photos", "reason": "empty"}
    with pytest.raises(NotFound):  # not Wang's job
        await act(desk, handover.record, 12, delivery.number, "intact", ["AgADh1"])
    await act(desk, handover.record, LI, delivery.number, "intact", ["AgADh1"])
    with pytest.raises(NotAllowed) as refused:
        await act(desk, handover.record, LI, delivery.number, "damaged", ["AgADh2"])
    assert refused.value.details["reason"] == "handover_recorded"
    # the customer is asked at once, whatever the hour
    assert await _kinds(desk, delivery.id) == [("handover_confirm", clock.now())]

    with pytest.raises(NotFound):  # Ann is not Bob
        await act(desk, handover.answer, ANN, delivery.number, True)
    await act(desk, handover.answer, BOB, delivery.number, True)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, handover.answer, BOB, delivery.number, False)
    assert refused.value.details == {"reason": "handover_answered", "order": delivery.number}
    assert [k for k, _ in await _kinds(desk, delivery.id)] == [
        "handover_confirm", "handover_answered"]
    async with desk.uow() as uow:
        assert await uow.session.scalar(select(Complaint)) is None
        bob = await people.find_user(uow, BOB)
        seen = await handover.view(uow, bob, delivery.id)
    assert (seen.condition, seen.customer_answer, seen.sales_number, seen.held) == (
        "intact", "good", "S-2026-0042", False)
    await act(desk, job_completion.complete, LI, delivery.number, checklist=CHECKLIST,
              photos=["AgADi1"])
    assert [(e[0], e[2], e[3]) for e in await events(desk, delivery.id)][-3:] == [
        ("handover_recorded", "on_site", LI), ("handover_confirmed", "on_site", BOB),
        ("complete", "completed", LI)]


async def test_damage_opens_a_claim_and_holds_the_installation_until_a_manager_decides(
        desk, clock, delivery):
    clock.at = datetime.combine(TOMORROW, time(22, 30), ZoneInfo("Asia/Shanghai"))  # quiet hours
    await act(desk, handover.record, LI, delivery.number, "damaged", ["AgADh1", "AgADh2"],
              claim_text="箱体破损")
    async with desk.uow() as uow:
        claim = await uow.session.scalar(select(Complaint))
        opened = await uow.session.scalar(select(ComplaintEvent))
    assert (claim.reason, claim.status, claim.order_id, claim.photos) == (
        "damage", "open", delivery.id, ["AgADh1", "AgADh2"])
    assert claim.text == f"S-2026-0042 · {delivery.number}: 箱体破损"
    assert opened.actor_id is None  # the system, on Bob's behalf
    async with desk.uow() as uow:
        kinds = [(r.kind, r.due_at) for r in await uow.session.scalars(
            select(Reminder).where(Reminder.sent_at.is_(None)).order_by(Reminder.id))
            if r.kind in ("complaint_new", *handover.KINDS)]
    assert sorted(kinds) == sorted([("complaint_new", clock.now()),
                                    ("handover_claim", clock.now()),
                                    ("handover_confirm", clock.now())])
    # the customer says so too: still one claim
    await act(desk, handover.answer, BOB, delivery.number, False)
    async with desk.uow() as uow:
        assert len((await uow.session.scalars(select(Complaint))).all()) == 1
    with pytest.raises(NotAllowed) as refused:  # the customer cannot complain a second time
        await act(desk, complaints.open_complaint, BOB, delivery.number, "damage",
                  "The door is dented")
    assert refused.value.details["reason"] == "already_complained"

    with pytest.raises(NotAllowed) as refused:
        await act(desk, job_completion.complete, LI, delivery.number, checklist=CHECKLIST,
                  photos=["AgADi1"])
    assert refused.value.details == {"reason": "handover_awaiting", "order": delivery.number}
    with pytest.raises(NotAllowed) as refused:  # a technician cannot decide
        await act(desk, handover.decide, LI, delivery.number, True)
    assert refused.value.details == {"reason": "manager_only"}

    await act(desk, handover.decide, BOSS, delivery.number, False)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, handover.decide, BOSS, delivery.number, False)
    assert refused.value.details["reason"] == "handover_decided"
    with pytest.raises(NotAllowed) as refused:
        await act(desk, job_completion.complete, LI, delivery.number, checklist=CHECKLIST,
                  photos=["AgADi1"])
    assert refused.value.details["reason"] == "handover_held"
    assert (await load(desk, delivery.id)).status == "on_site"  # the order waits

    await act(desk, handover.decide, BOSS, delivery.number, True)  # install anyway, later
    with pytest.raises(NotAllowed) as refused:
        await act(desk, handover.decide, BOSS, delivery.number, False)
    assert refused.value.details["decision"] == "install"
    await act(desk, job_completion.complete, LI, delivery.number, checklist=CHECKLIST,
              photos=["AgADi1"])
    acts = [e[0] for e in await events(desk, delivery.id)]
    assert acts[-5:] == ["handover_recorded", "handover_disputed", "handover_hold",
                         "handover_install", "complete"]
    assert [k for k, _ in await _kinds(desk, delivery.id)].count("handover_decided") == 2


async def test_only_a_delivery_on_site_takes_a_handover(desk, clock, delivery):
    async with desk.uow() as uow:
        order = await uow.session.get(type(delivery), delivery.id)
        assert await handover.may_record(uow, order)
    with pytest.raises(InvalidInput):
        await act(desk, handover.record, LI, delivery.number, "scratched", ["AgADh1"])
    await act(desk, job_completion.complete, LI, delivery.number, checklist=CHECKLIST,
              photos=["AgADi1"])
    with pytest.raises(NotAllowed) as refused:
        await act(desk, handover.record, LI, delivery.number, "intact", ["AgADh1"])
    assert refused.value.details["reason"] == "handover_not_now"
    with pytest.raises(NotFound):  # nothing to answer
        await act(desk, handover.answer, BOB, delivery.number, True)
