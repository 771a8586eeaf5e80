"""Complaints: filed by the customer on their own order, taken by one manager, resolved,
answered; reminded after 4 working hours; counted in the summary and exported."""
import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import complaint_views, complaints, job_completion, people, quotes
from core.complaints import add_working_hours
from core.errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from core.models import ComplaintEvent, Reminder, ServiceOrder
from tests.workshop import (
    ANN,
    BOB,
    BOSS,
    LI,
    TOMORROW,
    act,
    assigned,
    at,
    company,
    quoted,
)

ZONE = ZoneInfo("Asia/Shanghai")
OTHER_BOSS = 901


async def second_manager(desk):
    async with desk.uow() as uow:
        user = await people.ensure_user(uow, OTHER_BOSS)
        people.make_staff(uow, user, "manager", "Boss Qian")
        await uow.commit()


async def timeline(desk, complaint_id):
    async with desk.uow() as uow:
        return [(e.action, e.from_status, e.to_status) for e in await uow.session.scalars(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
            .order_by(ComplaintEvent.id))]


async def reminders_of(desk, complaint_id):
    async with desk.uow() as uow:
        rows = await uow.session.scalars(
            select(Reminder).where(Reminder.key.like(f"complaint:{complaint_id}:%"))
            .order_by(Reminder.id))
        return [(r.kind, r.recipient_id, r.due_at, r.dropped_at is not None) for r in rows]


def test_four_working_hours_skip_the_night():
    assert add_working_hours(at(TOMORROW, 10), timedelta(hours=4), ZONE) == at(TOMORROW, 14)
    # 19:00 + 4 h: two hours today (to 21:00), two tomorrow from 08:00
    assert add_working_hours(at(TOMORROW, 19), timedelta(hours=4), ZONE) == \
        at(TOMORROW + timedelta(days=1), 10)
    # made at night: counted from 08:00
    assert add_working_hours(at(TOMORROW, 23, 30), timedelta(hours=4), ZONE) == \
        at(TOMORROW + timedelta(days=1), 12)
    assert add_working_hours(at(TOMORROW, 6), timedelta(hours=4), ZONE) == at(TOMORROW, 12)


async def test_a_complaint_from_open_to_closed_and_reopened(desk, clock):
    await company(desk)
    await second_manager(desk)
    order = await assigned(desk)
    complaint = await act(desk, complaints.open_complaint, ANN, order.number, "late",
                          "  Nobody came\r\nall morning ", ["AgAD9"])
    assert complaint.number == f"C-{1000 + complaint.id}"
    assert (complaint.status, complaint.text, complaint.photos) == \
        ("open", "Nobody came\nall morning", ["AgAD9"])
    async with desk.uow() as uow:
        li = await people.find_user(uow, LI)
    assert complaint.technician_id == li.id
    planned = await reminders_of(desk, complaint.id)
    assert sorted((kind, due) for kind, _, due, _ in planned) == sorted(
        [("complaint_new", clock.now())] * 2 + [("complaint_unhandled", at(TOMORROW - timedelta(
            days=1), 14))] * 2)

    # a second complaint on the same order waits for the first
    with pytest.raises(NotAllowed) as refused:
        await act(desk, complaints.open_complaint, ANN, order.number, "rude", "Rude on the phone")
    assert refused.value.details == {"reason": "already_complained",
                                     "complaint": complaint.number}

    taken = await act(desk, complaints.take, BOSS, complaint.number)
    assert (taken.status, taken.taken_at) == ("in_hand", clock.now())
    with pytest.raises(NotAllowed) as refused:
        await act(desk, complaints.take, OTHER_BOSS, complaint.id)
    assert refused.value.details == {"reason": "complaint_taken", "by": "Boss Zhang",
                                     "complaint": complaint.number}
    assert all(dropped for kind, _, _, dropped in await reminders_of(desk, complaint.id)
               if kind == "complaint_unhandled")
    # only the manager who has it records the resolution
    with pytest.raises(NotAllowed):
        await act(desk, complaints.resolve, OTHER_BOSS, complaint.id, "apology")

    clock.advance(minutes=90)
    resolved = await act(desk, complaints.resolve, BOSS, complaint.id, "discount",
                         amount="¥150.5")
    assert (resolved.status, resolved.amount, resolved.resolution) == ("resolved", 15050,
                                                                      "discount")
    kinds = [(kind, r) for kind, r, _, _ in await reminders_of(desk, complaint.id)]
    async with desk.uow() as uow:
        ann = await people.find_user(uow, ANN)
        boss = await people.find_user(uow, BOSS)
    assert ("complaint_resolved", ann.id) in kinds

    reopened = await act(desk, complaints.answer, ANN, complaint.id, False)
    assert reopened.status == "reopened"
    assert ("complaint_reopened", boss.id) in [
        (kind, r) for kind, r, _, _ in await reminders_of(desk, complaint.id)]
    with pytest.raises(TransitionRefused):
        await act(desk, complaints.answer, ANN, complaint.id, True)  # nothing to answer now

    await act(desk, complaints.resolve, BOSS, complaint.id, "no_action",
              note="The window was agreed by phone")
    closed = await act(desk, complaints.answer, ANN, complaint.id, True)
    assert (closed.status, closed.closed_at) == ("closed", clock.now())
    assert await timeline(desk, complaint.id) == [
        ("open", None, "open"), ("take", "open", "in_hand"), ("resolve", "in_hand", "resolved"),
        ("unsatisfied", "resolved", "reopened"), ("resolve", "reopened", "resolved"),
        ("satisfied", "resolved", "closed")]
    async with desk.uow() as uow:
        card = await complaint_views.complaint_card(uow, await people.find_user(uow, BOSS),
                                               complaint.id)
        seen_by_ann = await complaint_views.complaint_card(uow, await people.find_user(uow, ANN),
                                                      complaint.number)
    assert card.customer_phone == "+8613800138000" and seen_by_ann.customer_phone is None
    assert card.resolution == "no_action" and card.timeline[2].amount == 15050
    # a closed complaint no longer stops another about the same order
    again = await act(desk, complaints.open_complaint, ANN, order.id, "other", "Still noisy")
    assert again.status == "open"


async def test_who_may_do_what(desk, clock):
    await company(desk)
    order = await assigned(desk)
    bobs = await assigned(desk, customer=BOB, window="13-17")
    with pytest.raises(NotFound):  # another's order is like none
        await act(desk, complaints.open_complaint, BOB, order.number, "late", "Nobody came")
    with pytest.raises(NotAllowed):  # staff do not complain
        await act(desk, complaints.open_complaint, LI, order.number, "late", "Nobody came")
    for reason, text in (("angry", "Nobody came"), ("late", "x"), ("late", "x" * 1001)):
        with pytest.raises(InvalidInput):
            await act(desk, complaints.open_complaint, ANN, order.number, reason, text)
    complaint = await act(desk, complaints.open_complaint, ANN, order.number, "late",
                          "Nobody came")
    await act(desk, complaints.open_complaint, BOB, bobs.number, "rude", "Rude technician")
    for who in (BOB, LI):  # another customer, a technician: as if there were none
        for ref in (complaint.id, complaint.number):
            with pytest.raises(NotFound):
                await act(desk, complaint_views.complaint_card, who, ref)
    with pytest.raises(NotFound):
        await act(desk, complaints.answer, BOB, complaint.number, True)
    with pytest.raises(NotAllowed) as refused:  # a technician cannot take or resolve
        await act(desk, complaints.take, LI, complaint.id)
    assert refused.value.details == {"reason": "manager_only"}
    with pytest.raises(NotAllowed):
        await act(desk, complaints.resolve, LI, complaint.id, "apology")
    with pytest.raises(NotAllowed) as refused:  # not taken yet
        await act(desk, complaints.resolve, BOSS, complaint.id, "apology")
    assert refused.value.details["reason"] == "complaint_not_taken"
    with pytest.raises(TransitionRefused):  # nothing resolved to answer yet
        await act(desk, complaints.answer, ANN, complaint.id, True)
    await act(desk, complaints.take, BOSS, complaint.id)
    for resolution, kwargs in (("refund", {"amount": "abc"}), ("refund", {"amount": "0"}),
                               ("no_action", {}), ("revisit", {}), ("gift", {})):
        with pytest.raises(InvalidInput):
            await act(desk, complaints.resolve, BOSS, complaint.id, resolution, **kwargs)
    async with desk.uow() as uow:
        ann = await people.find_user(uow, ANN)
        bob = await people.find_user(uow, BOB)
        assert [line.number for line in await complaint_views.complaint_list(uow, ann)] == \
            [complaint.number]
        assert len(await complaint_views.complaint_list(uow, bob)) == 1


async def test_a_free_revisit_is_a_warranty_order_in_a_free_window(desk, clock):
    await company(desk)
    order = await quoted(desk, clock, [("labour", "CALLOUT", 1)])
    await act(desk, quotes.approve_quote, ANN, order.number)
    await act(desk, job_completion.complete, LI, order.number)
    complaint = await act(desk, complaints.open_complaint, ANN, order.number, "not_fixed",
                          "Still not cooling")
    await act(desk, complaints.take, BOSS, complaint.id)
    day = (clock.now() + timedelta(days=2)).astimezone(ZONE).date()
    resolved = await act(desk, complaints.resolve, BOSS, complaint.id, "revisit", day=day,
                         window="13-17")
    async with desk.uow() as uow:
        revisit = await uow.session.get(ServiceOrder, resolved.revisit_order_id)
    assert (revisit.kind, revisit.parent_order_id, revisit.status, revisit.booked_date,
            revisit.window) == ("warranty", order.id, "new", day, "13-17")
    assert revisit.description.startswith(complaint.number)


async def test_figures_and_export(desk, clock):
    await company(desk)
    first = await quoted(desk, clock, [("labour", "CALLOUT", 1)])
    await act(desk, quotes.approve_quote, ANN, first.number)
    await act(desk, job_completion.complete, LI, first.number)
    second = await assigned(desk, customer=BOB, window="13-17")
    one = await act(desk, complaints.open_complaint, ANN, first.number, "price",
                    "=HYPERLINK(\"x\") too dear")
    two = await act(desk, complaints.open_complaint, BOB, second.number, "late", "Late again")
    for complaint in (one, two):
        await act(desk, complaints.take, BOSS, complaint.id)
    clock.advance(minutes=30)
    await act(desk, complaints.resolve, BOSS, one.id, "refund", amount="80")
    clock.advance(minutes=60)
    await act(desk, complaints.resolve, BOSS, two.id, "apology", note="Sorry")
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        figures = await complaint_views.figures(uow, boss, "today", completed=1)
        assert await complaint_views.waiting_count(uow) == 0
        exported = await complaint_views.export_complaints(uow, boss, "today", lambda g, k: k)
    assert (figures.opened, figures.resolved, figures.median_minutes,
            figures.average_minutes, figures.rate_percent) == (2, 2, 60, 60, 200.0)
    rows = list(csv.reader(io.TextIOWrapper(exported.file, encoding="utf-8-sig")))
    assert rows[0][:4] == ["complaint", "order", "status", "reason"]
    assert [r[0] for r in rows[1:]] == [one.number, two.number]
    assert rows[1][10:12] == ["refund", "80.00"]
    assert rows[1][-1].startswith("'=HYPERLINK")
    with pytest.raises(NotAllowed):
        async with desk.uow() as uow:
            await complaint_views.figures(uow, await people.find_user(uow, LI), "today", 0)


async def test_open_complaints_are_in_the_morning_digest(desk, clock):
    from handlers.reminder_texts import _digest

    await company(desk)
    order = await assigned(desk)
    complaint = await act(desk, complaints.open_complaint, ANN, order.number, "late",
                          "Nobody came")
    async with desk.uow() as uow:
        assert (await _digest(uow))["complaints"] == 1
    await act(desk, complaints.take, BOSS, complaint.id)
    await act(desk, complaints.resolve, BOSS, complaint.id, "apology")
    async with desk.uow() as uow:  # resolved: waiting for the customer, not for a manager
        assert (await _digest(uow))["complaints"] == 0
