"""The technician's "ask for these parts" button on a job card (the card itself, with the
likely faults and the parts to bring, is drawn by handlers.jobs and handlers.dispatch).

Callback data: `tr:ask:<order id>`, stateless: core.triage checks that the order is the
technician's own (anyone else's is NotFound, like a missing one) and works out the shortfall
of their van afresh at each press; the same shortfall asked twice tells the managers once.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from core import triage
from core.errors import DomainError, NotAllowed

from .chat import Context, desk, keyboard, label, lang, person, say
from .notify import wake_reminders

log = logging.getLogger(__name__)

ID = r"\d{1,12}"


async def _answer(update: Update, text: str | None = None) -> None:
    try:
        await update.callback_query.answer(text)
    except TelegramError as error:
        log.warning("could not answer a button press: %s", error)


async def ask_pressed(update: Update, context: Context):
    order_id = int(update.callback_query.data.split(":")[2])
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            request, new = await triage.request_parts(uow, user, order_id,
                                                      lang(update, context))
            request, lines = await triage.request_lines(uow, request.id)
            await uow.commit()
    except NotAllowed as refused:
        if refused.details.get("reason") != "nothing_to_ask":
            await _answer(update)
            await say(update, context, "error_not_allowed", **refused.details)
            return
        why = refused.details.get("why", "no_suggestion")
        await _answer(update, label(update, context, f"triage.toast.{why}"))
        return
    except DomainError as refused:
        await _answer(update)
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await _answer(update)
    if new:
        wake_reminders(context)  # the managers hear of it now
    await say(update, context, "triage_asked", lines=lines, again=not new,
              reply_markup=keyboard([[(label(update, context, "jobs.button.open_job"),
                                       f"jb:v:{order_id}")]]))


def handlers():
    return [CallbackQueryHandler(ask_pressed, pattern=rf"^tr:ask:{ID}$")]
