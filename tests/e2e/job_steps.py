"""Helpers for the technicians' end-to-end tests: the catalogue and van stock, a manager's
assignment and earlier steps done through core (their own chat flows are tested elsewhere),
and reading a chat where notifications may arrive between a handler's replies."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from core import catalogue, dispatch, jobs, people, quotes, stock
from core.models import Reminder, ServiceOrder, User
from tests.e2e.conftest import MANAGER_ID

LI, WANG = 2001, 2002


async def order_row(bot, number: str) -> ServiceOrder:
    async with bot.desk.uow() as uow:
        return await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == number))


async def user_id(bot, telegram_id: int) -> int:
    async with bot.desk.uow() as uow:
        return await uow.session.scalar(select(User.id).where(User.telegram_id == telegram_id))


async def catalogue_and_stock(bot, *, van_of: int | None = None, compressors_in_van: int = 2):
    """Compressor CMP-01 (¥450, 12 months), thermostat THERM-02 (¥80, 6 months); labour
    "Repair labour" ¥80 and "Call-out" ¥50; compressors in the van of `van_of` and one
    thermostat in the main warehouse."""
    async with bot.desk.uow() as uow:
        boss = await people.ensure_user(uow, MANAGER_ID)
        compressor = await catalogue.add_part(uow, boss, sku="CMP-01", name="Compressor",
                                              price=45000, warranty_months=12)
        thermostat = await catalogue.add_part(uow, boss, sku="THERM-02", name="Thermostat",
                                              price=8000, warranty_months=6)
        await catalogue.add_labour_item(uow, boss, code="LAB", name="Repair labour", price=8000)
        await catalogue.add_labour_item(uow, boss, code="CALLOUT", name="Call-out", price=5000)
        await stock.receive(uow, boss, thermostat, 1)
        if van_of and compressors_in_van:
            technician = await uow.session.scalar(select(User).where(User.telegram_id == van_of))
            await stock.receive(uow, boss, compressor, compressors_in_van)
            await stock.transfer(uow, boss, compressor, compressors_in_van,
                                 await stock.main_warehouse(uow),
                                 await stock.van(uow, technician))
        await uow.commit()


async def act(bot, telegram_id: int, number: str, service, *args, **kwargs):
    """One core service as the user `telegram_id` on order `number`, committed; whoever it
    concerns is told at once."""
    async with bot.desk.uow() as uow:
        actor = await people.ensure_user(uow, telegram_id)
        order = await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == number))
        result = await service(uow, actor, order, *args, **kwargs)
        await uow.commit()
    bot.reminders.wake()
    return result


async def assign(bot, number: str, technician: int):
    return await act(bot, MANAGER_ID, number, dispatch.assign, await user_id(bot, technician))


async def on_site(bot, technician: int, number: str, *, diagnosed: bool = False):
    await act(bot, technician, number, jobs.accept)
    await act(bot, technician, number, jobs.start_trip)
    await act(bot, technician, number, jobs.arrive)
    if diagnosed:
        await act(bot, technician, number, jobs.diagnose, "Compressor relay burnt out")


async def quote_sent(bot, technician: int, number: str, lines=(("labour", "LAB", 1),
                                                             ("part", "CMP-01", 1))):
    for kind, code, n in lines:
        service = quotes.add_part if kind == "part" else quotes.add_labour
        await act(bot, technician, number, service, code, n)
    return await act(bot, technician, number, quotes.send_quote)


async def until(who, fragment: str, timeout: float = 10):
    """The next message to `who` containing `fragment` (notifications may come between)."""
    seen = []
    while True:
        message = await who.reply(timeout=timeout)
        if message.text and fragment in message.text:
            return message
        seen.append(message.text)
        if len(seen) > 20:
            raise AssertionError(f"{fragment!r} never came; saw {seen}")


async def open_job(who, number: str):
    """/jobs, then the job's button: its card."""
    await who.send("/jobs")
    listing = await until(who, "Your jobs")
    button = next(text for row in listing.buttons for text in row if text.startswith(number))
    await who.press(button, message=listing)
    return await until(who, f"Job {number}")


async def drained(bot, who, timeout: float = 20):
    """Waits until every notification due to `who` has been sent, and reads them all."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    recipient = await user_id(bot, who.id)
    while True:
        async with bot.desk.uow() as uow:
            pending = await uow.session.scalar(select(func.count(Reminder.id)).where(
                Reminder.recipient_id == recipient, Reminder.sent_at.is_(None),
                Reminder.dropped_at.is_(None), Reminder.due_at <= uow.now()))
        if not pending:
            return await who.settle()
        if loop.time() > deadline:
            raise AssertionError(f"{pending} notifications to {who.first_name} never went out")
        await asyncio.sleep(0.1)


async def answer_to(who, press_id: str, timeout: float = 20):
    """The text of the bot's answer to the press `press_id` (None: answered without text),
    once it has come: a stale press may take the bot a moment longer than the chat's quiet."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        answers = [a for a in who.answers if a["query_id"] == press_id]
        if answers:
            return answers[0].get("text")
        if loop.time() > deadline:
            raise AssertionError(f"the press {press_id} of {who.first_name} was never answered")
        await asyncio.sleep(0.05)
