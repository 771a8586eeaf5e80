"""Managers: inviting staff."""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import invites
from core.errors import NotAllowed
from core.lifecycle import MANAGER, TECHNICIAN

from .chat import Context, desk, keyboard, label, person, say, show


async def invite_command(update: Update, context: Context):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        await uow.commit()
    if user.role != MANAGER or not user.active:
        raise NotAllowed(reason="manager_only")
    await say(update, context, "invite_choose_role", reply_markup=keyboard([[
        (label(update, context, "role.technician"), f"inv:{TECHNICIAN}"),
        (label(update, context, "role.manager"), f"inv:{MANAGER}"),
    ]]))


async def invite_role_chosen(update: Update, context: Context):
    role = update.callback_query.data.removeprefix("inv:")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        invite = await invites.create_invite(uow, user, role)  # refuses non-managers itself
        await uow.commit()
    await update.callback_query.answer()
    link = f"https://t.me/{context.bot.username}?start={invite.code}"
    await show(update, context, "invite_link", role=role, link=link, expires_at=invite.expires_at)


def handlers():
    return [
        CommandHandler("invite", invite_command),
        CallbackQueryHandler(invite_role_chosen, pattern=rf"^inv:({TECHNICIAN}|{MANAGER})$"),
    ]
