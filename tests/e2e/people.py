"""Putting people in place for end-to-end tests: customers register through the chat itself;
technicians and sales orders, whose own flows are tested elsewhere, are made through core."""
from __future__ import annotations

from core import people, sales
from core.lifecycle import MANAGER


async def registered_customer(telegram, user_id: int, name: str, *, language_code="en",
                              phone="+8613800138000"):
    """A customer who has registered in chat (name, then phone by the contact button)."""
    customer = telegram.user(user_id, name, language_code=language_code)
    await customer.send("/start")
    await customer.reply()
    await customer.send(name)
    await customer.reply()
    await customer.send_contact(phone=phone)
    await customer.replies(2)
    return customer


async def technician(desk, telegram_id: int, name: str, categories=("tv",), areas=("Pudong",),
                     *, telegram=None):
    """A technician made through core; with `telegram`, also the person in the chat (they
    joined by an invite, so the bot may write to them)."""
    if telegram is not None:
        telegram.user(telegram_id, name.split()[0], started=True)
    async with desk.uow() as uow:
        user = await people.ensure_user(uow, telegram_id)
        people.make_staff(uow, user, "technician", name)
        await people.set_skills(uow, user, list(categories))
        await people.set_areas(uow, user, list(areas))
        await uow.commit()
        return user.id


async def sales_order(desk, number="S-2026-0042", phone="+8613900139000",
                      address="8 Century Ave, Pudong, flat 1201", category="refrigerator"):
    async with desk.uow() as uow:
        manager = await people.ensure_user(uow, 77)
        manager.role = MANAGER
        order = await sales.register_sales_order(
            uow, manager, number=number, customer_name="Ann", phone=phone, address=address,
            category=category, brand="Haier", model="BCD-500")
        await uow.commit()
        return order.id
