"""Reminders are planned with the order change that causes them, move and drop with it,
keep quiet hours, and are claimed by exactly one sender."""
import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from core import booking, job_completion, orders, people, reminder_queue
from core.models import Reminder, ServiceOrder

SHANGHAI = timezone(timedelta(hours=8))


async def customer_and_technician(desk):
    async with desk.uow() as uow:
        ann = await people.ensure_user(uow, 1)
        await people.register_customer(uow, ann, "Ann", "13800138000")
        li = await people.ensure_user(uow, 2)
        people.make_staff(uow, li, "technician", "Li")
        await people.set_skills(uow, li, ["tv"])
        await people.ensure_user(uow, 900)  # a manager (MANAGER_IDS in the fixture)
        await uow.commit()
        return ann.id, li.id


async def book(desk, day="2026-11-25", window="09-12"):
    async with desk.uow() as uow:
        ann = await people.find_user(uow, 1)
        order = await booking.book_repair(uow, ann, category="tv", description="No picture",
                                          address="1 Main St", day=day, window=window)
        await uow.commit()
        return order.id


async def pending(desk):
    async with desk.uow() as uow:
        rows = await uow.session.scalars(
            select(Reminder).where(Reminder.sent_at.is_(None), Reminder.dropped_at.is_(None))
            .order_by(Reminder.due_at, Reminder.kind))
        return [(r.kind, r.due_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")) for r in rows]


async def test_a_booking_plans_the_customers_and_the_managers_reminders(desk):
    await customer_and_technician(desk)
    await book(desk, "2026-11-26", "13-17")
    assert await pending(desk) == [
        ("unassigned", "11-24 12:00"),   # booked at 10:00, still unassigned two hours later
        ("day_before", "11-25 18:00"),
        ("two_hours", "11-26 11:00"),
    ]


async def test_reschedule_moves_and_cancel_drops_them(desk, clock):
    await customer_and_technician(desk)
    order_id = await book(desk, "2026-11-26", "13-17")
    async with desk.uow() as uow:
        ann = await people.find_user(uow, 1)
        order = await uow.session.get(ServiceOrder, order_id)
        await booking.reschedule(uow, ann, order, "2026-11-28", "17-20")
        await uow.commit()
    assert await pending(desk) == [
        ("unassigned", "11-24 12:00"),
        ("day_before", "11-27 18:00"),
        ("two_hours", "11-28 15:00"),
    ]
    async with desk.uow() as uow:
        ann = await people.find_user(uow, 1)
        order = await uow.session.get(ServiceOrder, order_id)
        await booking.cancel(uow, ann, order, "changed_mind")
        await uow.commit()
    assert await pending(desk) == []
    async with desk.uow() as uow:
        dropped = (await uow.session.scalars(select(Reminder.dropped_why))).all()
    assert set(dropped) == {"no_longer_due"}


async def test_quiet_hours_hold_customer_reminders_until_eight(desk):
    await customer_and_technician(desk)
    await book(desk, "2026-11-26", "09-12")
    assert ("two_hours", "11-26 08:00") in await pending(desk)  # 07:00 would wake them


def test_after_quiet_hours():
    zone = timezone(timedelta(hours=8))
    at = lambda h, m=0, d=24: datetime(2026, 11, d, h, m, tzinfo=zone)
    assert reminder_queue.after_quiet_hours(at(20, 59), zone) == at(20, 59)
    assert reminder_queue.after_quiet_hours(at(21, 0), zone) == at(8, 0, 25)
    assert reminder_queue.after_quiet_hours(at(3, 0), zone) == at(8, 0)
    assert reminder_queue.after_quiet_hours(at(8, 0), zone) == at(8, 0)


async def test_assigning_tells_the_technician_now_and_before_the_job(desk, clock):
    _, li = await customer_and_technician(desk)
    order_id = await book(desk, "2026-11-25", "13-17")
    async with desk.uow() as uow:
        boss = await people.find_user(uow, 900)
        order = await uow.session.get(ServiceOrder, order_id)
        order.technician_id = li
        await orders.apply(uow, order, "assign", boss)
        await uow.commit()
    assert await pending(desk) == [
        ("assigned", "11-24 10:00"),
        ("confirmed", "11-24 10:00"),   # the customer: who is coming, and when
        ("day_before", "11-24 18:00"),
        ("two_hours", "11-25 11:00"),
        ("job_soon", "11-25 12:30"),
        ("overdue", "11-25 17:00"),
    ]


async def test_each_due_reminder_is_claimed_by_one_sender_only(desk, clock):
    await customer_and_technician(desk)
    for day in ("2026-11-25", "2026-11-26", "2026-11-27"):
        for window in ("09-12", "13-17"):
            try:
                await book(desk, day, window)
            except Exception:  # one technician: the appliance rule allows one open repair
                pass
    clock.advance(days=10)  # everything is due

    async def claim(owner="c"):
        async with desk.uow() as uow:
            claimed = await reminder_queue.claim_due(uow, owner, limit=50)
            await uow.commit()
            return [r.id for r in claimed]

    first, second = await asyncio.gather(claim("a"), claim("b"))
    assert not set(first) & set(second)
    async with desk.uow() as uow:
        due = (await uow.session.scalars(select(Reminder.id).where(
            Reminder.dropped_at.is_(None)))).all()
    assert sorted(first + second) == sorted(due)
    assert await claim() == []  # held by their claims until the lease ends
    clock.advance(seconds=61)
    assert sorted(await claim()) == sorted(due)  # a crashed sender's claims come back


async def test_a_claim_taken_over_after_its_lease_is_sent_by_the_new_owner_only(desk, clock):
    """A sender pacing a long batch for one person outlives its lease; another sender takes
    the rest over. The first then finds the claim gone and neither sends nor marks it."""
    await customer_and_technician(desk)
    await book(desk, "2026-11-26", "13-17")
    clock.advance(days=3)
    async with desk.uow() as uow:
        [first, *_] = await reminder_queue.claim_due(uow, "slow")
        await uow.commit()
    clock.advance(seconds=61)
    async with desk.uow() as uow:
        taken = [r.id for r in await reminder_queue.claim_due(uow, "other")]
        await uow.commit()
    assert first.id in taken
    async with desk.uow() as uow:
        assert not await reminder_queue.renew_claim(uow, first.id, "slow")
        assert not await reminder_queue.mark_sent(uow, first.id, "slow")
        assert await reminder_queue.renew_claim(uow, first.id, "other")
        assert await reminder_queue.mark_sent(uow, first.id, "other")
        await uow.commit()
    async with desk.uow() as uow:
        assert first.id not in [r.id for r in await reminder_queue.claim_due(uow, "third")]


async def test_failures_back_off_and_sent_reminders_stay_sent(desk, clock):
    await customer_and_technician(desk)
    await book(desk, "2026-11-26", "13-17")
    clock.advance(days=3)
    async with desk.uow() as uow:
        [first, *_] = await reminder_queue.claim_due(uow, "sender")
        await reminder_queue.mark_failed(uow, first, "Bad Gateway")
        await uow.commit()
    async with desk.uow() as uow:
        again = await uow.session.get(Reminder, first.id)
        assert again.attempts == 1 and again.due_at == clock.at + timedelta(seconds=2)
        await reminder_queue.mark_sent(uow, first.id, "sender")
        await uow.commit()
    async with desk.uow() as uow:
        order = await uow.session.scalar(select(ServiceOrder))
        await reminder_queue.replan(uow, order)  # planning again does not resend it
        await uow.commit()
        count = len((await uow.session.scalars(
            select(Reminder).where(Reminder.kind == first.kind))).all())
    assert count == 1


async def test_a_replaced_parts_warranty_ending_is_noticed_two_weeks_before(desk, clock):
    from core import quotes, stock
    from tests import workshop

    await workshop.company(desk)
    async with desk.uow() as uow:
        boss = await people.find_user(uow, workshop.BOSS)
        await stock.receive(uow, boss, "CMP-01", 1)
        await uow.commit()
    order = await workshop.quoted(desk, clock, [("part", "CMP-01", 1), ("labour", "LAB-H", 1)])
    await workshop.act(desk, quotes.approve_quote, workshop.ANN, order.number)
    await workshop.act(desk, job_completion.complete, workshop.LI, order.number,
                       [("CMP-01", 1, "SN-9")])
    async with desk.uow() as uow:
        due = (await uow.session.scalars(select(Reminder.due_at).where(
            Reminder.kind == "warranty_ending"))).all()
    # Completed on the 25th with 12 months' warranty: ends 2027-11-25; noticed on the 11th.
    assert [d.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") for d in due] == [
        "2027-11-11 10:00"]


async def test_stock_falling_under_its_minimum_tells_each_manager_once_a_day(desk, clock):
    from core import stock
    from tests import workshop

    await workshop.company(desk)  # CMP-01's minimum is 2
    async with desk.uow() as uow:
        boss = await people.find_user(uow, workshop.BOSS)
        await stock.receive(uow, boss, "CMP-01", 3)
        await uow.commit()
    for _ in range(2):  # 3 -> 2 (at the minimum), then 2 -> 1 (under it), then 1 -> 0
        async with desk.uow() as uow:
            boss = await people.find_user(uow, workshop.BOSS)
            await stock.scrap(uow, boss, "CMP-01", 1, await stock.main_warehouse(uow), "Dented")
            await uow.commit()
    async with desk.uow() as uow:
        boss = await people.find_user(uow, workshop.BOSS)
        await stock.scrap(uow, boss, "CMP-01", 1, await stock.main_warehouse(uow), "Dented")
        await uow.commit()
        low = (await uow.session.scalars(select(Reminder).where(
            Reminder.kind == "low_stock"))).all()
    assert [(r.recipient_id, r.part_id is not None) for r in low] == [(boss.id, True)]
