"""Everyone: /start and registration, joining by invite, /help, /language, /cancel."""
from __future__ import annotations

import logging

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core import invites, people
from core.errors import InvalidInput, InviteRefused
from core.lifecycle import CUSTOMER, TECHNICIAN

from . import technician
from .chat import Context, desk, keyboard, label, person, say, show, texts, toast
from .menus import command_list, publish_chat_commands, send_menu

log = logging.getLogger(__name__)

ASK_NAME, ASK_PHONE = "ask_name", "ask_phone"
REGISTRATION_DRAFT = ("reg_name",)


async def start(update: Update, context: Context):
    payload = context.args[0] if context.args else None
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        joined = refusal = None
        if payload:
            try:
                joined = await invites.redeem_invite(uow, payload, user,
                                                     update.effective_user.full_name)
            except InviteRefused as error:
                refusal = error.details.get("reason", "unknown")
        await uow.commit()
        role, registered, name = user.role, user.registered_at is not None, user.name
        has_skills = bool(await user.awaitable_attrs.skills)
    if refusal:
        log.info("user %s: invite refused (%s)", user.id, refusal)
        await say(update, context, "invite_refused", reason=refusal)
    if joined or (role != CUSTOMER and registered):
        await publish_chat_commands(context.bot, texts(context), update.effective_chat.id,
                                    role, context.user_data["lang"])
    if joined:
        await say(update, context, "joined", role=joined)
    if role == TECHNICIAN and not has_skills:
        return await technician.ask_skills(update, context)
    if registered:
        await send_menu(update, context, role, name)
        return ConversationHandler.END
    await say(update, context, "ask_name", first_name=update.effective_user.first_name)
    return ASK_NAME


async def got_name(update: Update, context: Context):
    try:
        name = people.clean_name(update.message.text)
    except InvalidInput as error:
        await say(update, context, "error_invalid_input", **error.details)
        return None
    context.user_data["reg_name"] = name
    await say(update, context, "ask_phone", name=name, reply_markup=ReplyKeyboardMarkup(
        [[KeyboardButton(label(update, context, "button.share_phone"), request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True))
    return ASK_PHONE


async def got_phone(update: Update, context: Context):
    message = update.message
    if message.contact:
        if message.contact.user_id != update.effective_user.id:
            await say(update, context, "phone_not_yours")
            return None
        typed = message.contact.phone_number
        typed = typed if typed.startswith("+") else "+" + typed  # Telegram often omits the +
    else:
        typed = message.text
    name = context.user_data.get("reg_name")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        if not name:  # the draft is gone (e.g. cleared): ask again rather than guess
            await say(update, context, "ask_name", first_name=update.effective_user.first_name)
            return ASK_NAME
        try:
            await people.register_customer(uow, user, name, typed)
        except InvalidInput as error:
            await say(update, context, "error_invalid_input", **error.details)
            return None
        await uow.commit()
    _forget(context, REGISTRATION_DRAFT)
    await say(update, context, "registered", name=name, reply_markup=ReplyKeyboardRemove())
    await send_menu(update, context, CUSTOMER, name)
    return ConversationHandler.END


async def expected_text(update: Update, context: Context):
    await say(update, context, "expected_text")
    return None


async def expected_phone(update: Update, context: Context):
    await say(update, context, "expected_phone")
    return None


async def cancel(update: Update, context: Context):
    """/cancel inside a conversation: forget its drafts and leave it."""
    _forget(context, REGISTRATION_DRAFT + technician.SETUP_DRAFT)
    await say(update, context, "cancelled", reply_markup=ReplyKeyboardRemove())
    return ConversationHandler.END


async def nothing_to_cancel(update: Update, context: Context):
    await say(update, context, "nothing_to_cancel")


async def help_command(update: Update, context: Context):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        await uow.commit()
    await say(update, context, "help", role=user.role, commands=command_list(texts(context), context.user_data["lang"], user.role),
              registered=user.registered_at is not None)


async def language_command(update: Update, context: Context):
    await say(update, context, "language_choose", reply_markup=keyboard(
        [[("中文", "lang:zh"), ("English", "lang:en")]]))


async def language_chosen(update: Update, context: Context):
    chosen = update.callback_query.data.removeprefix("lang:")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        people.set_language(user, chosen)
        await uow.commit()
    context.user_data["lang"] = chosen
    await update.callback_query.answer()
    await show(update, context, "language_saved")
    await publish_chat_commands(context.bot, texts(context), update.effective_chat.id,
                                user.role, chosen)


async def blocked_or_unblocked(update: Update, context: Context):
    """Telegram tells us when a person blocks the bot (kicked) or comes back (member)."""
    change = update.my_chat_member
    if change.chat.type != "private":
        return
    async with desk(context).uow() as uow:
        if change.new_chat_member.status == "kicked":
            await people.mark_unreachable(uow, change.from_user.id)
        else:
            await people.ensure_user(uow, change.from_user.id)
        await uow.commit()
    log.info("user %s is now %s", change.from_user.id, change.new_chat_member.status)


async def unknown_command(update: Update, context: Context):
    await say(update, context, "unknown_command")


async def stale_button(update: Update, context: Context):
    """Any button no handler claims: old, from a finished step, or forged."""
    await toast(update, context, "toast.stale_button")


async def anything_else(update: Update, context: Context):
    await say(update, context, "not_understood")


def _forget(context: Context, keys) -> None:
    for key in keys:
        context.user_data.pop(key, None)


def conversation_handlers():
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND
    return [ConversationHandler(
        name="registration",
        persistent=True,
        allow_reentry=True,
        entry_points=[CommandHandler("start", start)],
        states={
            ASK_NAME: [MessageHandler(text, got_name), MessageHandler(other, expected_text)],
            ASK_PHONE: [MessageHandler(filters.CONTACT | text, got_phone),
                        MessageHandler(other, expected_phone)],
            **technician.setup_states(),
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )]


def handlers():
    return [
        CommandHandler("help", help_command),
        CommandHandler("language", language_command),
        CallbackQueryHandler(language_chosen, pattern=r"^lang:(zh|en)$"),
        CommandHandler("cancel", nothing_to_cancel),
        ChatMemberHandler(blocked_or_unblocked, ChatMemberHandler.MY_CHAT_MEMBER),
    ]


def catch_alls():
    return [
        MessageHandler(filters.COMMAND, unknown_command),
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.ALL & ~filters.UpdateType.EDITED, anything_else),
    ]
