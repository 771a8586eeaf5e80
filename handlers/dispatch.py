"""Managers dispatching: the unassigned orders, suggested technicians, assign and unassign.

Every button carries the order (and technician) id only; who may do it is checked in core.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core.areas import display_name
from core import dispatch, lifecycle, orders, priority, triage
from core.errors import DomainError
from core.roles import require_manager

from .chat import (
    Context,
    day_label,
    desk,
    keyboard,
    label,
    lang,
    page_turns,
    pager,
    person,
    say,
    show,
)
from .notify import wake_reminders
from .texts import window_label

log = logging.getLogger(__name__)

ID = r"\d{1,12}"


async def dispatch_command(update: Update, context: Context):
    await _list(update, context, 1, edit=False)


async def page_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _list(update, context, int(update.callback_query.data.split(":")[2]))


async def _list(update: Update, context: Context, page: int, *, edit: bool = True):
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        require_manager(manager)
        waiting = await dispatch.unassigned_orders(uow, page)
    rows = [[(_line(update, context, card), f"dp:v:{card.id}")] for card in waiting.items]
    rows += pager(update, context, waiting, "dp:p:{page}")
    reply = show if edit else say
    await reply(update, context, "dispatch_list", total=waiting.total, page=waiting.page,
                pages=waiting.pages, reply_markup=keyboard(rows) if rows else None)


def _line(update, context, card) -> str:
    when = (f"{day_label(update, context, card.booked_date)} {window_label(card.window)}"
            if card.booked_date else "-")
    what = label(update, context, f"category.{card.category or 'other'}")
    mark = label(update, context, f"priority.mark.{card.priority}")
    area = (display_name(card.area, lang(update, context), desk(context).company.area_names)
            if card.area else None)  # the district as the card names it (浦东新区, not Pudong)
    return f"{mark}{card.number} · {when} · {what}{' · ' + area if area else ''}"


async def card_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    order_id = int(update.callback_query.data.split(":")[2])
    await _card(update, context, order_id, everyone=False)


async def others_pressed(update: Update, context: Context):
    """All technicians for the order, a page at a time (dp:o:<order>[:<page>])."""
    await update.callback_query.answer()
    parts = update.callback_query.data.split(":")
    page = int(parts[3]) if len(parts) > 3 else 1
    await _card(update, context, int(parts[2]), everyone=True, page=page)


EVERYONE_PAGE = 8  # technicians per page of "all technicians": text and buttons stay small


async def _card(update: Update, context: Context, order_id: int, *, everyone: bool,
                page: int = 1):
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        require_manager(manager)
        order = await orders.find_order_for(uow, manager, order_id)
        card = await dispatch.dispatch_card(uow, manager, order)
        suggestions = await dispatch.suggest_technicians(uow, order,
                                                          None if everyone else 3)
        likely = await triage.for_order(uow, order, lang(update, context))
        vans = await triage.vans_ready(uow, manager, likely, [s.id for s in suggestions])
    pages = max(1, -(-len(suggestions) // EVERYONE_PAGE)) if everyone else 1
    page = min(max(page, 1), pages)
    if everyone:
        suggestions = suggestions[(page - 1) * EVERYONE_PAGE:page * EVERYONE_PAGE]
    rows = [[(_suggestion(update, context, s, vans.get(s.id)), f"dp:a:{order.id}:{s.id}")]
            for s in suggestions if s.assignable and s.id != order.technician_id]
    if everyone:
        rows += page_turns(update, context, page, pages, f"dp:o:{order.id}:{{page}}")
    else:
        rows.append([(label(update, context, "button.other_technician"), f"dp:o:{order.id}")])
    if order.status == lifecycle.SCHEDULED:
        rows.append([(label(update, context, "button.unassign"), f"dp:u:{order.id}")])
    if not everyone:  # the card's own page: all technicians' pages keep to technicians
        rows.append([(label(update, context, f"button.mark_{p}"), f"dp:pr:{order.id}:{p}")
                     for p in priority.PRIORITIES if p != card.priority])
        important = card.customer_important
        rows.append([(label(update, context, "button.customer_not_important" if important
                            else "button.customer_important"),
                      f"dp:ic:{order.id}:{0 if important else 1}")])
    rows.append([(label(update, context, "button.back"), "dp:p:1")])
    area = display_name(card.area, lang(update, context), desk(context).company.area_names)
    await show(update, context, "dispatch_card", order=card, area=area,
               suggestions=suggestions, everyone=everyone, page=page, pages=pages,
               triage=likely, vans=vans,
               day=day_label(update, context, card.booked_date) if card.booked_date else "",
               window=window_label(card.window) if card.window else "",
               reply_markup=keyboard(rows))


async def next_pressed(update: Update, context: Context):
    """The next order waiting for a technician, straight to its card (or the empty list)."""
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        following = await dispatch.next_unassigned(uow, manager)
    await update.callback_query.answer()
    if following is None:
        await _list(update, context, 1)
    else:
        await _card(update, context, following, everyone=False)


def _suggestion(update, context, s, van_ready: bool | None = None) -> str:
    marks = (("📍" if s.serves_area else "") + ("" if s.free else "⛔")
             + ("🧰" if van_ready else ""))
    return label(update, context, "button.assign_to", name=s.name or "?", jobs=s.jobs_that_day,
                 marks=marks)


async def assign_pressed(update: Update, context: Context):
    """Gives the order to the technician: assigns a new one, reassigns a scheduled one."""
    _, _, order_id, technician_id = update.callback_query.data.split(":")
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            order = await orders.find_order_for(uow, manager, int(order_id))
            give = dispatch.reassign if order.status == lifecycle.SCHEDULED else dispatch.assign
            await give(uow, manager, order.id, int(technician_id))
            await uow.commit()
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    log.info("order %s assigned by a manager", order.number)
    wake_reminders(context)  # the technician and the customer are told now
    await show(update, context, "dispatch_assigned", number=order.number,
               reply_markup=keyboard([[(label(update, context, "button.dispatch_next"),
                                        "dp:n")]]))


async def unassign_pressed(update: Update, context: Context):
    """Takes a scheduled order back from its technician: it waits for dispatch again."""
    order_id = int(update.callback_query.data.split(":")[2])
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            await dispatch.unassign(uow, manager, order_id)
            order = await orders.find_order_for(uow, manager, order_id)
            await uow.commit()
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    log.info("order %s unassigned by a manager", order.number)
    wake_reminders(context)
    await _card(update, context, order_id, everyone=False)


async def priority_pressed(update: Update, context: Context):
    """A manager marks the order urgent, important or normal (dp:pr:<order>:<priority>)."""
    _, _, order_id, chosen = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        await priority.mark(uow, manager, int(order_id), chosen)
        await uow.commit()
    await update.callback_query.answer(label(update, context, f"priority.{chosen}"))
    wake_reminders(context)
    await _card(update, context, int(order_id), everyone=False)


async def customer_important_pressed(update: Update, context: Context):
    """A manager marks the order's customer important or not (dp:ic:<order>:<1|0>)."""
    _, _, order_id, important = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        await priority.mark_customer(uow, manager, int(order_id), important == "1")
        await uow.commit()
    await update.callback_query.answer()
    await _card(update, context, int(order_id), everyone=False)


def handlers():
    return [
        CallbackQueryHandler(customer_important_pressed, pattern=rf"^dp:ic:{ID}:[01]$"),
        CallbackQueryHandler(priority_pressed,
                             pattern=rf"^dp:pr:{ID}:({'|'.join(priority.PRIORITIES)})$"),
        CallbackQueryHandler(unassign_pressed, pattern=rf"^dp:u:{ID}$"),
        CommandHandler("dispatch", dispatch_command),
        CallbackQueryHandler(page_pressed, pattern=r"^dp:p:\d{1,6}$"),
        CallbackQueryHandler(card_pressed, pattern=rf"^dp:v:{ID}$"),
        CallbackQueryHandler(others_pressed, pattern=rf"^dp:o:{ID}(:\d{{1,4}})?$"),
        CallbackQueryHandler(next_pressed, pattern=r"^dp:n$"),
        CallbackQueryHandler(assign_pressed, pattern=rf"^dp:a:{ID}:{ID}$"),
    ]
