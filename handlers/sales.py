"""Managers registering a sales order (/sale) from the printed receipt, so that its buyer can
book delivery and installation with /deliver.

One question a step (number, buyer's name, phone, delivery address, appliance category, brand,
model), each with Back and Cancel, then a summary to confirm. The answers so far are a draft
in user_data["sale"]; the steps are states of handlers.stock's "stock_and_sales" conversation,
so starting /sale leaves a stock operation and the other way round. Buttons ("sal:...") are
checked against the newest question message.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core import booking, people, sales
from core.errors import InvalidInput
from core.roles import require_manager

from .booking import BRANDS
from .chat import (
    Context,
    desk,
    keyboard,
    label,
    on_newest_question,
    person,
    rows_of,
    say,
)
from .stock import STALE, refuse

log = logging.getLogger(__name__)

DRAFT = "sale"
STOCK_DRAFT = "stock"
STEPS = ("sale_number", "sale_name", "sale_phone", "sale_address", "sale_category",
         "sale_brand", "sale_model", "sale_confirm")
END = ConversationHandler.END


def draft(context: Context) -> dict:
    return context.user_data.setdefault(DRAFT, {})


async def ask(update: Update, context: Context, step: str):
    d = draft(context)
    d["step"] = step
    template, values, rows = QUESTIONS[step](update, context, d)
    nav = [(label(update, context, "button.cancel"), "sal:cancel")]
    if STEPS.index(step) > 0:
        nav.insert(0, (label(update, context, "button.back"), "sal:back"))
    message = await say(update, context, template, reply_markup=keyboard(rows + [nav]),
                        **values)
    d["message"] = message.message_id
    return step


async def advance(update: Update, context: Context):
    d = draft(context)
    if d.pop("editing", False):  # a refused number typed again: straight back to the summary
        return await ask(update, context, "sale_confirm")
    return await ask(update, context, STEPS[STEPS.index(d["step"]) + 1])


async def current_button(update: Update, context: Context) -> bool:
    return await on_newest_question(update, context, draft(context).get("message"))


def button_step(handler):
    """A button of the sales order's steps: checked to be current, handled, answered."""
    async def checked(update: Update, context: Context):
        if not await current_button(update, context):
            return None
        result = await handler(update, context, update.callback_query.data.split(":", 2)[-1])
        if result is STALE:
            return None
        await update.callback_query.answer()
        return result
    return checked


def text_step(clean):
    """A typed answer, cleaned by `clean` (InvalidInput: explained, the step stays), stored
    under the step's name."""
    async def typed(update: Update, context: Context):
        try:
            value = clean(update.message.text)
        except InvalidInput as error:
            await say(update, context, "stock_invalid", **error.details)
            return None
        d = draft(context)
        d[d["step"].removeprefix("sale_")] = value
        return await advance(update, context)
    return typed


# --- starting, leaving ------------------------------------------------------------------------

async def start(update: Update, context: Context):
    if update.callback_query:
        await update.callback_query.answer()
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        require_manager(user)
        await uow.commit()
    context.user_data.pop(STOCK_DRAFT, None)
    context.user_data[DRAFT] = {}
    return await ask(update, context, STEPS[0])


async def back(update: Update, context: Context):
    if not await current_button(update, context):
        return None
    await update.callback_query.answer()
    d = draft(context)
    d.pop("editing", None)
    return await ask(update, context, STEPS[max(STEPS.index(d["step"]) - 1, 0)])


async def cancel(update: Update, context: Context):
    if update.callback_query:
        if not await current_button(update, context):
            return None
        await update.callback_query.answer()
    context.user_data.pop(DRAFT, None)
    await say(update, context, "sale_cancelled")
    return END


# --- the questions ----------------------------------------------------------------------------

def _question(template: str, **values):
    return lambda update, context, d: (template, values, [])


def q_category(update, context, d):
    return "sale_ask", dict(step="category"), rows_of(
        [(label(update, context, f"category.{c}"), f"sal:cat:{c}")
         for c in people.APPLIANCE_CATEGORIES])


def q_brand(update, context, d):
    buttons = [(b, f"sal:brand:{i}") for i, b in enumerate(BRANDS)]
    buttons.append((label(update, context, "button.other_brand"), "sal:brand:other"))
    rows = rows_of(buttons, 3)
    rows.append([(label(update, context, "button.skip"), "sal:skip:brand")])
    return "sale_ask", dict(step="brand"), rows


def q_model(update, context, d):
    return "sale_ask", dict(step="model"), [
        [(label(update, context, "button.skip"), "sal:skip:model")]]


def q_confirm(update, context, d):
    return "sale_summary", dict(
        number=d["number"], name=d["name"], phone=d["phone"], address=d["address"],
        category=label(update, context, f"category.{d['category']}"),
        brand=d.get("brand"), model=d.get("model")), [
        [(label(update, context, "sale_button.register"), "sal:ok")]]


QUESTIONS = {
    "sale_number": _question("sale_ask", step="number"),
    "sale_name": _question("sale_ask", step="name"),
    "sale_phone": _question("sale_ask", step="phone"),
    "sale_address": _question("sale_ask", step="address",
                              maximum=booking.ADDRESS_MAX),
    "sale_category": q_category,
    "sale_brand": q_brand,
    "sale_model": q_model,
    "sale_confirm": q_confirm,
}


# --- the answers ------------------------------------------------------------------------------

def _appliance_text(field):
    return lambda text: booking.clean_text(text, field, minimum=1,
                                           maximum=booking.APPLIANCE_TEXT_MAX)


typed_number = text_step(lambda text: sales.clean_sales_number(text)[0])
typed_name = text_step(people.clean_name)
typed_phone = text_step(people.clean_phone)
typed_address = text_step(lambda text: booking.clean_text(
    text, "address", minimum=1, maximum=booking.ADDRESS_MAX))
typed_brand = text_step(_appliance_text("brand"))
typed_model = text_step(_appliance_text("model"))


@button_step
async def chose_category(update, context, category):
    draft(context)["category"] = category
    return await advance(update, context)


@button_step
async def chose_brand(update, context, choice):
    if choice == "other":
        await say(update, context, "sale_ask", step="brand_text")
        return None
    index = int(choice)
    if index >= len(BRANDS):
        return await refuse(update, context)
    draft(context)["brand"] = BRANDS[index]
    return await advance(update, context)


@button_step
async def skipped(update, context, field):
    d = draft(context)
    if f"sale_{field}" != d["step"]:
        return await refuse(update, context)
    d[field] = None
    return await advance(update, context)


@button_step
async def confirmed(update, context, _):
    d = draft(context)
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            order = await sales.register_sales_order(
                uow, manager, number=d["number"], customer_name=d["name"], phone=d["phone"],
                address=d["address"], category=d["category"], brand=d.get("brand"),
                model=d.get("model"))
            number, phone = order.number, order.phone
            await uow.commit()
    except InvalidInput as error:
        await say(update, context, "stock_invalid", **error.details)
        field = error.details.get("field")
        step = {"sales_number": "sale_number", "name": "sale_name", "phone": "sale_phone",
                "address": "sale_address", "category": "sale_category",
                "brand": "sale_brand", "model": "sale_model"}.get(field, "sale_confirm")
        if step != "sale_confirm":
            d["editing"] = True
        return await ask(update, context, step)
    context.user_data.pop(DRAFT, None)
    log.info("sales order %s registered in chat", number)
    await say(update, context, "sale_registered", number=number, name=d["name"], phone=phone,
              reply_markup=keyboard([[(label(update, context, "sale_button.another"),
                                       "sal:new")]]))
    return END


async def use_buttons(update: Update, context: Context):
    await say(update, context, "use_buttons")
    return None


async def type_it(update: Update, context: Context):
    await say(update, context, "expected_text")
    return None


# --- wiring: parts of handlers.stock's conversation -------------------------------------------

def entry_points():
    return [CommandHandler(["sale", "salesorder"], start),
            CallbackQueryHandler(start, pattern=r"^sal:new$")]


def states():
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND
    typed_only = [MessageHandler(other, type_it)]
    cats = "|".join(people.APPLIANCE_CATEGORIES)
    return {
        "sale_number": [MessageHandler(text, typed_number), *typed_only],
        "sale_name": [MessageHandler(text, typed_name), *typed_only],
        "sale_phone": [MessageHandler(text, typed_phone), *typed_only],
        "sale_address": [MessageHandler(text, typed_address), *typed_only],
        "sale_category": [CallbackQueryHandler(chose_category, pattern=rf"^sal:cat:({cats})$"),
                          MessageHandler(other, use_buttons)],
        "sale_brand": [CallbackQueryHandler(chose_brand, pattern=r"^sal:brand:(\d{1,2}|other)$"),
                       CallbackQueryHandler(skipped, pattern=r"^sal:skip:brand$"),
                       MessageHandler(text, typed_brand), *typed_only],
        "sale_model": [CallbackQueryHandler(skipped, pattern=r"^sal:skip:model$"),
                       MessageHandler(text, typed_model), *typed_only],
        "sale_confirm": [CallbackQueryHandler(confirmed, pattern=r"^sal:ok$"),
                         MessageHandler(other, use_buttons)],
    }


def fallbacks():
    return [CallbackQueryHandler(back, pattern=r"^sal:back$"),
            CallbackQueryHandler(cancel, pattern=r"^sal:cancel$")]
