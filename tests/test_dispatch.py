"""Dispatch: the unassigned orders oldest window first, suggested technicians, and assigning
them, never two jobs to one technician in one window, even by two managers at once."""
import asyncio
from datetime import date

import pytest
from sqlalchemy import select

from core import dispatch, jobs, orders, people
from core.areas import area_of, display_name
from core.errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from core.models import ServiceOrder
from core.windows import WindowFull
from tests.workshop import (
    ANN,
    BOB,
    BOSS,
    LI,
    TOMORROW,
    WANG,
    act,
    at,
    book,
    company,
    events,
    load,
    make_user,
)

ZHAO = 13


@pytest.fixture
async def staff(desk):
    await company(desk, parts=False)
    async with desk.uow() as uow:
        await make_user(uow, ZHAO, "technician", ["tv"], ["Pudong"], name="Zhao Lei")
        await make_user(uow, 901, "manager", name="Second Boss")
        await make_user(uow, 3, name="Cai Min")
        await uow.commit()


async def assign(uow, boss, order_number, telegram_id):
    """dispatch.assign with the technician given by Telegram id."""
    return await dispatch.assign(uow, boss, order_number,
                                 await people.find_user(uow, telegram_id))


async def reassign(uow, boss, order_number, telegram_id):
    return await dispatch.reassign(uow, boss, order_number,
                                   await people.find_user(uow, telegram_id))


async def reschedule_visit(uow, boss, order_number, day, window):
    return await dispatch.reschedule_visit(uow, boss, order_number, day, window)


async def page(desk, number=1):
    async with desk.uow() as uow:
        return await dispatch.unassigned_orders(uow, number)


async def suggestions(desk, order_id, limit=3):
    async with desk.uow() as uow:
        order = await uow.session.get(ServiceOrder, order_id)
        return await dispatch.suggest_technicians(uow, order, limit)


def test_an_orders_area_is_the_configured_area_its_address_names():
    areas = ("Xuhui", "Pudong", "Pudong New Area", "徐汇区")
    assert area_of("Xuhui, Tianyaoqiao Rd 1", areas) == "Xuhui"
    assert area_of("century ave 8, PUDONG NEW AREA", areas) == "Pudong New Area"
    assert area_of("上海市徐汇区天钥桥路1号", areas) == "徐汇区"
    assert area_of("Somewhere else", areas) is None
    assert area_of(None, areas) is None


def test_chinese_addresses_are_matched_to_areas_by_their_district():
    """cpca reads the district of a Chinese address; an area's names include its Chinese name
    (and that name without 新区/区), so a short form written by hand matches too."""
    areas = ("Pudong", "Xuhui", "Minhang")
    names = {"Pudong": ("浦东新区",), "Xuhui": ("徐汇区",), "Minhang": ("闵行区",)}
    assert area_of("上海市浦东新区世纪大道 88 号", areas, names) == "Pudong"
    assert area_of("上海市徐汇区漕溪北路 1 号 3 楼", areas, names) == "Xuhui"
    assert area_of("闵行莘庄镇莘东路 5 号", areas, names) == "Minhang"
    assert area_of("浦东张江高科路 1 号", areas, names) == "Pudong"
    assert area_of("8 Century Ave, Pudong", areas, names) == "Pudong"
    assert area_of("上海市黄浦区南京东路 1 号", areas, names) is None  # not served
    assert area_of("世纪公园旁边", areas, names) is None
    assert display_name("Pudong", "zh", names) == "浦东新区"
    assert display_name("Pudong", "en", names) == "Pudong"


async def test_unassigned_orders_come_oldest_window_first_and_paged(desk, staff, clock):
    later = await book(desk, ANN, day=date(2026, 11, 26), window="09-12")
    afternoon = await book(desk, BOB, day=TOMORROW, window="13-17")
    morning = await book(desk, 3, day=TOMORROW, window="09-12", address="Pudong, Century Ave 8")
    first = await page(desk)
    assert [c.number for c in first.items] == [morning.number, afternoon.number, later.number]
    card = first.items[0]
    assert (card.category, card.brand, card.window, card.area, card.customer_name,
            card.photo_count) == ("refrigerator", "Haier", "09-12", "Pudong", "Cai", 1)
    await act(desk, assign, BOSS, morning.number, WANG)
    assert [c.number for c in (await page(desk)).items] == [afternoon.number, later.number]


async def test_suggestions_rank_skill_then_area_then_free_then_fewest_jobs(desk, staff):
    pudong = await book(desk, ANN, address="Pudong, Century Ave 8")
    ranked = await suggestions(desk, pudong.id, limit=None)
    assert [(s.name, s.has_skill, s.serves_area, s.free, s.jobs_that_day) for s in ranked] == [
        ("Wang Fang", True, True, True, 0),
        ("Li Wei", True, False, True, 0),
        ("Zhao Lei", False, True, True, 0),
    ]
    assert [s.assignable for s in ranked] == [True, True, False]
    assert len(await suggestions(desk, pudong.id, limit=1)) == 1

    # Wang takes another job in that window: he would be refused, so he drops below Li
    other = await book(desk, BOB, address="Pudong, Lujiazui 2", brand="Midea")
    await act(desk, assign, BOSS, other.number, WANG)
    ranked = await suggestions(desk, pudong.id)
    assert [(s.name, s.free, s.busy_with, s.jobs_that_day) for s in ranked] == [
        ("Li Wei", True, None, 0), ("Wang Fang", False, other.number, 1),
        ("Zhao Lei", True, None, 0)]


async def test_free_beats_area_and_fewest_jobs_breaks_ties(desk, staff):
    # an address in no configured area: no one serves it, the other criteria decide
    first = await book(desk, ANN, address="Minhang, Xinzhuang 3")
    second = await book(desk, BOB, address="Minhang, Xinzhuang 9", window="13-17")
    await act(desk, assign, BOSS, second.number, LI)  # Li: one job that day
    ranked = await suggestions(desk, first.id)
    assert [(s.name, s.jobs_that_day) for s in ranked[:2]] == [("Wang Fang", 0), ("Li Wei", 1)]
    assert not any(s.serves_area for s in ranked)


async def test_assigning_schedules_the_order_with_its_technician(desk, staff):
    order = await book(desk, ANN)
    event = await act(desk, assign, BOSS, order.number, LI)
    assert (event.action, event.from_status, event.to_status, event.note) == (
        "assign", "new", "scheduled", "Li Wei")
    stored = await load(desk, order.id)
    async with desk.uow() as uow:
        li = await people.find_user(uow, LI)
    assert (stored.status, stored.technician_id) == ("scheduled", li.id)


async def test_assign_refuses_a_technician_who_cannot_take_the_job(desk, staff):
    first = await book(desk, ANN)
    second = await book(desk, BOB, brand="Midea")
    await act(desk, assign, BOSS, first.number, LI)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, assign, BOSS, second.number, LI)
    assert refused.value.details == {"reason": "technician_busy", "order": first.number}
    with pytest.raises(NotAllowed) as refused:
        await act(desk, assign, BOSS, second.number, ZHAO)
    assert refused.value.details == {"reason": "technician_lacks_skill",
                                     "category": "refrigerator"}
    async with desk.uow() as uow:
        (await people.find_user(uow, WANG)).active = False
        await uow.commit()
    with pytest.raises(NotAllowed) as refused:
        await act(desk, assign, BOSS, second.number, WANG)
    assert refused.value.details == {"reason": "technician_inactive"}
    with pytest.raises(NotFound):  # a customer is no technician
        async with desk.uow() as uow:
            boss, ann = await people.find_user(uow, BOSS), await people.find_user(uow, ANN)
            await dispatch.assign(uow, boss, second.number, ann)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, assign, LI, second.number, LI)
    assert refused.value.details == {"reason": "manager_only"}
    with pytest.raises(TransitionRefused) as refused:  # already scheduled
        await act(desk, assign, BOSS, first.number, WANG)
    assert refused.value.details["reason"] == "status"
    assert (await load(desk, second.id)).status == "new"
    # once Li's first job is cancelled his window is free again
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        await orders.apply(uow, await uow.session.get(ServiceOrder, first.id), "cancel", boss)
        await uow.commit()
    await act(desk, assign, BOSS, second.number, LI)


async def test_unassign_and_reassign_leave_events(desk, staff):
    order = await book(desk, ANN)
    await act(desk, assign, BOSS, order.number, LI)
    await act(desk, reassign, BOSS, order.number, WANG)
    with pytest.raises(InvalidInput) as refused:
        await act(desk, reassign, BOSS, order.number, WANG)
    assert refused.value.details == {"field": "technician", "reason": "unchanged"}
    await act(desk, dispatch.unassign, BOSS, order.number, "customer asked for a woman")
    stored = await load(desk, order.id)
    assert (stored.status, stored.technician_id) == ("new", None)
    assert [e[:4] for e in await events(desk, order.id)] == [
        ("create", None, "new", ANN),
        ("assign", "new", "scheduled", BOSS),
        ("unassign", "scheduled", "new", BOSS),
        ("assign", "new", "scheduled", BOSS),
        ("unassign", "scheduled", "new", BOSS),
    ]
    assert (await events(desk, order.id))[-1][4] == "customer asked for a woman"


async def test_an_order_waiting_for_parts_is_rescheduled_into_a_free_window(desk, staff):
    order = await book(desk, ANN)
    await act(desk, assign, BOSS, order.number, LI)
    async with desk.uow() as uow:
        stored = await uow.session.get(ServiceOrder, order.id)
        stored.status = "waiting_parts"
        await uow.commit()
    blocker = await book(desk, BOB, brand="Midea", day=date(2026, 11, 27), window="13-17")
    await act(desk, assign, BOSS, blocker.number, LI)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, reschedule_visit, BOSS, order.number, date(2026, 11, 27),
                  "13-17")
    assert refused.value.details == {"reason": "technician_busy", "order": blocker.number}
    event = await act(desk, reschedule_visit, BOSS, order.number, "2026-11-27",
                      "09-12")
    assert (event.from_status, event.to_status, event.note) == (
        "waiting_parts", "scheduled", "2026-11-25 09-12 → 2026-11-27 09-12")
    stored = await load(desk, order.id)
    assert (stored.booked_date, stored.window, stored.status) == (
        date(2026, 11, 27), "09-12", "scheduled")


async def test_a_full_window_refuses_the_reschedule(desk, staff):
    order = await book(desk, ANN)
    await act(desk, assign, BOSS, order.number, LI)
    async with desk.uow() as uow:
        (await uow.session.get(ServiceOrder, order.id)).status = "waiting_parts"
        await uow.commit()
    await book(desk, BOB, brand="Midea", day=date(2026, 11, 27))
    await book(desk, 3, brand="Gree", day=date(2026, 11, 27))
    with pytest.raises(WindowFull):
        await act(desk, reschedule_visit, BOSS, order.number, date(2026, 11, 27),
                  "09-12")


# --- two managers at once -----------------------------------------------------------------------

async def race(desk, attempts, refusals=(NotAllowed, TransitionRefused)):
    barrier = asyncio.Barrier(len(attempts))

    async def attempt(manager, order_number, technician):
        async with desk.uow() as uow:
            boss = await people.find_user(uow, manager)
            await barrier.wait()
            try:
                event = await dispatch.assign(uow, boss, order_number, technician)
            except refusals as refusal:
                return refusal
            await uow.commit()
            return event

    return await asyncio.gather(*(attempt(*a) for a in attempts))


async def technician_id(desk, telegram_id):
    async with desk.uow() as uow:
        return (await people.find_user(uow, telegram_id)).id


async def test_two_managers_cannot_give_one_technician_two_jobs_in_one_window(desk, staff):
    first = await book(desk, ANN)
    second = await book(desk, BOB, brand="Midea")
    li = await technician_id(desk, LI)
    results = await race(desk, [(BOSS, first.number, li), (901, second.number, li)])
    refused = [r for r in results if isinstance(r, NotAllowed)]
    assert len(refused) == 1 and refused[0].details["reason"] == "technician_busy"
    async with desk.uow() as uow:
        held = (await uow.session.scalars(
            select(ServiceOrder).where(ServiceOrder.technician_id == li))).all()
    assert len(held) == 1 and held[0].status == "scheduled"


async def test_two_managers_assigning_one_order_at_once_one_of_them_wins(desk, staff):
    order = await book(desk, ANN)
    li, wang = await technician_id(desk, LI), await technician_id(desk, WANG)
    results = await race(desk, [(BOSS, order.number, li), (901, order.number, wang)])
    assert sorted(type(r).__name__ for r in results) == ["OrderEvent", "TransitionRefused"]
    assert [e[0] for e in await events(desk, order.id)] == ["create", "assign"]


async def test_a_technicians_scheduled_jobs_go_back_to_dispatch(desk, staff, clock):
    first = await book(desk, ANN)
    second = await book(desk, BOB, brand="Midea", window="13-17")
    await act(desk, assign, BOSS, first.number, LI)
    await act(desk, assign, BOSS, second.number, LI)
    clock.at = at(TOMORROW, 9, 0)
    async with desk.uow() as uow:
        li = await people.find_user(uow, LI)
        await jobs.start_trip(uow, li, first.number)
        await uow.commit()
    released = await act(desk, release_jobs, BOSS, LI, "left the company")
    assert (released.unassigned, released.under_way) == ((second.number,), (first.number,))
    assert [c.number for c in (await page(desk)).items] == [second.number]
    assert (await events(desk, second.id))[-1] == (
        "unassign", "scheduled", "new", BOSS, "left the company")


async def release_jobs(uow, boss, telegram_id, note):
    return await dispatch.release_jobs(uow, boss, await people.find_user(uow, telegram_id), note)
