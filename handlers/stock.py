"""Managers' view of the stock (/stock): each warehouse's levels, the parts under their
minimum, and the ledger of movements. Stateless: its buttons ("lvl:...") carry a warehouse id
and a page, checked on the server. Its buttons that start an operation ("stk:go:<op>") are
entries of the stock flows: handlers.stock_moves (goods in, transfers, write-offs),
handlers.stock_count (counts) and handlers.parts_catalogue (/parts), all on the conversation
engine (handlers.flow); the steps they share are in handlers.stock_picking.

Also here: how a warehouse is named to people, for all of them.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import stock, stock_levels, van_requests
from core.errors import NotFound
from core.roles import require_manager

from .chat import Context, desk, keyboard, label, pager, person, say, show, toast

ID = r"\d{1,12}"
PAGE = r"\d{1,6}"
LEVEL_PAGE = 15
LEDGER_PAGE = 10
COUNT_SHOWN = 30  # parts listed under their minimum; the rest are counted
BUTTON_TEXT = 40


def warehouse_name(labels: Callable[..., str], info) -> str:
    """"Main warehouse" or "Van · Li Wei", from a core WarehouseInfo; `labels` renders a label
    key in the reader's language (turn.label, or _labels(update, context))."""
    if info.kind == stock.MAIN:
        return labels("stock_warehouse.main")
    return labels("stock_warehouse.van", name=info.technician_name or "?")


def short(text: str | None, limit: int = BUTTON_TEXT) -> str:
    """Text for a button: one line, cut with … when too long."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pages(update: Update, context: Context, page, data: str) -> list[list[tuple[str, str]]]:
    """Previous / Next buttons for a list in no time order (parts by SKU, staff by name);
    `data` is callback data with {page} in it. (chat.pager's Newer / Older suit lists
    newest first.)"""
    row = []
    if page.has_previous:
        row.append((label(update, context, "stock_button.previous"),
                    data.format(page=page.page - 1)))
    if page.has_next:
        row.append((label(update, context, "stock_button.next"), data.format(page=page.page + 1)))
    return [row] if row else []


def _labels(update: Update, context: Context) -> Callable[..., str]:
    return partial(label, update, context)


async def _manager(uow, update: Update, context: Context):
    user = await person(uow, update, context)
    require_manager(user)
    return user


# --- /stock: levels per warehouse and the ledger (stateless) ------------------------------------

async def stock_command(update: Update, context: Context):
    await _warehouses(update, context, edit=False)


async def warehouses_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _warehouses(update, context, edit=True)


async def _warehouses(update: Update, context: Context, *, edit: bool):
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        choices = await stock.warehouse_choices(uow)
        low = await stock_levels.low_stock(uow)
        documents = await stock_documents(uow, update, context)
        await uow.commit()
    rows = []
    for c in choices:
        text = warehouse_name(_labels(update, context), c)
        if c.kind == stock.MAIN and low:
            text += f" · ⚠ {len(low)}"
        rows.append([(text, f"lvl:v:{c.id}:1:a")])
    rows.append([(label(update, context, "stock_button.receive"), "stk:go:receive"),
                 (label(update, context, "stock_button.transfer"), "stk:go:transfer")])
    rows.append([(label(update, context, "stock_button.count"), "stk:go:count"),
                 (label(update, context, "stock_button.scrap"), "stk:go:scrap")])
    rows.append([(label(update, context, "stock_button.parts"), "stk:go:parts")])
    rows.append(documents)  # issue 15: van requests and count sheets on record
    reply = show if edit else say
    await reply(update, context, "stock_warehouses", low=low[:COUNT_SHOWN],
                more=max(len(low) - COUNT_SHOWN, 0), reply_markup=keyboard(rows))


async def stock_documents(uow, update: Update, context: Context) -> list[tuple[str, str]]:
    """The buttons to the van requests (with how many wait) and the count sheets."""
    waiting = await van_requests.pending_count(uow)
    return [(label(update, context, "van_button.list", waiting=waiting), "vl:1"),
            (label(update, context, "count_button.list"), "cl:1")]


async def levels_pressed(update: Update, context: Context):
    _, _, warehouse_id, page, only = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        try:
            info = await stock.warehouse_info(uow, int(warehouse_id))
        except NotFound:
            info = None
        if info is not None:
            listing = await stock_levels.levels(uow, info.id, int(page), LEVEL_PAGE,
                                         under_minimum_only=only == "l")
    if info is None:
        await toast(update, context, "toast.stale_button")
        return
    await update.callback_query.answer()
    main = info.kind == stock.MAIN
    rows = pages(update, context, listing, f"lvl:v:{info.id}:{{page}}:{only}")
    if main:
        rows.append([(label(update, context, "stock_button.all_levels" if only == "l"
                            else "stock_button.low_only"),
                      f"lvl:v:{info.id}:1:{'a' if only == 'l' else 'l'}")])
    rows.append([(label(update, context, "stock_button.history"), f"lvl:h:{info.id}:1"),
                 (label(update, context, "stock_button.warehouses"), "lvl:w")])
    await show(update, context, "stock_levels",
               warehouse=warehouse_name(_labels(update, context), info),
               main=main, lines=listing.items, total=listing.total, page=listing.page,
               pages=listing.pages, low_only=only == "l", reply_markup=keyboard(rows))


async def history_pressed(update: Update, context: Context):
    _, _, warehouse_id, page = update.callback_query.data.split(":")
    names = {}
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        try:
            info = await stock.warehouse_info(uow, int(warehouse_id))
        except NotFound:
            info = None
        if info is not None:
            listing = await stock_levels.ledger(uow, warehouse=info.id, page=int(page),
                                         page_size=LEDGER_PAGE)
            for line in listing.items:
                if line.other_warehouse_id and line.other_warehouse_id not in names:
                    other = await stock.warehouse_info(uow, line.other_warehouse_id)
                    names[other.id] = warehouse_name(_labels(update, context), other)
    if info is None:
        await toast(update, context, "toast.stale_button")
        return
    await update.callback_query.answer()
    rows = pager(update, context, listing, f"lvl:h:{info.id}:{{page}}")
    rows.append([(label(update, context, "stock_button.levels_here"), f"lvl:v:{info.id}:1:a"),
                 (label(update, context, "stock_button.warehouses"), "lvl:w")])
    await show(update, context, "stock_ledger",
               warehouse=warehouse_name(_labels(update, context), info),
               lines=listing.items, others=names, total=listing.total, page=listing.page,
               pages=listing.pages, reply_markup=keyboard(rows))


def handlers():
    """/stock and its pages."""
    return [
        CommandHandler("stock", stock_command),
        CallbackQueryHandler(warehouses_pressed, pattern=r"^lvl:w$"),
        CallbackQueryHandler(levels_pressed, pattern=rf"^lvl:v:{ID}:{PAGE}:[al]$"),
        CallbackQueryHandler(history_pressed, pattern=rf"^lvl:h:{ID}:{PAGE}$"),
    ]
