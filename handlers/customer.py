"""Customers following their orders: the list, a card with its timeline, reschedule, cancel.

No conversation here: every button carries the order id and is checked on the server against
the pressing user (someone else's order answers exactly like a missing one).
"""
from __future__ import annotations

import logging
from datetime import date

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import booking, customer_orders, orders
from core.booking import WindowFull
from core.errors import InvalidInput

from .chat import (
    Context,
    day_label,
    desk,
    keyboard,
    label,
    person,
    rows_of,
    say,
    show,
)
from .texts import window_label

log = logging.getLogger(__name__)

ID = r"\d{1,12}"
DAY = r"\d{4}-\d{2}-\d{2}"
REASONS = "|".join(booking.CANCEL_REASONS)


async def orders_command(update: Update, context: Context):
    if context.args:  # "/orders R-1001": that order's card
        return await _send_card(update, context, " ".join(context.args)[:40])
    await _send_page(update, context, 1)


async def orders_from_menu(update: Update, context: Context):
    await update.callback_query.answer()
    await _send_page(update, context, 1, edit=False)


async def status_command(update: Update, context: Context):
    if not context.args:
        await say(update, context, "status_usage")
        return
    await _send_card(update, context, " ".join(context.args)[:40])


async def page_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _send_page(update, context, int(update.callback_query.data.split(":")[2]))


async def _send_page(update: Update, context: Context, page: int, *, edit: bool = True):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        listing = await customer_orders.list_orders(uow, user, page)
    rows = [[(_line_label(update, context, line), f"or:v:{line.id}")] for line in listing.items]
    pager = []
    if listing.has_previous:
        pager.append((label(update, context, "button.previous"), f"or:p:{listing.page - 1}"))
    if listing.has_next:
        pager.append((label(update, context, "button.next"), f"or:p:{listing.page + 1}"))
    if pager:
        rows.append(pager)
    reply = show if edit else say
    await reply(update, context, "orders_list", page=listing.page, pages=listing.pages,
                total=listing.total, reply_markup=keyboard(rows) if rows else None)


def _line_label(update, context, line) -> str:
    what = label(update, context, f"category.{line.category or 'other'}")
    when = day_label(update, context, line.booked_date) if line.booked_date else ""
    return f"{line.number} · {what} · {when} · {label(update, context, f'status.{line.status}')}"


async def card_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _send_card(update, context, int(update.callback_query.data.split(":")[2]))


async def _send_card(update: Update, context: Context, number_or_id):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        card = await customer_orders.order_card(uow, user, number_or_id)
    rows = []
    if "reschedule" in card.actions:
        rows.append([(label(update, context, "button.reschedule"), f"or:rs:{card.id}")])
    if "cancel" in card.actions:
        rows.append([(label(update, context, "button.cancel_order"), f"or:c:{card.id}")])
    rows.append([(label(update, context, "button.all_orders"), "or:p:1")])
    await show(update, context, "order_card", card=card, reply_markup=keyboard(rows),
               **_when(update, context, card))


def _when(update, context, card) -> dict:
    return {"day": day_label(update, context, card.booked_date) if card.booked_date else "",
            "window": window_label(card.window) if card.window else ""}


async def reschedule_pressed(update: Update, context: Context):
    order_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, order_id)
        booking._check_reschedulable(order)
        days = await booking.offers(uow, order.category or "other", order=order)
    await update.callback_query.answer()
    buttons = [(day_label(update, context, d.day) + ("" if d.free else " · " + label(
        update, context, "button.full")), f"or:rd:{order_id}:{d.day.isoformat()}") for d in days]
    rows = rows_of(buttons) + [[(label(update, context, "button.back"), f"or:v:{order_id}")]]
    await show(update, context, "reschedule_day", number=order.number, reply_markup=keyboard(rows))


async def reschedule_day_pressed(update: Update, context: Context):
    _, _, order_id, day = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, int(order_id))
        windows = await booking.window_offers(uow, date.fromisoformat(day),
                                              order.category or "other", order=order)
    await update.callback_query.answer()
    free = [w for w in windows if w.free > 0 and not (
        w.day == order.booked_date and w.window == order.window)]
    rows = [[(window_label(w.window), f"or:rw:{order_id}:{day}:{w.window}")] for w in free]
    rows.append([(label(update, context, "button.back"), f"or:rs:{order_id}")])
    await show(update, context, "reschedule_window", number=order.number, none_left=not free,
               day=day_label(update, context, day), reply_markup=keyboard(rows))


async def reschedule_window_pressed(update: Update, context: Context):
    _, _, order_id, day, window = update.callback_query.data.split(":", 4)
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            order = await orders.find_order_for(uow, user, int(order_id))
            await booking.reschedule(uow, user, order, day, window)
            await uow.commit()
    except (WindowFull, InvalidInput) as error:
        await update.callback_query.answer()
        await say(update, context, f"error_{error.code}", **error.details)
        return
    await update.callback_query.answer()
    log.info("order %s rescheduled by the customer", order.number)
    await show(update, context, "rescheduled", number=order.number,
               day=day_label(update, context, day), window=window_label(window),
               reply_markup=keyboard([[(label(update, context, "button.see_order"),
                                        f"or:v:{order_id}")]]))


async def cancel_pressed(update: Update, context: Context):
    order_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, order_id)
    await update.callback_query.answer()
    rows = [[(label(update, context, f"cancel_reason.{r}"), f"or:cr:{order_id}:{r}")]
            for r in booking.CANCEL_REASONS]
    rows.append([(label(update, context, "button.keep_order"), f"or:v:{order_id}")])
    await show(update, context, "cancel_reason", number=order.number, reply_markup=keyboard(rows))


async def cancel_reason_pressed(update: Update, context: Context):
    _, _, order_id, reason = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, int(order_id))
    await update.callback_query.answer()
    await show(update, context, "cancel_confirm", number=order.number,
               reason=label(update, context, f"cancel_reason.{reason}"), reply_markup=keyboard([
                   [(label(update, context, "button.cancel_yes"), f"or:cy:{order_id}:{reason}")],
                   [(label(update, context, "button.keep_order"), f"or:v:{order_id}")]]))


async def cancel_confirmed(update: Update, context: Context):
    _, _, order_id, reason = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, int(order_id))
        await booking.cancel(uow, user, order, reason)
        await uow.commit()
    await update.callback_query.answer()
    log.info("order %s cancelled by the customer (%s)", order.number, reason)
    await show(update, context, "order_cancelled", number=order.number)


def handlers():
    return [
        CommandHandler("orders", orders_command),
        CommandHandler("status", status_command),
        CallbackQueryHandler(orders_from_menu, pattern=r"^menu:orders$"),
        CallbackQueryHandler(page_pressed, pattern=r"^or:p:\d{1,6}$"),
        CallbackQueryHandler(card_pressed, pattern=rf"^or:v:{ID}$"),
        CallbackQueryHandler(reschedule_pressed, pattern=rf"^or:rs:{ID}$"),
        CallbackQueryHandler(reschedule_day_pressed, pattern=rf"^or:rd:{ID}:{DAY}$"),
        CallbackQueryHandler(reschedule_window_pressed, pattern=rf"^or:rw:{ID}:{DAY}:\d\d-\d\d$"),
        CallbackQueryHandler(cancel_pressed, pattern=rf"^or:c:{ID}$"),
        CallbackQueryHandler(cancel_reason_pressed, pattern=rf"^or:cr:{ID}:({REASONS})$"),
        CallbackQueryHandler(cancel_confirmed, pattern=rf"^or:cy:{ID}:({REASONS})$"),
    ]
