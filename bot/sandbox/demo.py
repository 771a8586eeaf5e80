"""The sandbox's demo company: who is in it and what it has on its books on the first start.

Everything is made through core, as the chat would make it, so the demo data obeys the same
rules as real data: people, a sales order, a parts catalogue with stock in the main warehouse
and the vans, labour items per appliance, and orders in several states. This is the one place
to add demo data as the product grows (quotes once technicians build them ...): add to
`seed()`, it runs once, on a sandbox database that has no demo manager yet.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from core import (
    booking,
    catalogue,
    complaints,
    dispatch,
    handover,
    job_completion,
    jobs,
    lifecycle,
    orders,
    parts_import,
    people,
    purchasing,
    quotes,
    ratings,
    reminder_queue,
    sales,
    settlement,
    stock,
    triage_import,
    van_requests,
    windows,
)
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


# The parts catalogue: common spare parts per appliance, named in Chinese and English (one
# name field, as a Chinese company's catalogue writes them), price in fen, warranty months,
# minimum in the main warehouse, units in the main warehouse, and in Li's and Chen's vans.
PARTS = (
    # sku, name, price, warranty months, min level, main, Li's van, Chen's van
    ("AC-CAP-35", "空调启动电容 35μF AC start capacitor", 4500, 12, 5, 20, 4, 0),
    ("AC-FAN-IN", "空调室内风机 AC indoor fan motor", 26000, 12, 2, 6, 1, 0),
    ("AC-PCB-G", "空调主控板（格力）AC control board, Gree", 38000, 12, 1, 3, 0, 0),
    ("AC-R32-1KG", "R32 冷媒 1 kg R32 refrigerant, 1 kg", 12000, 0, 4, 10, 2, 0),
    ("AC-REMOTE", "空调遥控器 AC remote control", 3500, 3, 3, 10, 2, 0),
    ("FR-CMP-H", "冰箱压缩机（海尔）Refrigerator compressor, Haier", 65000, 24, 1, 3, 1, 0),
    ("FR-THERM", "冰箱温控器 Refrigerator thermostat", 8000, 12, 3, 8, 2, 1),
    ("FR-GASKET", "冰箱门封条 Refrigerator door gasket", 9500, 6, 2, 5, 0, 0),
    ("FR-FAN", "冰箱蒸发器风扇电机 Evaporator fan motor", 12000, 12, 2, 4, 1, 1),
    ("WM-PUMP", "洗衣机排水泵 Washing machine drain pump", 11000, 12, 3, 8, 2, 0),
    ("WM-BELT", "洗衣机皮带 Washing machine drive belt", 3500, 6, 4, 12, 3, 0),
    ("WM-SHOCK", "洗衣机减震器（对）Shock absorbers, pair", 6000, 12, 2, 6, 2, 0),
    ("WM-BEARING", "滚筒轴承套件 Drum bearing kit", 18000, 12, 1, 3, 1, 0),
    ("WM-DOORLOCK", "洗衣机门锁开关 Door lock switch", 7500, 12, 2, 5, 1, 0),
    ("TV-PSU-55", "电视电源板 55 英寸 TV power board, 55 inch", 32000, 6, 1, 3, 0, 1),
    ("TV-LED-55", "电视背光灯条 55 英寸 TV LED backlight strips, 55 inch", 28000, 6, 1, 3, 0, 1),
    ("WH-ANODE", "热水器镁棒 Water heater magnesium anode", 6000, 12, 4, 10, 0, 3),
    ("WH-ELEM-2K", "热水器加热管 2 kW Water heater element, 2 kW", 15000, 12, 2, 5, 0, 1),
    ("RH-MOTOR", "油烟机电机 Range hood motor", 30000, 12, 1, 2, 0, 1),
    ("MW-MAG", "微波炉磁控管 Microwave magnetron", 18000, 12, 1, 3, 0, 1),
    ("MW-TURN", "微波炉转盘电机 Microwave turntable motor", 4500, 6, 2, 6, 0, 2),
)
# Labour items: code, name (Chinese and English), price in fen, the appliance or None (any).
LABOUR = (
    ("CALLOUT", "上门检测费 Call-out and diagnosis", 5000, None),
    ("LAB-H", "维修工时（每小时）Repair labour, per hour", 8000, None),
    ("AC-CLEAN", "空调深度清洗 Air conditioner deep clean", 12000, "air_conditioner"),
    ("AC-GAS", "空调加冷媒（含检漏）AC refrigerant top-up, leak test included", 26000,
     "air_conditioner"),
    ("FR-WELD", "冰箱管路焊接 Refrigerator pipe welding", 18000, "refrigerator"),
    ("WM-CLEAN", "洗衣机拆洗 Washing machine strip and clean", 15000, "washing_machine"),
    ("TV-OPEN", "电视拆机维修 TV opened and repaired", 10000, "tv"),
    ("WH-DESCALE", "热水器除垢 Water heater descaling", 10000, "water_heater"),
    ("RH-CLEAN", "油烟机深度清洗 Range hood deep clean", 15000, "range_hood"),
    ("MW-REPAIR", "微波炉维修 Microwave repair", 8000, "microwave"),
)


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
    await _catalogue(desk, manager, users[TECHNICIAN_LI.telegram_id],
                     users[TECHNICIAN_CHEN.telegram_id])

    await _parts_and_history(desk, manager, users)

    # Orders in different states, tomorrow (every window of tomorrow is bookable whenever
    # the sandbox first starts).
    async with desk.uow() as uow:
        tomorrow = windows.local_today(uow) + timedelta(days=1)
    zhang, emma = users[CUSTOMER_ZHANG.telegram_id], users[CUSTOMER_EMMA.telegram_id]
    li, chen = users[TECHNICIAN_LI.telegram_id], users[TECHNICIAN_CHEN.telegram_id]
    await _repair(desk, zhang, category="air_conditioner", brand="Gree", model="KFR-35GW",
                  description="空调不制冷，开机半小时后出风还是热的。",
                  address="上海市徐汇区漕溪北路 398 号 5 楼", day=tomorrow, window="09-12")
    await _repair(desk, emma, category="tv", brand="TCL", model="55C735",
                  description="The screen flickers and goes dark after a few minutes.",
                  address="Room 1803, 1000 Lujiazui Ring Rd, Pudong", day=tomorrow,
                  window="13-17", moves=[("assign", manager, chen)])
    await _on_site_today(desk, zhang, li, manager, category="washing_machine",
                         brand="Haier", model="EG100",
                         description="洗衣机脱水时噪音很大，机身晃动。",
                         address="上海市徐汇区漕溪北路 398 号 5 楼", day=tomorrow,
                         window="17-20")
    await _repair(desk, emma, category="microwave", brand="Midea", model="M1-L213B",
                  description="Turntable does not spin.",
                  address="Room 1803, 1000 Lujiazui Ring Rd, Pudong", day=tomorrow,
                  window="09-12", moves=[("cancel", emma, None)])
    await _settled_day(desk, emma, chen, manager, category="refrigerator", brand="Siemens",
                       model="KG56NA", description="Fridge door does not seal, ice builds up.",
                       address="Room 1803, 1000 Lujiazui Ring Rd, Pudong", day=tomorrow,
                       window="09-12")
    await _complaint(desk, emma, manager)
    # An urgent one (the words say a leak), not yet assigned: dispatch lists it first.
    await _repair(desk, zhang, category="water_heater", brand="Haier", model="EC6002",
                  description="热水器底部漏水，家里没有热水。",
                  address="上海市徐汇区漕溪北路 398 号 5 楼", day=tomorrow, window="17-20")
    await _handover(desk, zhang, chen, manager, tomorrow)
    async with desk.uow() as uow:
        # The notices the set-up itself caused (assigned, confirmed...) are history, not news:
        # nobody in the demo has opened the chat yet, and they would arrive in the middle of
        # whatever the visitor does first.
        for reminder in await reminder_queue.claim_due(uow, "demo", limit=1000):
            await reminder_queue.mark_dropped(uow, reminder.id, "demo_setup")
        await uow.commit()
    await _van_request(desk, li)
    await _purchase_order(desk, manager)
    log.info("sandbox: demo company seeded")
    return True


async def _parts_and_history(desk: Desk, manager: User, users: dict) -> None:
    """The catalogue, stock in the main warehouse and on the vans, and the past jobs."""
    async with desk.uow() as uow:
        manager = await uow.session.get(User, manager.id)
        # The parts the past jobs used; a SKU the catalogue above has already takes its name.
        added = await parts_import.import_parts(uow, manager, DEMO_PARTS.read_text("utf-8"),
                                                update=True)
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


async def _catalogue(desk: Desk, manager: User, li: User, chen: User) -> None:
    """The parts with stock in the main warehouse and the vans, and the labour items."""
    async with desk.uow() as uow:
        manager = await uow.session.get(User, manager.id)
        li, chen = await uow.session.get(User, li.id), await uow.session.get(User, chen.id)
        main = await stock.main_warehouse(uow)
        vans = ((await stock.van(uow, li)), (await stock.van(uow, chen)))
        for sku, name, price, months, minimum, in_main, *in_vans in PARTS:
            part = await catalogue.add_part(uow, manager, sku=sku, name=name, price=price,
                                            warranty_months=months, min_level=minimum)
            await stock.receive(uow, manager, part, in_main + sum(in_vans), note="开业备货")
            for van, units in zip(vans, in_vans):
                if units:
                    await stock.transfer(uow, manager, part, units, main, van)
        for code, name, price, category in LABOUR:
            await catalogue.add_labour_item(uow, manager, code=code, name=name, price=price,
                                            category=category)
        await uow.commit()


async def _on_site_today(desk: Desk, customer: User, technician: User, manager: User, *,
                         day, window, **booking_fields) -> None:
    """An order the technician is at now: booked (for a window still open, as every booking
    is), then its visit moved by the manager to today's window under way (or the last one
    begun, or the first) as a phoned-in change would, assigned, and the technician on the
    way and arrived through core (so the arrival time is recorded)."""
    async with desk.uow() as uow:
        customer = await uow.session.get(User, customer.id)
        order = await booking.book_repair(uow, customer, day=day, window=window,
                                          **booking_fields)
        await _arrived_today(uow, order, technician, manager)
        await uow.commit()
        return order.id


async def _arrived_today(uow, order: ServiceOrder, technician: User, manager: User) -> None:
    today, now = windows.local_today(uow), uow.now()
    begun = [w for w in windows.WINDOWS if windows.window_bounds(uow, today, w)[0] <= now]
    visit = begun[-1] if begun else windows.WINDOWS[0]
    order.booked_date, order.window = today, visit
    order.window_start, order.window_end = windows.window_bounds(uow, today, visit)
    await dispatch.assign(uow, await uow.session.get(User, manager.id), order, technician.id)
    technician = await uow.session.get(User, technician.id)
    await jobs.accept(uow, technician, order)
    await jobs.start_trip(uow, technician, order)
    await jobs.arrive(uow, technician, order)


async def _settled_day(desk: Desk, customer: User, technician: User, manager: User,
                       **booking_fields) -> None:
    """A job done today and paid in cash, rated, and the technician's day of cash confirmed
    by the manager: a settled day in /settle's CSV, and a job on /scorecard."""
    order_id = await _on_site_today(desk, customer, technician, manager, **booking_fields)
    async with desk.uow() as uow:
        order = await uow.session.get(ServiceOrder, order_id)
        technician = await uow.session.get(User, technician.id)
        customer = await uow.session.get(User, customer.id)
        await jobs.diagnose(uow, technician, order, "Door gasket torn; replaced seal strip.")
        await quotes.add_labour(uow, technician, order, "CALLOUT")
        await quotes.add_labour(uow, technician, order, "LAB-H")
        await quotes.send_quote(uow, technician, order)
        await quotes.approve_quote(uow, customer, order)
        await job_completion.complete(uow, technician, order)
        await jobs.settle(uow, technician, order, "cash")
        await ratings.rate(uow, customer, order, 5, "Quick and tidy, thank you!")
        await settlement.confirm_day(uow, await uow.session.get(User, manager.id),
                                     technician.id, windows.local_today(uow),
                                     order.final_amount)
        await uow.commit()


async def _complaint(desk: Desk, customer: User, manager: User) -> None:
    """A complaint about the customer's TV order, taken by the manager (/complaints)."""
    async with desk.uow() as uow:
        customer = await uow.session.get(User, customer.id)
        order = await uow.session.scalar(
            select(ServiceOrder).where(ServiceOrder.customer_id == customer.id,
                                       ServiceOrder.category == "tv"))
        complaint = await complaints.open_complaint(
            uow, customer, order, "rude",
            "The call centre hung up on me twice when I asked about the visit time.")
        await complaints.take(uow, await uow.session.get(User, manager.id), complaint)
        await uow.commit()


async def people_in(desk: Desk) -> list[User]:
    """Everyone the sandbox's chats are for: the demo people and those made in the page."""
    async with desk.uow() as uow:
        return list(await uow.session.scalars(select(User).order_by(User.id)))


async def order_count(desk: Desk) -> int:
    async with desk.uow() as uow:
        return len((await uow.session.scalars(select(ServiceOrder.id))).all())


async def _van_request(desk: Desk, technician: User) -> None:
    """李师傅 asks for parts for his van (issue 15): it waits for 王芳's approval, whose notice
    (approve, change the quantities, refuse) is the first thing in her chat."""
    async with desk.uow() as uow:
        technician = await uow.session.get(User, technician.id)
        await van_requests.create(uow, technician, [("AC-CAP-35", 2), ("AC-R32-1KG", 1)])
        await uow.commit()


HANDOVER_SALES_NUMBER = "S-2026-0043"


async def _handover(desk: Desk, customer: User, technician: User, manager: User, day) -> None:
    """A delivery (张伟's new fridge, S-2026-0043) Chen Jun is at now: the box recorded intact
    at handover with a photo, and 张伟 confirmed it in chat; the installation is Chen's to
    complete (the card shows the handover, "✅ Complete" is on it)."""
    async with desk.uow() as uow:
        manager = await uow.session.get(User, manager.id)
        customer = await uow.session.get(User, customer.id)
        await sales.register_sales_order(
            uow, manager, number=HANDOVER_SALES_NUMBER, customer_name=CUSTOMER_ZHANG.name,
            phone=CUSTOMER_ZHANG.phone, address="上海市徐汇区漕溪北路 398 号 5 楼",
            category="refrigerator", brand="Haier", model="BCD-470WDPG")
        found = await sales.verify_sales_order(uow, customer, HANDOVER_SALES_NUMBER,
                                               CUSTOMER_ZHANG.phone)
        order = await sales.book_installation(uow, customer, found.id, day=day, window="13-17")
        await _arrived_today(uow, order, technician, manager)
        await handover.record(uow, await uow.session.get(User, technician.id), order, "intact",
                              ["AgADdemoHandover1"])
        await handover.answer(uow, customer, order.id, True)
        await uow.commit()


async def _purchase_order(desk: Desk, manager: User) -> None:
    """A supplier of air-conditioner parts, and a purchase order sent to it and not yet
    delivered: /purchase lists it, /receive offers it (issue 15)."""
    async with desk.uow() as uow:
        manager = await uow.session.get(User, manager.id)
        supplier = await purchasing.add_supplier(uow, manager, "格力配件上海仓 Gree Parts SH",
                                                 "徐经理 021-5555 0101")
        await purchasing.supply_part(uow, manager, supplier.id, "AC-CAP-35", 3800, 3)
        await purchasing.supply_part(uow, manager, supplier.id, "AC-R32-1KG", 10500, 5)
        order = await purchasing.create_order(uow, manager, supplier.id,
                                              [("AC-CAP-35", 10), ("AC-R32-1KG", 4)])
        await purchasing.send(uow, manager, order.id)
        await uow.commit()
