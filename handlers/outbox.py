"""A conversation's outbox: the messages a step says, kept as data in the chat's row and
sent only after the step's unit of work commits (handlers.flow_engine), so a crash between the
two sends them later instead of losing them or sending what was never committed."""
from __future__ import annotations

import logging
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from core import conversations
from core.conversations import ChatState

from .texts import split_message

log = logging.getLogger(__name__)


async def deliver(bot, the_desk, row: ChatState) -> None:
    """Sends the row's outbox, then notes it sent (and the question's message id)."""
    if not row.outbox:
        return
    question_id = first = None
    for item in row.outbox:
        try:
            sent = await send(bot, row.chat_id, item)
        except BadRequest as error:
            # Telegram will never take this one: passed over (and logged), or every later
            # input of this person would meet it again.
            log.error("chat %s: a message was refused and is dropped: %s", row.chat_id, error)
            continue
        first = first if first is not None else sent
        if item.get("question"):
            question_id = sent
    await conversations.delivered(the_desk, row.chat_id, row.version, question_id, first)



def messages(text: str, markup) -> list[dict]:
    """A rendered text as outbox items: in parts when longer than Telegram takes, the markup
    with the last."""
    *before, last = split_message(text)
    return [{"text": part} for part in before] + [message(last, markup)]


def message(text: str, markup) -> dict:
    item: dict[str, Any] = {"text": text}
    if isinstance(markup, InlineKeyboardMarkup):
        item["inline"] = markup.to_dict()["inline_keyboard"]
    elif isinstance(markup, ReplyKeyboardMarkup):
        item["keyboard"] = markup.to_dict()
    elif isinstance(markup, ReplyKeyboardRemove):
        item["remove_keyboard"] = True
    return item


def markup_of(item: dict):
    if "inline" in item:
        return InlineKeyboardMarkup.de_json({"inline_keyboard": item["inline"]}, None)
    if "keyboard" in item:
        return ReplyKeyboardMarkup.de_json(item["keyboard"], None)
    if item.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    return None


async def send(bot, chat_id: int, item: dict) -> int:
    if item.get("edit"):
        try:
            await bot.edit_message_text(item["text"], chat_id=chat_id, message_id=item["edit"],
                                        parse_mode=ParseMode.HTML, reply_markup=markup_of(item))
            return item["edit"]
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return item["edit"]
            log.info("chat %s: could not edit message %s (%s): sent anew", chat_id,
                     item["edit"], error)
    message = await bot.send_message(chat_id, item["text"], parse_mode=ParseMode.HTML,
                                     reply_markup=markup_of(item))
    return message.message_id


def inline_keyboard(rows: list[list[tuple[str, str]]], prefix: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=f"{prefix}:{value}")
                                  for text, value in row] for row in rows])
