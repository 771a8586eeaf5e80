"""/scorecard: a manager sees every technician's month (ranked, paged, this month or last,
and a ranking chart); a technician sees their own. Buttons carry only the month and a page:
who may see what is checked in core (core.scorecards) at every press."""
from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import charts, scorecards
from core.lifecycle import MANAGER
from core.scorecards import MONTHS

from .chat import (
    Context,
    desk,
    keyboard,
    label,
    lang,
    page_turns,
    person,
    say,
    show,
    texts,
)

log = logging.getLogger(__name__)

MONTH = "|".join(MONTHS)


def month_label(words, language: str, period) -> str:
    first = period.first_day
    return words.label(language, "scorecards.month", year=first.year, month=first.month,
                       month_name=words.label(language, f"month.{first.month}"))


def _buttons(update, context, found, which: str, manager: bool) -> list:
    rows = [[(label(update, context, f"scorecards.button.{m}"), f"sc:{m}:1") for m in MONTHS]]
    if manager:
        rows += page_turns(update, context, found.page, found.pages, f"sc:{which}:{{page}}")
        rows.append([(label(update, context, "scorecards.button.chart"), f"scc:{which}")])
    return rows


async def _scorecards(update: Update, context: Context, which: str, page: int, *, edit: bool):
    async with desk(context).uow() as uow:
        viewer = await person(uow, update, context)
        found = await scorecards.scorecards(uow, viewer, which, page)  # refuses others
        await uow.commit()
    manager = viewer.role == MANAGER
    if update.callback_query:
        await update.callback_query.answer()
    reply = show if edit else say
    await reply(update, context, "scorecard_card", sc=found, manager=manager,
                month=month_label(texts(context), lang(update, context), found.period),
                reply_markup=keyboard(_buttons(update, context, found, which, manager)))


async def scorecard_command(update: Update, context: Context):
    await _scorecards(update, context, "this", 1, edit=False)


async def scorecard_pressed(update: Update, context: Context):
    _, which, page = update.callback_query.data.split(":")
    await _scorecards(update, context, which, int(page), edit=True)


async def chart_pressed(update: Update, context: Context):
    which = update.callback_query.data.split(":")[1]
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        span, cards = await scorecards.ranking(uow, manager, which)  # managers only
    await update.callback_query.answer()
    words, wanted = texts(context), lang(update, context)
    drawn_in = charts.chart_language(wanted)  # Chinese only with a font that draws it

    def say_(key: str, **params) -> str:
        return words.label(drawn_in, key, **params)

    chart_words = scorecards.RankingWords(
        title=say_("scorecards.chart.title", month=month_label(words, drawn_in, span)),
        jobs_axis=say_("scorecards.chart.jobs"), nobody=say_("scorecards.chart.nobody"),
        on_time=words.label(drawn_in, "scorecards.chart.on_time"),
        no_arrivals=say_("scorecards.chart.no_arrivals"),
        rating=words.label(drawn_in, "scorecards.chart.rating"),
        no_rating=say_("scorecards.chart.no_rating"))
    chart = await asyncio.to_thread(scorecards.draw_ranking, cards, chart_words)
    caption = words.render(wanted, "scorecard_chart", month=month_label(words, wanted, span))
    await context.bot.send_photo(update.effective_chat.id, photo=chart, caption=caption,
                                 parse_mode=ParseMode.HTML,
                                 filename=f"scorecards_{span.first_day:%Y-%m}.png")
    log.info("scorecard chart of %s sent to manager %s", span.name, manager.id)


def handlers():
    return [
        CommandHandler("scorecard", scorecard_command),
        CallbackQueryHandler(scorecard_pressed, pattern=rf"^sc:({MONTH}):\d{{1,4}}$"),
        CallbackQueryHandler(chart_pressed, pattern=rf"^scc:({MONTH})$"),
    ]
