"""Booking a repair: which windows are offered with how many places, refusals, the last place
taken by exactly one of many customers at once, rescheduling and cancelling."""
import asyncio
import random
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from core import booking, orders, people, windows
from core.errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from core.models import Address, Appliance, OrderEvent, ServiceOrder
from core.windows import WindowFull, free_places

TODAY = date(2026, 11, 24)  # the clock fixture: 10:00 in Shanghai
TOMORROW = date(2026, 11, 25)


async def make_user(uow, telegram_id, role="customer", skills=(), name=None):
    user = await people.ensure_user(uow, telegram_id)
    user.role = role
    user.name = name
    if role == "customer":
        await people.register_customer(uow, user, name or f"Customer {telegram_id}",
                                       "13800138000")
    if skills:
        await people.set_skills(uow, user, list(skills))
    await uow.session.flush()
    return user


async def staff(desk, *technicians):
    """Technicians given as (telegram id, skills), plus manager 900, committed."""
    async with desk.uow() as uow:
        for telegram_id, skills in technicians:
            await make_user(uow, telegram_id, "technician", skills, name=f"Tech{telegram_id} X")
        await make_user(uow, 900, "manager")
        await uow.commit()


async def customers(desk, *telegram_ids):
    async with desk.uow() as uow:
        for telegram_id in telegram_ids:
            await make_user(uow, telegram_id)
        await uow.commit()


def repair(**overrides):
    fields = dict(category="refrigerator", brand="Haier", model="BCD-470", serial=None,
                  description="Not cooling since Monday", photos=["AgAD1", "AgAD2"],
                  address="Xuhui, Tianyaoqiao Rd 1, flat 502", phone="13800138000",
                  day=TOMORROW, window="09-12")
    fields.update(overrides)
    return fields


async def book(desk, telegram_id, **overrides):
    async with desk.uow() as uow:
        customer = await people.find_user(uow, telegram_id)
        order = await booking.book_repair(uow, customer, **repair(**overrides))
        await uow.commit()
        return order


async def free(desk, day, category):
    async with desk.uow() as uow:
        return {o.window: o.free for o in await windows.window_offers(uow, day, category)}


async def count(desk, model):
    async with desk.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model))


# --- days, windows, capacity ----------------------------------------------------------------

async def test_the_bookable_week_and_windows_in_local_time(desk, clock):
    async with desk.uow() as uow:
        assert windows.bookable_days(uow) == [date(2026, 11, d) for d in range(24, 31)]
        start, end = windows.window_bounds(uow, TOMORROW, "09-12")
        assert (start, end) == (datetime(2026, 11, 25, 1, tzinfo=timezone.utc),
                                datetime(2026, 11, 25, 4, tzinfo=timezone.utc))
        today = await windows.window_offers(uow, TODAY, "refrigerator")
        week = await windows.offers(uow, "refrigerator")
    # 10:00 local: this morning's window has begun and is not offered
    assert [o.window for o in today] == ["13-17", "17-20"]
    assert [d.day for d in week] == windows.bookable_days(uow)
    assert [len(d.windows) for d in week] == [2, 3, 3, 3, 3, 3, 3]
    clock.advance(hours=10, minutes=59)  # 20:59 local: nothing left today
    async with desk.uow() as uow:
        assert await windows.window_offers(uow, TODAY, "refrigerator") == []
        assert await windows.window_offers(uow, date(2026, 12, 1), "refrigerator") == []
        assert len(await windows.window_offers(uow, date(2026, 11, 30), "refrigerator")) == 3
        week = await windows.offers(uow, "refrigerator")
    # a day that is over is not offered at all (not as "full")
    assert [d.day for d in week] == windows.bookable_days(uow)[1:]
    clock.advance(minutes=2)  # 21:01, still the 24th; at midnight the week moves on
    clock.advance(hours=3)
    async with desk.uow() as uow:
        assert windows.bookable_days(uow)[0] == TOMORROW
        assert len(await windows.window_offers(uow, date(2026, 12, 1), "refrigerator")) == 3


async def test_places_are_active_technicians_with_the_skill(desk):
    await staff(desk, (11, ["refrigerator"]), (12, ["refrigerator", "washing_machine"]),
                (13, ["washing_machine"]), (14, ["refrigerator"]))
    async with desk.uow() as uow:
        (await people.find_user(uow, 14)).active = False  # left the company
        await uow.commit()
    await customers(desk, 1, 2, 3)
    assert await free(desk, TOMORROW, "refrigerator") == {"09-12": 2, "13-17": 2, "17-20": 2}
    assert await free(desk, TOMORROW, "washing_machine") == {"09-12": 2, "13-17": 2, "17-20": 2}
    assert await free(desk, TOMORROW, "tv") == {"09-12": 0, "13-17": 0, "17-20": 0}

    await book(desk, 1)  # 11 takes it; 12 is kept for what only 12 and 13 can do
    assert (await free(desk, TOMORROW, "refrigerator"))["09-12"] == 1
    assert (await free(desk, TOMORROW, "washing_machine"))["09-12"] == 2
    await book(desk, 2)  # now 11 and 12 are both needed for refrigerators
    assert (await free(desk, TOMORROW, "refrigerator"))["09-12"] == 0
    assert (await free(desk, TOMORROW, "washing_machine"))["09-12"] == 1
    await book(desk, 3, category="washing_machine")
    assert (await free(desk, TOMORROW, "washing_machine"))["09-12"] == 0
    assert await free(desk, TOMORROW, "washing_machine") == {"09-12": 0, "13-17": 2, "17-20": 2}


def test_a_technician_with_two_skills_is_one_place_not_two():
    li = {1: frozenset({"refrigerator", "washing_machine"})}
    assert free_places(li, [], "refrigerator") == 1
    assert free_places(li, ["refrigerator"], "washing_machine") == 0
    assert free_places(li, ["washing_machine"], "washing_machine") == 0
    two = {1: frozenset({"refrigerator", "washing_machine"}), 2: frozenset({"refrigerator"})}
    # the refrigerator job goes to 2, so 1 is free for the washing machine
    assert free_places(two, ["refrigerator"], "washing_machine") == 1
    assert free_places(two, ["washing_machine"], "refrigerator") == 1
    assert free_places(two, ["washing_machine", "refrigerator"], "refrigerator") == 0
    # a chain: moving jobs along it makes room at its end
    chain = {1: frozenset("AB"), 2: frozenset("BC"), 3: frozenset("CD")}
    assert free_places(chain, ["B", "C"], "A") == 1
    assert free_places(chain, ["B", "C"], "D") == 1
    assert free_places(chain, ["B", "C", "A"], "D") == 0
    # an order no one can do takes no one's place; one without a category takes anyone
    assert free_places(li, ["tv"], "refrigerator") == 1
    assert free_places(li, [None], "refrigerator") == 0


def _most_matched(skills, needs) -> int:
    """By brute force: the most of `needs` that technicians can take, one each."""
    technicians = sorted(skills)
    best = 0

    def go(index, free, matched):
        nonlocal best
        if index == len(needs):
            best = max(best, matched)
            return
        go(index + 1, free, matched)
        for t in free:
            if needs[index] is None or needs[index] in skills[t]:
                go(index + 1, free - {t}, matched + 1)

    go(0, frozenset(technicians), 0)
    return best


def test_free_places_agrees_with_trying_every_assignment():
    rng = random.Random(7)
    for _ in range(400):
        skills = {t: frozenset(rng.sample("ABC", rng.randint(1, 3)))
                  for t in range(1, rng.randint(1, 5) + 1)}
        booked = [rng.choice(["A", "B", "C", None]) for _ in range(rng.randint(0, 5))]
        category = rng.choice("ABC")
        matched = _most_matched(skills, booked)
        expected = max(k for k in range(len(skills) + 1)
                       if _most_matched(skills, booked + [category] * k) == matched + k)
        assert free_places(skills, booked, category) == expected, (skills, booked, category)

async def test_only_orders_still_needing_their_visit_hold_a_place(desk):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1)
    order = await book(desk, 1)
    for status, holds in (("scheduled", True), ("en_route", True), ("in_progress", True),
                          ("waiting_parts", False), ("completed", False), ("closed", False),
                          ("cancelled", False), ("new", True)):
        async with desk.uow() as uow:
            (await uow.session.get(ServiceOrder, order.id)).status = status
            await uow.commit()
        assert (await free(desk, TOMORROW, "refrigerator"))["09-12"] == (0 if holds else 1), status


# --- booking --------------------------------------------------------------------------------

async def test_booking_a_repair_saves_appliance_address_and_order(desk):
    await staff(desk, (11, ["refrigerator"]), (12, ["refrigerator"]))
    await customers(desk, 1)
    order = await book(desk, 1, latitude=31.18, longitude=121.43, phone="+86 139 0013 9000",
                       description="  Not cooling\r\n\r\n\r\nsince Monday  ")
    async with desk.uow() as uow:
        order = await uow.session.get(ServiceOrder, order.id)
        appliance = await uow.session.get(Appliance, order.appliance_id)
        address = await uow.session.get(Address, order.address_id)
        events = (await uow.session.scalars(select(OrderEvent))).all()
    assert (order.number, order.kind, order.status) == ("R-1001", "repair", "new")
    assert (order.category, order.booked_date, order.window) == ("refrigerator", TOMORROW, "09-12")
    assert order.window_start == datetime(2026, 11, 25, 1, tzinfo=timezone.utc)
    assert order.window_end == datetime(2026, 11, 25, 4, tzinfo=timezone.utc)
    assert order.phone == "+8613900139000"
    assert order.description == "Not cooling\n\nsince Monday"
    assert order.photos == ["AgAD1", "AgAD2"]
    assert (appliance.category, appliance.brand, appliance.model) == ("refrigerator", "Haier",
                                                                       "BCD-470")
    assert (address.text, address.latitude, address.longitude) == (
        "Xuhui, Tianyaoqiao Rd 1, flat 502", 31.18, 121.43)
    assert [(e.action, e.to_status) for e in events] == [("create", "new")]

    # the same fridge again while its repair is open: refused, it is one visit
    with pytest.raises(NotAllowed) as refused:
        await book(desk, 1, brand="HAIER", window="13-17")
    assert refused.value.details == {"reason": "already_booked", "order": "R-1001"}
    async with desk.uow() as uow:
        customer = await people.find_user(uow, 1)
        await booking.cancel(uow, customer, await uow.session.get(ServiceOrder, order.id),
                             "wrong_time")
        await uow.commit()
    # once cancelled it can be booked again; nothing is duplicated; no phone: the profile's
    second = await book(desk, 1, brand="HAIER", address=" xuhui,  Tianyaoqiao rd 1, FLAT 502",
                        phone=None, window="13-17")
    assert (second.appliance_id, second.address_id) == (order.appliance_id, order.address_id)
    assert second.phone == "+8613800138000"
    third = await book(desk, 1, address=None, address_id=order.address_id, window="17-20",
                       category="refrigerator", model="Other model")
    assert third.address_id == order.address_id and third.appliance_id != order.appliance_id
    assert await count(desk, Address) == 1 and await count(desk, Appliance) == 2
    async with desk.uow() as uow:
        customer = await people.find_user(uow, 1)
        assert [a.id for a in await booking.saved_addresses(uow, customer)] == [address.id]


async def test_a_confirmation_pressed_twice_books_one_visit(desk):
    await staff(desk, (11, ["refrigerator"]), (12, ["refrigerator"]))
    await customers(desk, 1)
    results = await race(desk, [(1, {}), (1, {})], refusals=(NotAllowed, WindowFull))
    assert sorted(type(r).__name__ for r in results) == ["NotAllowed", "ServiceOrder"]
    assert [r.details["reason"] for r in results if isinstance(r, NotAllowed)] == [
        "already_booked"]
    assert await count(desk, ServiceOrder) == 1 and await count(desk, Appliance) == 1


async def test_someone_elses_saved_address_is_not_found(desk):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1, 2)
    order = await book(desk, 1)
    for address_id in (order.address_id, 999, "1", True):
        with pytest.raises(NotFound) as refused:
            await book(desk, 2, address=None, address_id=address_id, window="13-17")
        assert refused.value.details == {"what": "address"}
    assert await count(desk, ServiceOrder) == 1


@pytest.mark.parametrize("overrides, field, reason", [
    (dict(description="hot"), "description", "too_short"),
    (dict(description="   "), "description", "empty"),
    (dict(description="x" * 1001), "description", "too_long"),
    (dict(description="bad \x00 byte"), "description", "characters"),
    (dict(photos=[f"p{i}" for i in range(6)]), "photos", "too_many"),
    (dict(photos=["../../etc/passwd"]), "photos", "format"),
    (dict(category="spaceship"), "category", "unknown"),
    (dict(brand="B" * 65), "brand", "too_long"),
    (dict(model="\u202eevil"), "model", "characters"),
    (dict(serial="S" * 65), "serial", "too_long"),
    (dict(serial="上海市浦东新区张江路 88 弄 3 号"), "serial", "format"),
    (dict(serial="--//--"), "serial", "format"),
    (dict(address=""), "address", "empty"),
    (dict(address="a" * 301), "address", "too_long"),
    (dict(latitude=91, longitude=0), "location", "range"),
    (dict(latitude="north", longitude=0), "location", "format"),
    (dict(phone="12345"), "phone", "format"),
    (dict(day=date(2026, 11, 23)), "day", "past"),
    (dict(day=date(2026, 12, 1)), "day", "too_far"),
    (dict(day="tomorrow"), "day", "format"),
    (dict(day=datetime(2026, 11, 25, 9)), "day", "format"),
    (dict(window="08-09"), "window", "unknown"),
    (dict(window=None), "window", "unknown"),
    (dict(day=TODAY, window="09-12"), "window", "past"),
])
async def test_bad_input_is_refused_with_its_reason_and_writes_nothing(desk, overrides, field,
                                                                       reason):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1)
    with pytest.raises(InvalidInput) as refused:
        await book(desk, 1, **overrides)
    assert (refused.value.details["field"], refused.value.details["reason"]) == (field, reason)
    assert await count(desk, ServiceOrder) == 0
    assert await count(desk, Appliance) == 0


async def test_a_booking_today_for_a_later_window_and_an_iso_day(desk):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1)
    order = await book(desk, 1, day="2026-11-24", window="13-17")
    assert (order.booked_date, order.window) == (TODAY, "13-17")


async def test_only_customers_book_and_no_more_than_five_open_orders(desk):
    await staff(desk, (11, ["refrigerator"]), (12, ["refrigerator"]))
    await customers(desk, 1)
    with pytest.raises(NotAllowed) as refused:
        await book(desk, 11)
    assert refused.value.details == {"reason": "customer_only"}
    slots = [(d, w) for d in (TOMORROW, date(2026, 11, 26)) for w in windows.WINDOWS]
    for n, (day, window) in enumerate(slots[:5]):
        await book(desk, 1, day=day, window=window, model=f"M{n}")
    with pytest.raises(NotAllowed) as refused:
        await book(desk, 1, day=slots[5][0], window=slots[5][1], model="M5")
    assert refused.value.details == {"reason": "too_many_open_orders", "limit": 5}


async def test_a_full_window_is_refused_and_nothing_of_the_loser_is_written(desk):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1, 2)
    await book(desk, 1)
    with pytest.raises(WindowFull) as refused:
        await book(desk, 2, brand="Midea", address="Pudong, Century Ave 8")
    assert refused.value.code == "window_full"
    assert refused.value.details == {"day": TOMORROW, "window": "09-12",
                                     "category": "refrigerator"}
    assert await count(desk, ServiceOrder) == 1
    assert await count(desk, Appliance) == 1
    assert await count(desk, Address) == 1
    assert await free(desk, TOMORROW, "refrigerator") == {"09-12": 0, "13-17": 1, "17-20": 1}


# --- the race for the last place --------------------------------------------------------------

async def race(desk, attempts, refusals=(WindowFull,)):
    """Runs the bookings at once, each in its own unit of work (its own connection), all
    starting together; returns what each got: an order or the refusal."""
    barrier = asyncio.Barrier(len(attempts))

    async def attempt(telegram_id, overrides):
        async with desk.uow() as uow:
            customer = await people.find_user(uow, telegram_id)
            await barrier.wait()
            try:
                order = await booking.book_repair(uow, customer, **repair(**overrides))
            except refusals as refused:
                return refused
            await uow.commit()
            return order

    return await asyncio.gather(*(attempt(t, o) for t, o in attempts))


@pytest.mark.parametrize("racers", [2, 8])
async def test_many_customers_at_once_for_the_last_place_exactly_one_gets_it(desk, racers):
    await staff(desk, (11, ["refrigerator"]), (12, ["refrigerator"]))
    ids = list(range(1, racers + 2))
    await customers(desk, *ids)
    first = await book(desk, ids[0])  # one of the two places is gone
    results = await race(desk, [(t, {"address": f"Street {t}"}) for t in ids[1:]])
    won = [r for r in results if isinstance(r, ServiceOrder)]
    lost = [r for r in results if isinstance(r, WindowFull)]
    assert len(won) == 1 and len(lost) == racers - 1
    assert all(r.details["window"] == "09-12" and r.details["day"] == TOMORROW for r in lost)
    async with desk.uow() as uow:
        landed = (await uow.session.scalars(select(ServiceOrder.id))).all()
        addresses = (await uow.session.scalars(select(Address.customer_id))).all()
    assert sorted(landed) == sorted([first.id, won[0].id])
    assert sorted(addresses) == sorted([first.customer_id, won[0].customer_id])  # losers': none


async def test_two_categories_racing_for_one_technician_who_covers_both(desk):
    await staff(desk, (11, ["refrigerator", "washing_machine"]))
    await customers(desk, 1, 2)
    results = await race(desk, [(1, {}), (2, {"category": "washing_machine"})])
    assert sorted(type(r).__name__ for r in results) == ["ServiceOrder", "WindowFull"]
    assert await count(desk, ServiceOrder) == 1


# --- rescheduling and cancelling ------------------------------------------------------------

async def test_rescheduling_moves_the_order_and_leaves_an_event(desk):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1)
    order = await book(desk, 1)
    async with desk.uow() as uow:
        customer = await people.find_user(uow, 1)
        order = await orders.find_order_for(uow, customer, order.number)
        offers = {o.window: o.free for o in
                  await windows.window_offers(uow, TOMORROW, "refrigerator", order=order)}
        assert offers == {"09-12": 1, "13-17": 1, "17-20": 1}  # its own place is its own
        with pytest.raises(InvalidInput) as refused:
            await booking.reschedule(uow, customer, order, TOMORROW, "09-12")
        assert refused.value.details["reason"] == "unchanged"
        event = await booking.reschedule(uow, customer, order, "2026-11-26", "17-20")
        await uow.commit()
    assert event.action == "reschedule" and event.from_status == event.to_status == "new"
    assert event.note == "2026-11-25 09-12 → 2026-11-26 17-20"
    async with desk.uow() as uow:
        order = await uow.session.get(ServiceOrder, order.id)
        assert (order.booked_date, order.window, order.status) == (date(2026, 11, 26), "17-20",
                                                                   "new")
        assert order.window_start == datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
        assert order.window_end == datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    assert (await free(desk, TOMORROW, "refrigerator"))["09-12"] == 1  # the old place is free


async def test_rescheduling_refuses_full_windows_late_orders_and_strangers(desk):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1, 2)
    mine = await book(desk, 1)
    await book(desk, 2, window="13-17")
    async with desk.uow() as uow:
        ann, bob = await people.find_user(uow, 1), await people.find_user(uow, 2)
        boss, tech = await people.find_user(uow, 900), await people.find_user(uow, 11)
        order = await uow.session.get(ServiceOrder, mine.id)
        with pytest.raises(WindowFull):
            await booking.reschedule(uow, ann, order, TOMORROW, "13-17")
        with pytest.raises(InvalidInput) as refused:
            await booking.reschedule(uow, ann, order, TODAY, "09-12")
        assert refused.value.details["reason"] == "past"
        with pytest.raises(NotFound):
            await booking.reschedule(uow, bob, order, TOMORROW, "17-20")
        order.technician_id = tech.id
        await orders.apply(uow, order, "assign", boss)
        await booking.reschedule(uow, ann, order, TOMORROW, "17-20")  # scheduled: still fine
        await orders.apply(uow, order, "start_trip", tech)
        with pytest.raises(TransitionRefused) as refused:
            await booking.reschedule(uow, ann, order, date(2026, 11, 26), "09-12")
        assert refused.value.details == {"action": "reschedule", "status": "en_route",
                                         "reason": "status", "order": "R-1001"}
        await uow.commit()


async def test_a_reschedule_checks_the_status_as_it_is_now_not_as_it_was_read(desk):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1)
    booked = await book(desk, 1)
    async with desk.uow() as uow:
        ann = await people.find_user(uow, 1)
        order = await uow.session.get(ServiceOrder, booked.id)  # read while still new
        async with desk.uow() as other:  # meanwhile the technician sets off
            stored = await other.session.get(ServiceOrder, booked.id)
            stored.status = "en_route"
            await other.commit()
        with pytest.raises(TransitionRefused):
            await booking.reschedule(uow, ann, order, TOMORROW, "13-17")


async def test_cancelling_needs_a_known_reason_and_frees_the_place(desk):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1, 2)
    booked = await book(desk, 1)
    async with desk.uow() as uow:
        ann, bob = await people.find_user(uow, 1), await people.find_user(uow, 2)
        order = await uow.session.get(ServiceOrder, booked.id)
        with pytest.raises(InvalidInput) as refused:
            await booking.cancel(uow, ann, order, "<b>because</b>")
        assert refused.value.details == {"field": "reason", "reason": "unknown"}
        with pytest.raises(NotFound):
            await booking.cancel(uow, bob, order, "other")
        event = await booking.cancel(uow, ann, order, "fixed_itself")
        await uow.commit()
    assert (event.action, event.from_status, event.to_status, event.note) == (
        "cancel", "new", "cancelled", "fixed_itself")
    assert (await free(desk, TOMORROW, "refrigerator"))["09-12"] == 1
    await book(desk, 2)  # the freed place can be taken


async def test_no_cancelling_once_the_technician_is_on_the_way(desk):
    await staff(desk, (11, ["refrigerator"]))
    await customers(desk, 1)
    booked = await book(desk, 1)
    async with desk.uow() as uow:
        ann, boss = await people.find_user(uow, 1), await people.find_user(uow, 900)
        tech = await people.find_user(uow, 11)
        order = await uow.session.get(ServiceOrder, booked.id)
        order.technician_id = tech.id
        await orders.apply(uow, order, "assign", boss)
        await orders.apply(uow, order, "start_trip", tech)
        with pytest.raises(TransitionRefused) as refused:
            await booking.cancel(uow, ann, order, "changed_mind")
        assert refused.value.details["reason"] == "status"
        assert order.status == "en_route"
