"""Orders in the database: numbers, events for every move, and who may touch which order."""
import pytest
from sqlalchemy import select

from core import orders, people
from core.errors import NotFound, TransitionRefused
from core.models import OrderEvent, ServiceOrder, User


async def make_user(uow, telegram_id, role="customer"):
    user = await people.ensure_user(uow, telegram_id)
    user.role = role
    await uow.session.flush()
    return user


async def test_order_numbers_are_short_unique_and_found_again(desk):
    async with desk.uow() as uow:
        ann = await make_user(uow, 1)
        first = await orders.create_order(uow, ann, "repair", description="fridge warm")
        second = await orders.create_order(uow, ann, "installation")
        third = await orders.create_order(uow, ann, "warranty")
        await uow.commit()
    assert (first.number, second.number, third.number) == ("R-1001", "I-1002", "W-1003")
    async with desk.uow() as uow:
        ann = await people.find_user(uow, 1)
        for typed in ("R-1001", "r1001", " 1001 ", "R 1001"):
            assert (await orders.find_order_for(uow, ann, typed)).id == first.id
        for typed in ("I-1001", "R-999", "R-1", "hello", "", "1001; drop table", "9" * 40):
            with pytest.raises(NotFound):
                await orders.find_order_for(uow, ann, typed)


def test_parse_order_number():
    assert orders.parse_order_number("R-1042") == 42
    assert orders.parse_order_number("w-1042") == 42
    assert orders.parse_order_number("1000") is None
    assert orders.parse_order_number("R-") is None
    assert orders.parse_order_number("<b>") is None


async def test_every_move_leaves_an_event_with_who_when_from_to(desk, clock):
    async with desk.uow() as uow:
        ann = await make_user(uow, 1)
        boss = await make_user(uow, 2, "manager")
        tech = await make_user(uow, 3, "technician")
        order = await orders.create_order(uow, ann, "repair")
        order.technician_id = tech.id
        await orders.apply(uow, order, "assign", boss, note="to Li")
        clock.advance(hours=1)
        await orders.apply(uow, order, "start_trip", tech)
        await uow.commit()
    async with desk.uow() as uow:
        events = (await uow.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))).all()
        stored = await uow.session.get(ServiceOrder, order.id)
    assert stored.status == "en_route"
    assert [(e.action, e.from_status, e.to_status, e.actor_id) for e in events] == [
        ("create", None, "new", ann.id),
        ("assign", "new", "scheduled", boss.id),
        ("start_trip", "scheduled", "en_route", tech.id),
    ]
    assert events[1].note == "to Li"
    assert events[2].at - events[1].at == clock.at - events[1].at  # times are aware UTC
    assert events[2].at.utcoffset().total_seconds() == 0


async def test_a_refused_move_changes_nothing(desk):
    async with desk.uow() as uow:
        ann = await make_user(uow, 1)
        order = await orders.create_order(uow, ann, "repair")
        await uow.commit()
    async with desk.uow() as uow:
        ann = await people.find_user(uow, 1)
        order = await uow.session.get(ServiceOrder, order.id)
        with pytest.raises(TransitionRefused) as refused:
            await orders.apply(uow, order, "approve_quote", ann)
        assert refused.value.details["order"] == "R-1001"
        await uow.commit()
    async with desk.uow() as uow:
        count = len((await uow.session.scalars(select(OrderEvent))).all())
        assert (await uow.session.get(ServiceOrder, order.id)).status == "new"
    assert count == 1


async def test_people_only_touch_their_own_orders(desk):
    async with desk.uow() as uow:
        ann = await make_user(uow, 1)
        bob = await make_user(uow, 2)
        li = await make_user(uow, 3, "technician")
        wang = await make_user(uow, 4, "technician")
        boss = await make_user(uow, 5, "manager")
        order = await orders.create_order(uow, ann, "repair")
        order.technician_id = li.id
        await orders.apply(uow, order, "assign", boss)
        for stranger in (bob, wang):
            with pytest.raises(NotFound):
                await orders.find_order_for(uow, stranger, order.number)
            with pytest.raises(NotFound):
                await orders.apply(uow, order, "cancel" if stranger is bob else "start_trip",
                                   stranger)
        li.active = False
        with pytest.raises(NotFound):
            await orders.apply(uow, order, "start_trip", li)
        assert (await orders.find_order_for(uow, boss, order.number)) is order
        assert (await orders.find_order_for(uow, ann, order.number)) is order


async def test_unit_of_work_lands_all_or_nothing(desk):
    with pytest.raises(RuntimeError):
        async with desk.uow() as uow:
            ann = await make_user(uow, 1)
            await orders.create_order(uow, ann, "repair")
            raise RuntimeError("the handler failed half-way")
    async with desk.uow() as uow:
        assert (await uow.session.scalars(select(User))).all() == []
        assert (await uow.session.scalars(select(ServiceOrder))).all() == []
