"""Shared set-up for the tests of the technicians' and dispatch services: a small company
(a manager, two technicians, two customers, a parts catalogue and labour items), booking, and
running one service call in its own committed unit of work, as a chat handler would."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import booking, catalogue, dispatch, jobs, people, quotes
from core.models import OrderEvent, ServiceOrder, User

TODAY = date(2026, 11, 24)  # the clock fixture: 10:00 in Shanghai
TOMORROW = date(2026, 11, 25)
BOSS, LI, WANG, ANN, BOB = 900, 11, 12, 1, 2


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as aware UTC."""
    return datetime(day.year, day.month, day.day, hour, minute,
                    tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(timezone.utc)


async def make_user(uow, telegram_id, role="customer", skills=(), areas=(), name=None):
    user = await people.ensure_user(uow, telegram_id)
    user.role = role
    user.name = name
    if role == "customer":
        await people.register_customer(uow, user, name or f"Customer {telegram_id}",
                                       "13800138000")
    if skills:
        await people.set_skills(uow, user, list(skills))
    if areas:
        await people.set_areas(uow, user, list(areas))
    await uow.session.flush()
    return user


async def company(desk, *, parts=True):
    """Manager 900, technicians 11 (Li: fridges and washing machines, Xuhui) and 12 (Wang:
    fridges, Pudong), customers 1 (Ann) and 2 (Bob); the parts and labour items below."""
    async with desk.uow() as uow:
        boss = await make_user(uow, BOSS, "manager", name="Boss Zhang")
        await make_user(uow, LI, "technician", ["refrigerator", "washing_machine"], ["Xuhui"],
                        name="Li Wei")
        await make_user(uow, WANG, "technician", ["refrigerator"], ["Pudong"],
                        name="Wang Fang")
        await make_user(uow, ANN, name="Ann Chen")
        await make_user(uow, BOB, name="Bob Wu")
        if parts:
            for sku, name, price, months, minimum in (
                    ("CMP-01", "Compressor", 45000, 12, 2),
                    ("THERM-02", "Thermostat", 8000, 6, 0),
                    ("FAN-03", "Fan motor", 12000, 0, 1)):
                await catalogue.add_part(uow, boss, sku=sku, name=name, price=price,
                                         warranty_months=months, min_level=minimum)
            await catalogue.add_labour_item(uow, boss, code="CALLOUT", name="Call-out",
                                            price=5000)
            await catalogue.add_labour_item(uow, boss, code="LAB-H",
                                            name="Repair labour, per hour", price=8000)
        await uow.commit()


def repair(**overrides):
    fields = dict(category="refrigerator", brand="Haier", model="BCD-470", serial=None,
                  description="Not cooling since Monday", photos=["AgAD1"],
                  address="Xuhui, Tianyaoqiao Rd 1, flat 502", phone="13800138000",
                  day=TOMORROW, window="09-12")
    fields.update(overrides)
    return fields


async def book(desk, telegram_id=ANN, **overrides) -> ServiceOrder:
    async with desk.uow() as uow:
        customer = await people.find_user(uow, telegram_id)
        order = await booking.book_repair(uow, customer, **repair(**overrides))
        await uow.commit()
        return order


async def act(desk, service, telegram_id, *args, **kwargs):
    """Calls `service(uow, <the person>, *args, **kwargs)` in its own unit of work and
    commits, as a chat handler does; a refusal leaves nothing behind."""
    async with desk.uow() as uow:
        person = await people.find_user(uow, telegram_id)
        result = await service(uow, person, *args, **kwargs)
        await uow.commit()
        return result


async def load(desk, order_id) -> ServiceOrder:
    async with desk.uow() as uow:
        return await uow.session.get(ServiceOrder, order_id)


async def events(desk, order_id) -> list[tuple]:
    """(action, from, to, actor's Telegram id, note) of each of the order's events."""
    async with desk.uow() as uow:
        rows = (await uow.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id))).all()
        result = []
        for event in rows:
            actor = await uow.session.get(User, event.actor_id) if event.actor_id else None
            result.append((event.action, event.from_status, event.to_status,
                           actor.telegram_id if actor else None, event.note))
        return result


async def technician(desk, telegram_id):
    async with desk.uow() as uow:
        return await people.find_user(uow, telegram_id)


async def assigned(desk, telegram_id=LI, customer=ANN, **overrides) -> ServiceOrder:
    """A repair booked by `customer` and assigned by the manager to technician
    `telegram_id`."""
    order = await book(desk, customer, **overrides)
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        tech = await people.find_user(uow, telegram_id)
        await dispatch.assign(uow, boss, order.number, tech)
        await uow.commit()
    return order


async def on_site(desk, clock, telegram_id=LI, customer=ANN, **overrides) -> ServiceOrder:
    """As `assigned`, then accepted, on the way at 09:10 and arrived at 09:40 on the booked
    day (local time)."""
    order = await assigned(desk, telegram_id, customer, **overrides)
    day = overrides.get("day", TOMORROW)
    await act(desk, jobs.accept, telegram_id, order.number)
    clock.at = at(day, 9, 10)
    await act(desk, jobs.start_trip, telegram_id, order.number)
    clock.at = at(day, 9, 40)
    await act(desk, jobs.arrive, telegram_id, order.number)
    return order


async def quoted(desk, clock, lines, telegram_id=LI, customer=ANN, **overrides):
    """On site, diagnosed, and a quote of `lines` sent: ("part", sku, n), ("labour", code, n)
    or ("typed", description, amount)."""
    order = await on_site(desk, clock, telegram_id, customer, **overrides)
    await act(desk, jobs.diagnose, telegram_id, order.number,
              "Compressor relay burnt, compressor does not start", ["AgADd1"])
    await add_lines(desk, telegram_id, order.number, lines)
    await act(desk, quotes.send_quote, telegram_id, order.number)
    return order


async def add_lines(desk, telegram_id, number, lines):
    for kind, what, n in lines:
        if kind == "part":
            await act(desk, quotes.add_part, telegram_id, number, what, n)
        elif kind == "labour":
            await act(desk, quotes.add_labour, telegram_id, number, what, n)
        else:
            await act(desk, quotes.add_typed_labour, telegram_id, number, what, n)
