"""Technicians: choosing their appliance categories and service areas after joining."""
from __future__ import annotations

import re

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from core import people
from core.errors import InvalidInput
from core.lifecycle import TECHNICIAN

from .chat import Context, desk, keyboard, label, person, say, show, toast
from .menus import send_menu

PICK_SKILLS, PICK_AREAS = "pick_skills", "pick_areas"
SETUP_DRAFT = ("skills", "areas", "setup_message")


def _skills_keyboard(update: Update, context: Context):
    chosen = set(context.user_data.get("skills", []))
    rows = [[(("✅ " if c in chosen else "") + label(update, context, f"category.{c}"), f"sk:{c}")]
            for c in people.APPLIANCE_CATEGORIES]
    rows.append([(label(update, context, "button.done"), "sk:done")])
    return keyboard(rows)


def _areas_keyboard(update: Update, context: Context):
    chosen = set(context.user_data.get("areas", []))
    areas = desk(context).company.service_areas
    # Areas go by their position: a name may be longer than callback data allows.
    rows = [[(("✅ " if a in chosen else "") + a, f"ar:{i}")] for i, a in enumerate(areas)]
    rows.append([(label(update, context, "button.done"), "ar:done")])
    return keyboard(rows)


async def ask_skills(update: Update, context: Context):
    context.user_data["skills"] = []
    message = await say(update, context, "pick_skills", reply_markup=_skills_keyboard(update, context))
    context.user_data["setup_message"] = message.message_id
    return PICK_SKILLS


async def _is_current(update: Update, context: Context) -> bool:
    """Only the newest setup message's buttons count; older ones are out of date."""
    if update.callback_query.message.message_id != context.user_data.get("setup_message"):
        await toast(update, context, "toast.stale_button")
        return False
    return True


async def toggle_skill(update: Update, context: Context):
    if not await _is_current(update, context):
        return None
    category = update.callback_query.data.removeprefix("sk:")
    chosen = context.user_data.setdefault("skills", [])
    chosen.remove(category) if category in chosen else chosen.append(category)
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(_skills_keyboard(update, context))
    return None


async def skills_done(update: Update, context: Context):
    if not await _is_current(update, context):
        return None
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        try:
            await people.set_skills(uow, user, context.user_data.get("skills", []))
        except InvalidInput:
            await toast(update, context, "toast.choose_one")
            return None
        await uow.commit()
    await update.callback_query.answer()
    names = [label(update, context, f"category.{c}") for c in context.user_data["skills"]]
    await show(update, context, "skills_saved", skills=names)
    context.user_data["areas"] = []
    message = await say(update, context, "pick_areas", reply_markup=_areas_keyboard(update, context))
    context.user_data["setup_message"] = message.message_id
    return PICK_AREAS


async def toggle_area(update: Update, context: Context):
    if not await _is_current(update, context):
        return None
    areas = desk(context).company.service_areas
    index = int(update.callback_query.data.removeprefix("ar:"))
    if index >= len(areas):  # forged, or the company changed its areas meanwhile
        await toast(update, context, "toast.stale_button")
        return None
    chosen = context.user_data.setdefault("areas", [])
    area = areas[index]
    chosen.remove(area) if area in chosen else chosen.append(area)
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(_areas_keyboard(update, context))
    return None


async def areas_done(update: Update, context: Context):
    if not await _is_current(update, context):
        return None
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        try:
            await people.set_areas(uow, user, context.user_data.get("areas", []))
        except InvalidInput:
            await toast(update, context, "toast.choose_one")
            return None
        await uow.commit()
        name = user.name
    await update.callback_query.answer()
    await show(update, context, "areas_saved", areas=context.user_data["areas"])
    for key in SETUP_DRAFT:
        context.user_data.pop(key, None)
    await send_menu(update, context, TECHNICIAN, name)
    return ConversationHandler.END


async def use_buttons(update: Update, context: Context):
    await say(update, context, "use_buttons")
    return None


def setup_states():
    skill = "|".join(re.escape(c) for c in people.APPLIANCE_CATEGORIES)
    other = ~filters.COMMAND
    return {
        PICK_SKILLS: [
            CallbackQueryHandler(toggle_skill, pattern=rf"^sk:({skill})$"),
            CallbackQueryHandler(skills_done, pattern=r"^sk:done$"),
            MessageHandler(other, use_buttons),
        ],
        PICK_AREAS: [
            CallbackQueryHandler(toggle_area, pattern=r"^ar:\d{1,3}$"),
            CallbackQueryHandler(areas_done, pattern=r"^ar:done$"),
            MessageHandler(other, use_buttons),
        ],
    }
