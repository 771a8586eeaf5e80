"""The one place errors end up: refusals become clear messages, failures a polite apology."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from core import people
from core.errors import DomainError

from .chat import Context, desk, say

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update: %r", error, exc_info=error)
        return
    order = getattr(error, "details", {}).get("order") if isinstance(error, DomainError) else None
    if isinstance(error, DomainError):
        log.info("update %s: refused %s (order %s)", update.update_id, error, order or "-")
        template = f"error_{error.code}"
    elif isinstance(error, Forbidden) and update.effective_user:
        # They blocked the bot: there is no one to tell, and nothing should be retried.
        async with desk(context).uow() as uow:
            await people.mark_unreachable(uow, update.effective_user.id)
            await uow.commit()
        log.info("update %s: user %s blocked the bot", update.update_id, update.effective_user.id)
        return
    else:
        log.error("update %s failed (order %s, user %s)", update.update_id, order or "-",
                  update.effective_user.id if update.effective_user else "-", exc_info=error)
        template = "error_generic"
    if update.callback_query:
        try:
            await update.callback_query.answer()
        except TelegramError:
            pass  # already answered by the handler before it failed
    try:
        if update.effective_chat:
            values = getattr(error, "details", {}) if isinstance(error, DomainError) else {}
            await say(update, context, template, **values)
    except TelegramError as failed:
        log.warning("update %s: could not tell the user about the error: %s",
                    update.update_id, failed)
