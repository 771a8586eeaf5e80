"""Staff acting through core, for tests whose subject is what the customer sees (the staff's
own chat flows are tested in their own files)."""
from __future__ import annotations

from sqlalchemy import select

from core import booking, catalogue, dispatch, jobs, people, quotes, stock
from core.models import ServiceOrder, User
from tests.e2e.conftest import MANAGER_ID


async def act(bot, telegram_id: int, number: str, service, *args, **kwargs):
    """Runs one core service as the user `telegram_id`, on the order `number`, committed."""
    async with bot.desk.uow() as uow:
        actor = await people.ensure_user(uow, telegram_id)  # the manager may not have written
        order = await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == number))
        result = await service(uow, actor, order, *args, **kwargs)
        await uow.commit()
    bot.reminders.wake()
    return result


async def assign(bot, number: str, technician_telegram_id: int):
    async with bot.desk.uow() as uow:
        technician = await uow.session.scalar(
            select(User).where(User.telegram_id == technician_telegram_id))
    return await act(bot, MANAGER_ID, number, dispatch.assign, technician.id)


async def parts_catalogue(bot, *, van_of: int | None = None):
    """A compressor (12 months' warranty) and labour; two compressors in the van of
    `van_of` (a technician's Telegram id)."""
    async with bot.desk.uow() as uow:
        boss = await people.ensure_user(uow, MANAGER_ID)
        part = await catalogue.add_part(uow, boss, sku="CMP-01", name="Compressor",
                                        price=45000, warranty_months=12)
        await catalogue.add_labour_item(uow, boss, code="LAB", name="Repair labour",
                                        price=8000)
        if van_of:
            technician = await uow.session.scalar(select(User).where(User.telegram_id == van_of))
            await stock.receive(uow, boss, part, 2)
            await stock.transfer(uow, boss, part, 2, await stock.main_warehouse(uow),
                                 await stock.van(uow, technician))
        await uow.commit()


async def diagnose_and_quote(bot, technician: int, number: str, *, parts=1, customer=None):
    """The technician sets off (the customer, if given, hears it before they arrive: a
    notice the order has moved past by the time it is sent is not sent), arrives, diagnoses
    and sends a quote (labour + parts)."""
    await act(bot, technician, number, jobs.start_trip)
    if customer is not None:
        on_my_way = await customer.reply(timeout=10)
        assert "🚗" in on_my_way.text, on_my_way.text
    await act(bot, technician, number, jobs.arrive)
    await act(bot, technician, number, jobs.diagnose, "Compressor burnt out")
    async with bot.desk.uow() as uow:
        labour = await catalogue.get_labour_item(uow, "LAB")
        part = await catalogue.get_part(uow, "CMP-01")
    await act(bot, technician, number, quotes.add_labour, labour)
    if parts:
        await act(bot, technician, number, quotes.add_part, part, parts)
    return await act(bot, technician, number, quotes.send_quote)


async def booked_through_core(bot, customer_telegram_id: int, category="refrigerator",
                              day="2026-11-25", window="09-12") -> str:
    """A repair booked for a registered customer without the chat (its own tests cover it)."""
    async with bot.desk.uow() as uow:
        customer = await uow.session.scalar(
            select(User).where(User.telegram_id == customer_telegram_id))
        order = await booking.book_repair(uow, customer, category=category,
                                          description="Not cooling", address="1 Main St",
                                          day=day, window=window)
        await uow.commit()
        return order.number
