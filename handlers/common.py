"""Everyone: /start and registration, joining by invite, /help, /language, /cancel."""
from __future__ import annotations

import logging

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from core import invites, people
from core.errors import InviteRefused
from core.lifecycle import CUSTOMER, TECHNICIAN

from .chat import Context, desk, keyboard, person, say, show, texts, toast
from .flow import Entry, Flow, Next, Question, Step, Turn
from .menus import command_list, publish_chat_commands, say_menu
from .technician import SETUP_STEPS

log = logging.getLogger(__name__)



async def start(turn: Turn, args: list[str]) -> Next:
    """/start: joins by an invite link's payload, then registers, sets a technician up, or
    shows the menu."""
    user, update = turn.user, turn.update
    joined = None
    if args:
        try:
            joined = await invites.redeem_invite(turn.uow, args[0], user,
                                                 update.effective_user.full_name)
        except InviteRefused as error:
            log.info("user %s: invite refused (%s)", user.id, error.details.get("reason"))
            turn.say("invite_refused", reason=error.details.get("reason", "unknown"))
    registered = user.registered_at is not None
    if joined or (user.role != CUSTOMER and registered):
        await publish_chat_commands(turn.context.bot, texts(turn.context), turn.chat_id,
                                    user.role, turn.lang)
    if joined:
        turn.say("joined", role=joined)
    if user.role == TECHNICIAN and not await user.awaitable_attrs.skills:
        turn.draft["skills"] = []
        return turn.goto("skills")
    if registered:
        say_menu(turn, user.role, user.name)
        return turn.end()
    return turn.goto("name")


async def ask_name(turn: Turn) -> Question:
    return Question("ask_name", values={"first_name": turn.update.effective_user.first_name},
                    nav=False)


async def got_name(turn: Turn, text: str) -> Next:
    turn.draft["name"] = people.clean_name(text)
    return turn.goto("phone")


async def ask_phone(turn: Turn) -> Question:
    return Question("ask_phone", values={"name": turn.draft["name"]}, nav=False,
                    keyboard=phone_keyboard(turn))


def phone_keyboard(turn: Turn) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(turn.label("button.share_phone"), request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True)


def shared_phone(turn: Turn, contact) -> str | None:
    """The number of a shared contact, if it is the person's own (else they are told)."""
    if contact.user_id != turn.update.effective_user.id:
        turn.say("phone_not_yours")
        return None
    number = contact.phone_number
    return number if number.startswith("+") else "+" + number  # Telegram often omits the +


async def got_phone(turn: Turn, typed: str) -> Next:
    name = turn.draft["name"]
    await people.register_customer(turn.uow, turn.user, name, typed)
    turn.say("registered", name=name, reply_markup=ReplyKeyboardRemove())
    say_menu(turn, CUSTOMER, name)
    return turn.end()


async def got_contact(turn: Turn, contact) -> Next:
    number = shared_phone(turn, contact)
    return await got_phone(turn, number) if number else turn.stay()


REGISTRATION = Flow(
    name="registration", prefix="rg",
    entries=[Entry(start, command="start")],
    steps={
        "name": Step(ask=ask_name, text=got_name, wrong="expected_text"),
        "phone": Step(ask=ask_phone, text=got_phone, contact=got_contact,
                      wrong="expected_phone"),
        **SETUP_STEPS,
    },
)


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
