"""What a customer sees of their orders: a paged list, newest first, and one order's card."""
from datetime import date

import pytest

from core import booking, customer_orders, orders, people, windows
from core.errors import NotFound
from core.models import ServiceOrder

TOMORROW = date(2026, 11, 25)


async def make_user(uow, telegram_id, role="customer", skills=(), name=None):
    user = await people.ensure_user(uow, telegram_id)
    user.role = role
    user.name = name
    if role == "customer":
        await people.register_customer(uow, user, name or "Ann", "13800138000")
    if skills:
        await people.set_skills(uow, user, list(skills))
    await uow.session.flush()
    return user


@pytest.fixture
async def people_(desk):
    async with desk.uow() as uow:
        await make_user(uow, 900, "manager", name="Boss Zhang")
        for n in range(11, 14):
            await make_user(uow, n, "technician", ["refrigerator", "tv"], name=f"Wei{n} Li")
        await make_user(uow, 1)
        await make_user(uow, 2, name="Bob")
        await uow.commit()


async def book(desk, clock, telegram_id, n, window="09-12", day=TOMORROW):
    async with desk.uow() as uow:
        customer = await people.find_user(uow, telegram_id)
        order = await booking.book_repair(
            uow, customer, category="tv" if n % 2 else "refrigerator", brand=f"Brand{n}",
            model=f"M{n}", description=f"Fault number {n}", photos=["AgAD"],
            address="Xuhui 1", day=day, window=window)
        await uow.commit()
    clock.advance(minutes=1)
    return order


async def test_the_list_is_paged_newest_first_and_only_the_customers_own(desk, clock, people_):
    slots = [(d, w) for d in (TOMORROW, date(2026, 11, 26), date(2026, 11, 27))
             for w in windows.WINDOWS]
    booked = []
    for n, (day, window) in enumerate(slots[:7]):
        if n == 5:  # at most five open orders at once: finish two on the way
            await _close_two(desk, booked[:2])
        booked.append(await book(desk, clock, 1, n, window, day))
    await book(desk, clock, 2, 99)
    async with desk.uow() as uow:
        ann = await people.find_user(uow, 1)
        first = await customer_orders.list_orders(uow, ann)
        second = await customer_orders.list_orders(uow, ann, page=2)
        past_end = await customer_orders.list_orders(uow, ann, page=99)
        before = await customer_orders.list_orders(uow, ann, page=-3)
    assert [o.number for o in first.items] == [o.number for o in reversed(booked)][:5]
    assert [o.number for o in second.items] == [booked[1].number, booked[0].number]
    assert (first.total, first.pages, first.has_previous, first.has_next) == (7, 2, False, True)
    assert (second.page, second.has_previous, second.has_next) == (2, True, False)
    assert past_end.page == 2 and before.page == 1
    line = first.items[0]
    assert (line.kind, line.status, line.category, line.brand, line.model) == (
        "repair", "new", "refrigerator", "Brand6", "M6")
    assert (line.booked_date, line.window) == (date(2026, 11, 27), "09-12")
    assert {o.status for o in second.items} == {"cancelled"}


async def _close_two(desk, some):
    async with desk.uow() as uow:
        ann = await people.find_user(uow, 1)
        for order in some:
            await booking.cancel(uow, ann, await uow.session.get(ServiceOrder, order.id),
                                 "changed_mind")
        await uow.commit()


async def test_an_empty_list(desk, people_):
    async with desk.uow() as uow:
        page = await customer_orders.list_orders(uow, await people.find_user(uow, 2))
    assert (page.items, page.total, page.pages, page.has_next) == ((), 0, 1, False)


async def test_the_card_shows_the_visit_the_technician_and_the_timeline(desk, clock, people_):
    order = await book(desk, clock, 1, 0)
    async with desk.uow() as uow:
        ann = await people.find_user(uow, 1)
        card = await customer_orders.order_card(uow, ann, order.number)
    assert (card.number, card.kind, card.status, card.category) == ("R-1001", "repair", "new",
                                                                     "refrigerator")
    assert (card.brand, card.model, card.address, card.phone) == ("Brand0", "M0", "Xuhui 1",
                                                                  "+8613800138000")
    assert (card.booked_date, card.window, card.photo_count) == (TOMORROW, "09-12", 1)
    assert card.technician_name is None
    assert card.actions == ("reschedule", "cancel")
    assert [(e.action, e.by) for e in card.timeline] == [("create", "customer")]
    assert card.timeline[0].at_local.utcoffset().total_seconds() == 8 * 3600

    async with desk.uow() as uow:
        ann, boss = await people.find_user(uow, 1), await people.find_user(uow, 900)
        tech = await people.find_user(uow, 12)
        stored = await uow.session.get(ServiceOrder, order.id)
        stored.technician_id = tech.id
        await orders.apply(uow, stored, "assign", boss, note="closest to the customer")
        await booking.reschedule(uow, ann, stored, TOMORROW, "13-17")
        await orders.apply(uow, stored, "start_trip", tech, note="traffic on Yan'an Rd")
        await uow.commit()
    async with desk.uow() as uow:
        ann, boss = await people.find_user(uow, 1), await people.find_user(uow, 900)
        card = await customer_orders.order_card(uow, ann, order.id)
        staff_card = await customer_orders.order_card(uow, boss, order.number)
    assert (card.status, card.window, card.technician_name) == ("en_route", "13-17", "Wei12")
    assert card.actions == ()  # the technician is on the way: nothing to change any more
    assert [(e.action, e.from_status, e.to_status, e.by, e.by_name) for e in card.timeline] == [
        ("create", None, "new", "customer", None),
        ("assign", "new", "scheduled", "manager", None),
        ("reschedule", "scheduled", "scheduled", "customer", None),
        ("start_trip", "scheduled", "en_route", "technician", "Wei12"),
    ]
    # the customer sees their own notes, not the staff's
    assert [e.note for e in card.timeline] == [None, None, None, None]
    # a reschedule's note is data, read as the old and the new booking
    assert card.timeline[2].detail == {"old_day": TOMORROW, "old_window": "09-12",
                                       "day": TOMORROW, "window": "13-17"}
    assert staff_card.timeline[1].note == "closest to the customer"


async def test_someone_elses_order_is_not_found_like_a_missing_one(desk, clock, people_):
    order = await book(desk, clock, 1, 0)
    async with desk.uow() as uow:
        bob = await people.find_user(uow, 2)
        for asked in (order.number, order.id, "R-9999", order):
            with pytest.raises(NotFound) as refused:
                await customer_orders.order_card(uow, bob, asked)
            assert refused.value.details == {"what": "order"}
