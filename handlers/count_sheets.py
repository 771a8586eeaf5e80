"""Count sheets in chat (core.count_sheets): the count flow (handlers.stock_count) records one;
here are its stateless buttons and notices.

"cs:c:<id>" confirms a sheet that waits (another manager than the one who counted, where
there are two or more); "cs:x:<id>" sends it as a CSV file (UTF-8 with a BOM, like /export).
Both check on the server that the person is an active manager. The other managers' notice of
a sheet to confirm, and the last working day's reminder to count, are rendered by `notice`.
"""
from __future__ import annotations

import logging
from functools import partial

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler

from core import count_sheets, stock
from core.errors import DomainError, NotAllowed, NotFound
from core.models import Reminder, User

from .chat import Context, desk, keyboard, label, lang, person, say, show, texts
from .notify import wake_reminders
from .stock import pages, short, warehouse_name

log = logging.getLogger(__name__)

ID = r"\d{1,12}"
KINDS = ("count_sheet", "count_due")
SHEET_SHOWN = 20  # differences listed on a sheet's card (all of them are in its CSV)


def sheet_buttons(labels, sheet: count_sheets.SheetView) -> list[list[tuple[str, str]]]:
    rows = []
    if sheet.status == count_sheets.AWAITING:
        rows.append([(labels("count_button.confirm"), f"cs:c:{sheet.id}")])
    rows.append([(labels("count_button.csv"), f"cs:x:{sheet.id}")])
    return rows


def card_values(labels, sheet: count_sheets.SheetView, info) -> dict:
    differences = sheet.differences
    return dict(sheet=sheet, warehouse=warehouse_name(labels, info),
                differences=differences[:SHEET_SHOWN],
                more=max(len(differences) - SHEET_SHOWN, 0))


async def confirm_pressed(update: Update, context: Context):
    sheet_id = int(update.callback_query.data.split(":")[2])
    labels = partial(label, update, context)
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            await count_sheets.confirm(uow, manager, sheet_id)
            sheet = await count_sheets.view(uow, manager, sheet_id)
            info = await stock.warehouse_info(uow, sheet.warehouse_id)
            await uow.commit()
    except NotAllowed as refused:
        await update.callback_query.answer()
        if refused.details.get("reason") == "own_count":
            await say(update, context, "count_sheet_not_yours")
        else:
            await say(update, context, f"error_{refused.code}", **refused.details)
        return
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    log.info("count sheet %s confirmed in chat", sheet_id)
    wake_reminders(context)  # a part now under its minimum is told
    await show(update, context, "count_sheet_card", **card_values(labels, sheet, info),
               reply_markup=keyboard(sheet_buttons(labels, sheet)))


async def csv_pressed(update: Update, context: Context):
    sheet_id = int(update.callback_query.data.split(":")[2])
    language = lang(update, context)
    words = lambda key: texts(context).label(language, f"count_column.{key}")  # noqa: E731
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            language = lang(update, context)
            sheet = await count_sheets.view(uow, manager, sheet_id)
            info = await stock.warehouse_info(uow, sheet.warehouse_id)
            place = warehouse_name(partial(label, update, context), info)
            data, filename = count_sheets.export_csv(uow, sheet, place, words)
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    caption = texts(context).render(language, "count_sheet_csv", sheet=sheet, warehouse=place)
    await context.bot.send_document(update.effective_chat.id, document=data, filename=filename,
                                    caption=caption, parse_mode=ParseMode.HTML)


async def list_pressed(update: Update, context: Context):
    """The count sheets on record, waiting ones first (from /stock)."""
    page = int(update.callback_query.data.split(":")[1])
    labels = partial(label, update, context)
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            listing = await count_sheets.listing(uow, manager, page)
            places = {}
            for item in listing.items:
                if item.warehouse_id not in places:
                    places[item.warehouse_id] = warehouse_name(
                        labels, await stock.warehouse_info(uow, item.warehouse_id))
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    rows = [[(short(labels("count_button.item", number=s.id, warehouse=places[s.warehouse_id],
                           status=labels(f"count_status.{s.status}")), 60), f"cs:v:{s.id}")]
            for s in listing.items]
    rows += pages(update, context, listing, "cl:{page}")
    rows.append([(labels("stock_button.warehouses"), "lvl:w")])
    await show(update, context, "count_sheet_list", sheets=listing.items, places=places,
               total=listing.total, page=listing.page, pages=listing.pages,
               reply_markup=keyboard(rows))


async def view_pressed(update: Update, context: Context):
    sheet_id = int(update.callback_query.data.split(":")[2])
    labels = partial(label, update, context)
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            sheet = await count_sheets.view(uow, manager, sheet_id)
            info = await stock.warehouse_info(uow, sheet.warehouse_id)
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    rows = sheet_buttons(labels, sheet) + [[(labels("count_button.list_back"), "cl:1")]]
    await show(update, context, "count_sheet_card", **card_values(labels, sheet, info),
               reply_markup=keyboard(rows))


def handlers():
    return [
        CallbackQueryHandler(list_pressed, pattern=r"^cl:\d{1,6}$"),
        CallbackQueryHandler(view_pressed, pattern=rf"^cs:v:{ID}$"),
        CallbackQueryHandler(confirm_pressed, pattern=rf"^cs:c:{ID}$"),
        CallbackQueryHandler(csv_pressed, pattern=rf"^cs:x:{ID}$"),
    ]


async def notice(uow, texts_, lang_: str, recipient: User,
                 reminder: Reminder) -> tuple[dict, list] | None:
    """A sheet to confirm, or the reminder to count; None when nothing is left to say."""
    labels = lambda key, **params: texts_.label(lang_, key, **params)  # noqa: E731
    if recipient.role != "manager" or not recipient.active:
        return None
    if reminder.kind == "count_due":
        return {}, [[(labels("stock_button.count"), "stk:go:count")]]
    try:
        sheet = await count_sheets.view(uow, recipient, count_sheets.sheet_id_of(reminder))
    except NotFound:
        return None
    if sheet.status != count_sheets.AWAITING:
        return None
    info = await stock.warehouse_info(uow, sheet.warehouse_id)
    return card_values(labels, sheet, info), sheet_buttons(labels, sheet)
