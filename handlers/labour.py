"""Managers' /labour: the labour items quotes are built from, per appliance, a page at a time.

Stateless buttons: lb:menu (the appliances), lb:c:<category or any>:<page>. Adding or
changing items in chat is a conversation (not here); `python -m bot import-labour` does it.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import catalogue
from core.catalogue import ANY_APPLIANCE
from core.lifecycle import APPLIANCE_CATEGORIES
from core.roles import require_manager

from .chat import Context, desk, keyboard, label, page_turns, person, rows_of, say, show

PAGE_SIZE = 10
CATEGORY = "|".join((ANY_APPLIANCE, *APPLIANCE_CATEGORIES))


async def labour_command(update: Update, context: Context):
    await _menu(update, context, edit=False)


async def menu_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _menu(update, context, edit=True)


async def _menu(update: Update, context: Context, *, edit: bool):
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        counts = await catalogue.labour_counts(uow, manager)
    buttons = [(_name(update, context, ANY_APPLIANCE) + f" ({counts.get(None, 0)})",
                f"lb:c:{ANY_APPLIANCE}:1")]
    buttons += [(_name(update, context, c) + f" ({counts.get(c, 0)})", f"lb:c:{c}:1")
                for c in APPLIANCE_CATEGORIES]
    reply = show if edit else say
    await reply(update, context, "labour_menu", total=sum(counts.values()),
                reply_markup=keyboard(rows_of(buttons)))


def _name(update, context, category: str) -> str:
    return label(update, context, "labour.any" if category == ANY_APPLIANCE
                 else f"category.{category}")


async def category_pressed(update: Update, context: Context):
    _, _, category, page = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        require_manager(manager)
        listing = await catalogue.labour_items(uow, int(page), PAGE_SIZE, category=category)
    await update.callback_query.answer()
    rows = page_turns(update, context, listing.page, listing.pages, f"lb:c:{category}:{{page}}")
    rows.append([(label(update, context, "button.back"), "lb:menu")])
    await show(update, context, "labour_list", appliance=_name(update, context, category),
               any=category == ANY_APPLIANCE, items=listing.items, total=listing.total,
               page=listing.page, pages=listing.pages, reply_markup=keyboard(rows))


def handlers():
    return [
        CommandHandler("labour", labour_command),
        CallbackQueryHandler(menu_pressed, pattern=r"^lb:menu$"),
        CallbackQueryHandler(category_pressed, pattern=rf"^lb:c:({CATEGORY}):\d{{1,6}}$"),
    ]
