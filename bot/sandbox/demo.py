"""The sandbox's demo company: who is in it and what it has on its books on the first start.

Everything is made through core, as the chat would make it, so the demo data obeys the same
rules as real data. This is the one place to add demo data as the product grows (vans and
the parts catalogue once stock exists, quotes once technicians build them ...): add to
`seed()`, it runs once, on a sandbox database that has no demo manager yet.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from core import booking, lifecycle, orders, parts_import, people, sales, stock, triage_import
from core.desk import Desk
from core.models import ServiceOrder, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoPerson:
    telegram_id: int
    name: str
    role: str            # customer, technician or manager
    language: str        # their Telegram app's language: zh or en
    phone: str           # what their contact button shares
    skills: tuple[str, ...] = ()
    areas: tuple[int, ...] = ()  # positions in the company's SERVICE_AREAS


MANAGER = DemoPerson(10001, "王芳", lifecycle.MANAGER, "zh", "+8613800000001")
TECHNICIAN_LI = DemoPerson(10002, "李师傅", lifecycle.TECHNICIAN, "zh", "+8613800000002",
                           skills=("air_conditioner", "washing_machine", "refrigerator"),
                           areas=(0, 1, 2, 3))
TECHNICIAN_CHEN = DemoPerson(10003, "Chen Jun", lifecycle.TECHNICIAN, "en", "+8613800000003",
                             skills=("tv", "microwave", "water_heater", "range_hood",
                                     "refrigerator"),
                             areas=(3, 4, 5, 6, 7))
CUSTOMER_ZHANG = DemoPerson(10101, "张伟", lifecycle.CUSTOMER, "zh", "+8613912340001")
CUSTOMER_EMMA = DemoPerson(10102, "Emma Brown", lifecycle.CUSTOMER, "en", "+8613912340002")

PEOPLE = (MANAGER, TECHNICIAN_LI, TECHNICIAN_CHEN, CUSTOMER_ZHANG, CUSTOMER_EMMA)
SALES_ORDER_NUMBER = "S-2026-0042"
# The company's parts catalogue and 800 past jobs, made by bench/triage_history.py
# (--jobs 800 --seed 11): what the technicians' "likely fault, bring these parts" learns from.
DEMO_PARTS = Path(__file__).with_name("demo_parts.csv")
DEMO_HISTORY = Path(__file__).with_name("demo_history.csv")
# What each technician's van holds at the start: (sku, quantity).
DEMO_VANS = {10002: (("WM-BEAR", 2), ("WM-PUMP", 1), ("AC-CAP", 2)),
             10003: (("TV-PWR", 1), ("MW-FUSE", 3))}
# Telegram ids of people created in the page start above every demo id.
FIRST_NEW_ID = 20001


def person(telegram_id: int) -> DemoPerson | None:
    return next((p for p in PEOPLE if p.telegram_id == telegram_id), None)


def new_customer_phone(telegram_id: int) -> str:
    """A valid mainland mobile number that is this new person's own."""
    return f"+86137{telegram_id % 100_000_000:08d}"


async def seed(desk: Desk) -> bool:
    """Fills an empty sandbox database with the demo company; True if it did, False if the
    demo manager was already there (the data people made since is kept)."""
    async with desk.uow() as uow:
        if await people.find_user(uow, MANAGER.telegram_id) is not None:
            return False
        users = {}
        for demo in PEOPLE:
            users[demo.telegram_id] = await _make_person(uow, demo)
        await uow.commit()

    manager = users[MANAGER.telegram_id]
    async with desk.uow() as uow:
        manager = await uow.session.get(User, manager.id)
        await sales.register_sales_order(
            uow, manager, number=SALES_ORDER_NUMBER, customer_name=CUSTOMER_ZHANG.name,
            phone=CUSTOMER_ZHANG.phone, address="上海市浦东新区世纪大道 88 号 1201 室",
            category="refrigerator", brand="Haier", model="BCD-500WDGF")
        await uow.commit()

    await _parts_and_history(desk, manager, users)

    # Orders in different states, tomorrow (every window of tomorrow is bookable whenever
    # the sandbox first starts).
    async with desk.uow() as uow:
        tomorrow = booking.local_today(uow) + timedelta(days=1)
    zhang, emma = users[CUSTOMER_ZHANG.telegram_id], users[CUSTOMER_EMMA.telegram_id]
    li, chen = users[TECHNICIAN_LI.telegram_id], users[TECHNICIAN_CHEN.telegram_id]
    await _repair(desk, zhang, category="air_conditioner", brand="Gree", model="KFR-35GW",
                  description="空调不制冷，开机半小时后出风还是热的。",
                  address="上海市徐汇区漕溪北路 398 号 5 楼", day=tomorrow, window="09-12")
    await _repair(desk, emma, category="tv", brand="TCL", model="55C735",
                  description="The screen flickers and goes dark after a few minutes.",
                  address="Room 1803, 1000 Lujiazui Ring Rd, Pudong", day=tomorrow,
                  window="13-17", moves=[("assign", manager, chen)])
    await _repair(desk, zhang, category="washing_machine", brand="Haier", model="EG100",
                  description="洗衣机脱水时噪音很大，机身晃动。",
                  address="上海市徐汇区漕溪北路 398 号 5 楼", day=tomorrow, window="17-20",
                  moves=[("assign", manager, li), ("start_trip", li, None),
                         ("arrive", li, None)])
    await _repair(desk, emma, category="microwave", brand="Midea", model="M1-L213B",
                  description="Turntable does not spin.",
                  address="Room 1803, 1000 Lujiazui Ring Rd, Pudong", day=tomorrow,
                  window="09-12", moves=[("cancel", emma, None)])
    log.info("sandbox: demo company seeded")
    return True


async def _parts_and_history(desk: Desk, manager: User, users: dict) -> None:
    """The catalogue, stock in the main warehouse and on the vans, and the past jobs."""
    async with desk.uow() as uow:
        manager = await uow.session.get(User, manager.id)
        added = await parts_import.import_parts(uow, manager, DEMO_PARTS.read_text("utf-8"))
        history = await triage_import.import_history(uow, manager,
                                                     DEMO_HISTORY.read_text("utf-8"))
        assert added.ok and history.ok, (added.errors, history.errors)
        for sku in added.added:
            await stock.receive(uow, manager, sku, 5, "demo")
        main = await stock.main_warehouse(uow)
        for telegram_id, load in DEMO_VANS.items():
            van = await stock.van(uow, users[telegram_id])
            for sku, quantity in load:
                await stock.transfer(uow, manager, sku, quantity, main, van, "demo")
        await uow.commit()


async def _make_person(uow, demo: DemoPerson) -> User:
    user = await people.ensure_user(uow, demo.telegram_id, demo.language)
    user.language = demo.language
    if demo.role == lifecycle.CUSTOMER:
        await people.register_customer(uow, user, demo.name, demo.phone)
        return user
    people.make_staff(uow, user, demo.role, demo.name)
    user.phone = people.clean_phone(demo.phone)
    await uow.session.flush()
    if demo.role == lifecycle.TECHNICIAN:
        await people.set_skills(uow, user, list(demo.skills))
        areas = uow.company.service_areas
        await people.set_areas(uow, user, [areas[i % len(areas)] for i in demo.areas])
    return user


async def _repair(desk: Desk, customer: User, *, moves=(), **booking_fields) -> None:
    """Books a repair as the customer, then moves it: (action, actor, technician or None)."""
    async with desk.uow() as uow:
        customer = await uow.session.get(User, customer.id)
        order = await booking.book_repair(uow, customer, **booking_fields)
        for action, actor, technician in moves:
            actor = await uow.session.get(User, actor.id)
            if technician is not None:
                order.technician_id = technician.id
            if action == "cancel":
                await booking.cancel(uow, actor, order, "changed_mind")
            else:
                await orders.apply(uow, order, action, actor)
        await uow.commit()


async def people_in(desk: Desk) -> list[User]:
    """Everyone the sandbox's chats are for: the demo people and those made in the page."""
    async with desk.uow() as uow:
        return list(await uow.session.scalars(select(User).order_by(User.id)))


async def order_count(desk: Desk) -> int:
    async with desk.uow() as uow:
        return len((await uow.session.scalars(select(ServiceOrder.id))).all())
