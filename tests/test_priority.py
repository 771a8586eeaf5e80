"""Urgent and important orders: urgent from the customer's words or answer, or a manager's mark;
dispatch lists them first; managers hear of an urgent one unassigned after 30 minutes."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import dispatch, people, priority
from core.errors import InvalidInput, NotAllowed
from core.models import Reminder
from tests.workshop import ANN, BOB, BOSS, LI, act, book, company, events, load


@pytest.mark.parametrize("words, urgent", [
    ("No heating since last night", True), ("no hot water in the flat", True),
    ("The pipe is leaking under the sink", True), ("热水器不制热了", True),
    ("家里没水了", True), ("洗衣机漏水", True), ("Screen flickers now and then", False),
    ("冰箱噪音有点大", False), (None, False)])
def test_urgent_words(words, urgent):
    assert priority.sounds_urgent(words) is urgent


async def unassigned_reminders(desk, order_id):
    async with desk.uow() as uow:
        return sorted((r.due_at, r.dropped_at is not None) for r in await uow.session.scalars(
            select(Reminder).where(Reminder.order_id == order_id,
                                   Reminder.kind == "unassigned")))


async def test_urgent_first_in_dispatch_and_sooner_reminded(desk, clock):
    await company(desk)
    normal = await book(desk, window="09-12")
    leaking = await book(desk, BOB, description="Water leaking from the fridge", window="13-17")
    said_so = await book(desk, ANN, category="washing_machine", description="Drum is stuck",
                         window="17-20", urgent=True)
    waits = await book(desk, BOB, category="washing_machine",
                       description="No water coming in, but it can wait", urgent=False,
                       window="09-12")
    assert [o.priority for o in (normal, leaking, said_so, waits)] == [
        "normal", "urgent", "urgent", "normal"]
    created = clock.now()
    assert await unassigned_reminders(desk, leaking.id) == [(created + timedelta(minutes=30),
                                                            False)]
    assert await unassigned_reminders(desk, normal.id) == [(created + timedelta(hours=2), False)]

    clock.advance(hours=1)  # a manager marks one urgent an hour later: reminded from now on
    await act(desk, priority.mark, BOSS, normal.number, "urgent")
    assert await unassigned_reminders(desk, normal.id) == [
        (created + timedelta(hours=1), False), (created + timedelta(hours=2), True)]
    await act(desk, priority.mark, BOSS, waits.id, "important")
    assert (await events(desk, waits.id))[-1][0::4] == ("prioritise", "important")

    async with desk.uow() as uow:
        listing = await dispatch.unassigned_orders(uow)
    assert [(c.number, c.priority) for c in listing.items] == [
        (normal.number, "urgent"), (leaking.number, "urgent"), (said_so.number, "urgent"),
        (waits.number, "important")]

    with pytest.raises(NotAllowed):
        await act(desk, priority.mark, LI, normal.id, "normal")
    with pytest.raises(NotAllowed):
        await act(desk, priority.mark, ANN, normal.id, "normal")
    with pytest.raises(InvalidInput):
        await act(desk, priority.mark, BOSS, normal.id, "asap")


async def test_an_important_customer_makes_important_orders(desk, clock):
    await company(desk)
    first = await book(desk, window="09-12")
    leaking = await book(desk, category="washing_machine", description="Leaking everywhere",
                         window="13-17")
    await act(desk, priority.mark_customer, BOSS, first.number, True)
    later = await book(desk, BOB, window="13-17")
    next_one = await book(desk, brand="Midea", window="17-20")
    assert next_one.priority == "important"  # Ann's next booking
    assert (await load(desk, first.id)).priority == "important"
    assert (await load(desk, leaking.id)).priority == "urgent"  # urgent stays urgent
    assert later.priority == "normal"  # Bob is not important
    async with desk.uow() as uow:
        ann = await people.find_user(uow, ANN)
        assert ann.important
    with pytest.raises(NotAllowed):
        await act(desk, priority.mark_customer, LI, first.number, False)
    await act(desk, priority.mark_customer, BOSS, first.number, False)
    assert (await load(desk, first.id)).priority == "normal"
    assert [e[0::4] for e in await events(desk, first.id)][-2:] == [
        ("prioritise", "important"), ("prioritise", "normal")]
