"""Sales orders: registered by managers, proved by customers with number and phone (a limited
number of wrong tries an hour), then one installation visit booked for each."""
import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.bootstrap import make_desk
from core import booking, people, sales, windows
from core.db import make_engine, make_session_factory
from core.errors import InvalidInput, NotAllowed, NotFound
from core.models import Address, Appliance, SalesLookup, ServiceOrder
from core.windows import WindowFull

TOMORROW = date(2026, 11, 25)  # the clock fixture stands at 2026-11-24 10:00 in Shanghai


async def make_user(uow, telegram_id, role="customer", skills=()):
    user = await people.ensure_user(uow, telegram_id)
    user.role = role
    if role == "customer":
        await people.register_customer(uow, user, f"Customer {telegram_id}", "13800138000")
    if skills:
        await people.set_skills(uow, user, list(skills))
    await uow.session.flush()
    return user


@pytest.fixture
async def shop(desk):
    """A manager (900), a technician for refrigerators (11), customers 1 and 2, and the
    sales order S-2026-0042 sold to the phone 139 0013 9000."""
    async with desk.uow() as uow:
        manager = await make_user(uow, 900, "manager")
        await make_user(uow, 11, "technician", ["refrigerator"])
        await make_user(uow, 1)
        await make_user(uow, 2)
        sold = await sales.register_sales_order(
            uow, manager, number="s-2026-0042", customer_name="Wang Fang",
            phone="139 0013 9000", address="Minhang, Lane 12 No 3", category="refrigerator",
            brand="Siemens", model="KA92")
        await uow.commit()
    return sold


async def verify(desk, telegram_id, number, phone):
    """As the chat side does it: the try is committed whatever the answer."""
    async with desk.uow() as uow:
        customer = await people.find_user(uow, telegram_id)
        try:
            return await sales.verify_sales_order(uow, customer, number, phone)
        finally:
            await uow.commit()


async def install(desk, telegram_id, sales_order, **fields):
    fields.setdefault("day", TOMORROW)
    fields.setdefault("window", "09-12")
    async with desk.uow() as uow:
        customer = await people.find_user(uow, telegram_id)
        order = await sales.book_installation(uow, customer, sales_order, **fields)
        await uow.commit()
        return order


async def test_managers_register_sales_orders_as_printed(desk, shop):
    assert (shop.number, shop.number_key, shop.phone) == ("S-2026-0042", "S20260042",
                                                          "+8613900139000")
    async with desk.uow() as uow:
        manager, customer = await people.find_user(uow, 900), await people.find_user(uow, 1)
        with pytest.raises(NotAllowed) as refused:
            await sales.register_sales_order(
                uow, customer, number="S-1", customer_name="Me", phone="13800138000",
                address="Here", category="tv")
        assert refused.value.details == {"reason": "manager_only"}
        with pytest.raises(InvalidInput) as refused:
            await sales.register_sales_order(
                uow, manager, number="S 2026 0042", customer_name="Li", phone="13800138000",
                address="There", category="tv")
        assert refused.value.details == {"field": "sales_number", "reason": "taken",
                                         "number": "S20260042"}
        for number in ("", "<b>1</b>", "S-" + "9" * 40, "-", "С-42"):  # the last is Cyrillic
            with pytest.raises(InvalidInput) as refused:
                await sales.register_sales_order(
                    uow, manager, number=number, customer_name="Li", phone="13800138000",
                    address="There", category="tv")
            assert refused.value.details["field"] == "sales_number"
        with pytest.raises(InvalidInput) as refused:
            await sales.register_sales_order(
                uow, manager, number="S-7", customer_name="Li", phone="12",
                address="There", category="tv")
        assert refused.value.details["field"] == "phone"


async def test_the_right_number_and_phone_find_the_sales_order(desk, shop):
    found = await verify(desk, 1, "s 2026 0042", "+86 139-0013-9000")
    assert found.id == shop.id
    found = await verify(desk, 1, "S20260042", "13900139000")
    assert found.id == shop.id
    for number, phone in (("S-2026-0042", "13800138000"), ("S-2026-0043", "13900139000")):
        with pytest.raises(NotFound) as refused:
            await verify(desk, 2, number, phone)
        # a wrong phone and an unknown number look the same
        assert refused.value.details["what"] == "sales_order"
    assert refused.value.details["tries_left"] == 3
    with pytest.raises(InvalidInput) as refused:  # not a phone at all: not counted as a try
        await verify(desk, 2, "S-2026-0042", "call me")
    assert refused.value.details == {"field": "phone", "reason": "format"}


async def test_five_wrong_tries_in_an_hour_lock_the_customer_out_until_the_hour_passes(
        desk, shop, clock, db_url):
    for left in (4, 3, 2, 1, 0):  # wrong tries 0, 10, 20, 30 and 40 minutes in
        if left < 4:
            clock.advance(minutes=10)
        with pytest.raises(NotFound) as refused:
            await verify(desk, 1, "S-2026-0042", "13800138000")
        assert refused.value.details["tries_left"] == left
    # 40 minutes after the first wrong try: refused even with the right pair
    with pytest.raises(NotAllowed) as refused:
        await verify(desk, 1, "S-2026-0042", "13900139000")
    assert refused.value.details == {"reason": "too_many_tries", "retry_after": 20}
    # a restart: a new engine and desk on the same database remember the tries
    engine = make_engine(db_url)
    restarted = make_desk(make_session_factory(engine), desk.company, clock)
    try:
        clock.advance(minutes=19, seconds=30)
        with pytest.raises(NotAllowed) as refused:
            await verify(restarted, 1, "S-2026-0042", "13900139000")
        assert refused.value.details["retry_after"] == 1
        clock.advance(seconds=31)  # the first wrong try is an hour old
        assert (await verify(restarted, 1, "S-2026-0042", "13900139000")).id == shop.id
    finally:
        await engine.dispose()
    # the four later wrong tries still count: one more and the lock is back, until the second
    with pytest.raises(NotFound) as refused:
        await verify(desk, 1, "S-2026-0042", "13800138000")
    assert refused.value.details["tries_left"] == 0
    with pytest.raises(NotAllowed) as refused:
        await verify(desk, 1, "S-2026-0042", "13900139000")
    assert refused.value.details["retry_after"] == 10
    # another customer is not affected
    assert (await verify(desk, 2, "S-2026-0042", "13900139000")).id == shop.id
    async with desk.uow() as uow:
        rows = await uow.session.scalar(select(func.count()).select_from(SalesLookup))
    assert rows == 8  # refused tries while locked out are not rows: they change nothing


async def test_booking_the_installation_of_a_verified_sales_order(desk, shop):
    with pytest.raises(NotFound):  # not proved yet: as if there were no such sales order
        await install(desk, 1, shop.id)
    await verify(desk, 1, "S-2026-0042", "13900139000")
    order = await install(desk, 1, shop.id)
    async with desk.uow() as uow:
        order = await uow.session.get(ServiceOrder, order.id)
        appliance = await uow.session.get(Appliance, order.appliance_id)
        address = await uow.session.get(Address, order.address_id)
    assert (order.number, order.kind, order.status, order.sales_order_id) == (
        "I-1001", "installation", "new", shop.id)
    assert (order.category, order.phone, order.booked_date, order.window) == (
        "refrigerator", "+8613900139000", TOMORROW, "09-12")
    assert (appliance.category, appliance.brand, appliance.model, appliance.purchase_date) == (
        "refrigerator", "Siemens", "KA92", date(2026, 11, 24))
    assert address.text == "Minhang, Lane 12 No 3"
    assert (await _free(desk))["09-12"] == 0  # an installation takes a technician's place too

    with pytest.raises(NotAllowed) as refused:
        await install(desk, 1, shop, window="13-17")
    assert refused.value.details == {"reason": "installation_booked", "order": "I-1001"}
    await verify(desk, 2, "S-2026-0042", "13900139000")
    with pytest.raises(NotAllowed) as refused:  # someone else is not told the order number
        await install(desk, 2, shop, window="13-17")
    assert refused.value.details == {"reason": "installation_booked"}

    async with desk.uow() as uow:
        customer = await people.find_user(uow, 1)
        await booking.cancel(uow, customer, await uow.session.get(ServiceOrder, order.id),
                             "wrong_time")
        await uow.commit()
    again = await install(desk, 1, shop, window="13-17", address="Xuhui, Road 5",
                          phone="13800138000")
    assert again.appliance_id == order.appliance_id  # the same appliance, not a second one
    assert again.phone == "+8613800138000"


async def test_installation_refusals(desk, shop):
    await verify(desk, 1, "S-2026-0042", "13900139000")
    with pytest.raises(InvalidInput) as refused:
        await install(desk, 1, shop, day=date(2026, 11, 23))
    assert refused.value.details["reason"] == "past"
    for forged in (9999, "1", None):
        with pytest.raises(NotFound):
            await install(desk, 1, forged)
    await booking_a_repair(desk, 2, "09-12")
    with pytest.raises(WindowFull):
        await install(desk, 1, shop)


async def test_two_installations_of_one_sales_order_at_once_only_one_lands(desk, shop):
    await verify(desk, 1, "S-2026-0042", "13900139000")
    await verify(desk, 2, "S-2026-0042", "13900139000")
    barrier = asyncio.Barrier(2)

    async def attempt(telegram_id, window):
        async with desk.uow() as uow:
            customer = await people.find_user(uow, telegram_id)
            await barrier.wait()
            try:
                order = await sales.book_installation(uow, customer, shop.id, day=TOMORROW,
                                                      window=window)
            except NotAllowed as refused:
                return refused.details["reason"]
            await uow.commit()
            return order.kind

    results = await asyncio.gather(attempt(1, "09-12"), attempt(2, "17-20"))
    assert sorted(results) == ["installation", "installation_booked"]
    async with desk.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ServiceOrder)) == 1


async def booking_a_repair(desk, telegram_id, window):
    async with desk.uow() as uow:
        customer = await people.find_user(uow, telegram_id)
        await booking.book_repair(uow, customer, category="refrigerator",
                                  description="Makes a noise", address="Pudong 1",
                                  day=TOMORROW, window=window)
        await uow.commit()


async def _free(desk):
    async with desk.uow() as uow:
        return {o.window: o.free
                for o in await windows.window_offers(uow, TOMORROW, "refrigerator")}
