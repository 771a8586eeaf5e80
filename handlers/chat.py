"""What every handler needs: the desk, who is writing, their language, and replying."""
from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from core import people
from core.desk import Desk, UnitOfWork
from core.models import User

from .texts import Texts, pick_language, split_message

Context = ContextTypes.DEFAULT_TYPE


def desk(context: Context) -> Desk:
    return context.application.bot_data["desk"]


def texts(context: Context) -> Texts:
    return context.application.bot_data["texts"]


def default_language(context: Context) -> str:
    return context.application.bot_data["default_language"]


async def person(uow: UnitOfWork, update: Update, context: Context) -> User:
    """The user behind this update (created on first contact), with their language noted."""
    tg_user = update.effective_user
    user = await people.ensure_user(uow, tg_user.id, tg_user.language_code)
    context.user_data["lang"] = language_of(user, update, context)
    return user


def language_of(user: User | None, update: Update, context: Context) -> str:
    code = update.effective_user.language_code if update.effective_user else None
    return pick_language(user.language if user else None, code, default_language(context))


def lang(update: Update, context: Context) -> str:
    """The language last seen for this person, for replies that need no database."""
    if context.user_data and context.user_data.get("lang"):
        return context.user_data["lang"]
    return language_of(None, update, context)


async def say(update: Update, context: Context, template: str, /, *, reply_markup=None,
              **values) -> Message:
    """Sends a rendered template into the chat the update came from. A refusal knows whether
    it answers a pressed button (nothing was typed) or typed text."""
    if template.startswith("error_"):
        values.setdefault("pressed", update.callback_query is not None)
    text = texts(context).render(lang(update, context), template, **values)
    return await send_long(context, update.effective_chat.id, text, reply_markup)


async def send_long(context: Context, chat_id: int, text: str, reply_markup=None) -> Message:
    """Sends `text`, in several messages when it is longer than Telegram takes (a repair
    report with many parts): the buttons come with the last. Returns the last message."""
    *first, last = split_message(text)
    for part in first:
        await context.bot.send_message(chat_id, part, parse_mode=ParseMode.HTML)
    return await context.bot.send_message(chat_id, last, parse_mode=ParseMode.HTML,
                                          reply_markup=reply_markup)


async def show(update: Update, context: Context, template: str, /, *, reply_markup=None,
               **values) -> None:
    """Replaces the pressed button's message with a rendered template (or sends one)."""
    query = update.callback_query
    if query is None or query.message is None:
        await say(update, context, template, reply_markup=reply_markup, **values)
        return
    text = texts(context).render(lang(update, context), template, **values)
    *first, last = split_message(text)
    if first:  # too long for one message: the start in place, the rest (and buttons) after
        await query.edit_message_text(first[0], parse_mode=ParseMode.HTML)
        await send_long(context, update.effective_chat.id, "\n".join([*first[1:], last]),
                        reply_markup)
        return
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=reply_markup)
    except BadRequest as error:
        if "not modified" in str(error).lower():  # pressing twice changes nothing: fine
            return
        # Telegram refuses to edit it (too old, not a text message): a new message instead.
        await send_long(context, update.effective_chat.id, text, reply_markup)


async def toast(update: Update, context: Context, key: str, /, **params) -> None:
    """Answers a button press with a short notice (plain text, from labels)."""
    await update.callback_query.answer(texts(context).label(lang(update, context), key, **params))


def label(update: Update, context: Context, key: str, /, **params) -> str:
    return texts(context).label(lang(update, context), key, **params)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline buttons from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows])


def rows_of(buttons: list[tuple[str, str]], per_row: int = 2) -> list[list[tuple[str, str]]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def day_label(update: Update, context: Context, day: date | str) -> str:
    return texts(context).day(lang(update, context), day)


def pager(update: Update, context: Context, page, data: str) -> list[list[tuple[str, str]]]:
    """Newer / Older buttons for a core Page; `data` is callback data with {page} in it."""
    row = []
    if page.has_previous:
        row.append((label(update, context, "button.previous"), data.format(page=page.page - 1)))
    if page.has_next:
        row.append((label(update, context, "button.next"), data.format(page=page.page + 1)))
    return [row] if row else []


def page_turns(update: Update, context: Context, page: int, pages: int,
               data: str) -> list[list[tuple[str, str]]]:
    """◀ Previous page / Next page ▶ for a list in a fixed order (not newest first: see
    `pager`); `data` is callback data with {page} in it."""
    row = []
    if page > 1:
        row.append((label(update, context, "button.page_previous"), data.format(page=page - 1)))
    if page < pages:
        row.append((label(update, context, "button.page_next"), data.format(page=page + 1)))
    return [row] if row else []


async def on_newest_question(update: Update, context: Context, newest: int | None) -> bool:
    """A conversation's buttons count only on its newest question (message id `newest`): an
    older message's are out of date, and pressing one says so instead of acting."""
    query = update.callback_query
    if query.message is None or query.message.message_id != newest:
        await toast(update, context, "toast.stale_button")
        return False
    return True
