"""Each role's commands: shown in Telegram's command menu and in the /help text."""
from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from telegram import InlineKeyboardMarkup

from core.lifecycle import CUSTOMER, MANAGER, TECHNICIAN

from .chat import keyboard, texts as texts_of
from .texts import LANGUAGES, Texts

log = logging.getLogger(__name__)

ROLE_COMMANDS = {
    CUSTOMER: ("book", "deliver", "orders", "complain", "start", "help", "language", "cancel"),
    TECHNICIAN: ("jobs", "van", "request", "scorecard", "status", "start", "help", "language",
                 "cancel"),
    MANAGER: ("dispatch", "orders", "complaints", "status", "summary", "scorecard", "settle",
              "export", "staff", "invite", "stock", "parts", "labour", "receive", "transfer",
              "count", "scrap", "purchase", "suppliers", "sale", "start", "help", "language", "cancel"),
}


def command_list(texts: Texts, lang: str, role: str) -> list[tuple[str, str]]:
    """(command, description) pairs for `role`, in `lang`."""
    return [(name, texts.label(lang, f"command.{role}.{name}")
             if texts.has_label(lang, f"command.{role}.{name}")
             else texts.label(lang, f"command.{name}")) for name in ROLE_COMMANDS[role]]


def commands(texts: Texts, lang: str, role: str) -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in command_list(texts, lang, role)]


async def publish_default_commands(bot: Bot, texts: Texts, default_language: str) -> None:
    """Customers' commands for everyone, per Telegram language, and in the default language."""
    for lang in LANGUAGES:
        await bot.set_my_commands(commands(texts, lang, CUSTOMER), scope=BotCommandScopeDefault(),
                                  language_code=lang)
    await bot.set_my_commands(commands(texts, default_language, CUSTOMER),
                              scope=BotCommandScopeDefault())


async def publish_chat_commands(bot: Bot, texts: Texts, chat_id: int, role: str, lang: str) -> None:
    """One person's own menu (staff, or anyone who chose a language in the bot)."""
    try:
        await bot.set_my_commands(commands(texts, lang, role), scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:  # the menu is a convenience; never fail the action for it
        log.warning("could not set commands for chat %s: %s", chat_id, error)


def menu_buttons(texts: Texts, lang: str, role: str) -> InlineKeyboardMarkup | None:
    """The role's main actions as buttons under the menu."""
    if role != CUSTOMER:
        return None
    return keyboard([[(texts.label(lang, f"button.{action}"), f"menu:{action}")]
                     for action in ("book", "deliver", "orders")])


def menu(texts: Texts, lang: str, role: str, name: str | None) -> tuple[dict, InlineKeyboardMarkup | None]:
    """The person's menu: who they are here, their commands, and their main buttons, as the
    "menu" template's values and its buttons."""
    return (dict(role=role, name=name, commands=command_list(texts, lang, role)),
            menu_buttons(texts, lang, role))


def say_menu(turn, role: str, name: str | None) -> None:
    """Says the menu in a flow's turn (handlers.flow)."""
    values, markup = menu(texts_of(turn.context), turn.lang, role, name)
    turn.say("menu", reply_markup=markup, **values)
