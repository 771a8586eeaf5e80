"""Managers' reports: /summary (a text card and a chart), /export (a CSV file) and the
filters of /orders. Every button carries only a period or a filter name and a page; who may
see it is checked in core (core.reports, core.exports) at every press."""
from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import charts, complaint_views, exports, order_lists, reports
from core.lifecycle import MANAGER
from core.order_lists import FILTERS
from core.periods import PERIODS
from core.roles import require_manager

from .chat import (
    Context,
    day_label,
    desk,
    keyboard,
    label,
    lang,
    person,
    rows_of,
    say,
    show,
    texts,
)
from .texts import window_label

log = logging.getLogger(__name__)

PERIOD = "|".join(PERIODS)
FILTER = "|".join(FILTERS)


def _periods(update, context, prefix: str) -> list[list[tuple[str, str]]]:
    return [[(label(update, context, f"reports.period.{p}"), f"{prefix}:{p}") for p in PERIODS]]


def _span(update, context, span) -> dict:
    """The period's name and its first and last day, as the card and captions show them."""
    return {"title": label(update, context, f"reports.period.{span.name}"),
            "first": day_label(update, context, span.first_day),
            "last": day_label(update, context, span.last_day)}


async def _manager(update: Update, context: Context):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        await uow.commit()
    require_manager(user)
    return user


# --- /summary ---------------------------------------------------------------------------------

async def summary_command(update: Update, context: Context):
    await _manager(update, context)
    await say(update, context, "summary_choose",
              reply_markup=keyboard(_periods(update, context, "sm")))


async def summary_pressed(update: Update, context: Context):
    name = update.callback_query.data.split(":")[1]
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        figures = await reports.summary(uow, manager, name)
        complained = await complaint_views.figures(uow, manager, name, figures.completed)
    await update.callback_query.answer()
    span = _span(update, context, figures.period)
    await show(update, context, "summary_card", s=figures, c=complained, **span,
               reply_markup=keyboard(_periods(update, context, "sm")))
    # Drawing (and, the first time, finding a font for Chinese) blocks: not on the loop.
    language, words = lang(update, context), texts(context)
    chart = await asyncio.to_thread(
        lambda: charts.draw_chart(figures, chart_words(words, language, figures.period)))
    caption = texts(context).render(lang(update, context), "summary_chart", **span)
    await context.bot.send_photo(update.effective_chat.id, photo=chart, caption=caption,
                                 parse_mode=ParseMode.HTML, filename=f"summary_{name}.png")
    log.info("summary of %s sent to manager %s", name, manager.id)


def chart_words(words, wanted: str, span) -> charts.ChartWords:
    """The chart's texts in the manager's language `wanted`, or in English where no font can
    draw Chinese."""
    language = charts.chart_language(wanted)

    def say_(key: str, **params) -> str:
        return words.label(language, key, **params)

    return charts.ChartWords(
        title=say_("reports.chart.title", period=say_(f"reports.period.{span.name}"),
                   first=span.first_day.isoformat(), last=span.last_day.isoformat()),
        orders_axis=say_("reports.chart.orders"), on_time_axis=say_("reports.chart.on_time"),
        on_time_line=say_("reports.chart.on_time_line"),
        no_orders=say_("reports.chart.no_orders"),
        statuses={s: say_(f"reports.status.{s}") for s in charts.STATUS_COLOURS},
        day_format=say_("reports.chart.day_format"))


# --- /export ----------------------------------------------------------------------------------

async def export_command(update: Update, context: Context):
    await _manager(update, context)
    await say(update, context, "export_choose", reply_markup=keyboard(
        _periods(update, context, "ex") + [[(label(
            update, context, "complaint.button.export", period=label(
                update, context, f"reports.period.{p}")), f"exc:{p}") for p in PERIODS]]))


async def export_pressed(update: Update, context: Context):
    name = update.callback_query.data.split(":")[1]
    words = texts(context)
    language = lang(update, context)

    def word(group: str, key: str) -> str:
        found = {"column": f"reports.column.{key}", "kind": f"kind.{key}",
                 "status": f"reports.status.{key}", "category": f"category.{key}"}[group]
        return words.label(language, found) if words.has_label(language, found) else key

    def complaint_word(group: str, key: str) -> str:
        found = {"column": f"complaint.column.{key}", "status": f"complaint.status.{key}",
                 "reason": f"complaint.reason.{key}",
                 "resolution": f"complaint.resolution.{key}"}[group]
        return words.label(language, found) if words.has_label(language, found) else key

    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        if update.callback_query.data.startswith("exc:"):
            exported = await complaint_views.export_complaints(uow, manager, name, complaint_word)
        else:
            exported = await exports.export_orders(uow, manager, name, word)
    await update.callback_query.answer()
    try:
        caption = texts(context).render(language, "export_ready", rows=exported.rows,
                                        complaints=exported.filename.startswith("complaints"),
                                        **_span(update, context, exported.period))
        # PTB reads a file object whole to upload it anyway: hand it the bytes.
        await context.bot.send_document(update.effective_chat.id,
                                        document=exported.file.read(),
                                        filename=exported.filename, caption=caption,
                                        parse_mode=ParseMode.HTML)
    finally:
        exported.file.close()
    log.info("export of %s (%s orders) sent to manager %s", name, exported.rows, manager.id)


# --- /orders for managers ---------------------------------------------------------------------

async def is_manager(update: Update, context: Context) -> bool:
    """Whether the person writing is an active manager (their /orders is the filters)."""
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        return user.role == MANAGER and user.active


async def manager_orders(update: Update, context: Context):
    """/orders for a manager: the filters, each with how many orders it finds now."""
    await _filters(update, context, edit=False)


async def filters_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _filters(update, context, edit=True)


async def _filters(update: Update, context: Context, *, edit: bool):
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        counts = await order_lists.filter_counts(uow, manager)
    buttons = [(label(update, context, "reports.filter_count",
                      name=label(update, context, f"reports.filter.{f}"), count=counts[f]),
                f"mo:{f}:1") for f in FILTERS]
    reply = show if edit else say
    await reply(update, context, "orders_filter_menu", reply_markup=keyboard(rows_of(buttons)))


async def filter_pressed(update: Update, context: Context):
    _, name, page = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        found = await order_lists.filtered_orders(uow, manager, name, int(page))
    await update.callback_query.answer()
    rows = [[(_line(update, context, line), f"or:v:{line.id}")] for line in found.items]
    turn = []
    if found.has_previous:
        turn.append((label(update, context, "reports.button.previous"),
                     f"mo:{name}:{found.page - 1}"))
    if found.has_next:
        turn.append((label(update, context, "reports.button.next"),
                     f"mo:{name}:{found.page + 1}"))
    rows += [turn] if turn else []
    rows.append([(label(update, context, "reports.button.filters"), "mo:menu")])
    await show(update, context, "orders_filter_list",
               name=label(update, context, f"reports.filter.{name}"), total=found.total,
               page=found.page, pages=found.pages, reply_markup=keyboard(rows))


def _line(update, context, line) -> str:
    when = ""
    if line.booked_date:
        when = day_label(update, context, line.booked_date)
        if line.window:
            when += " " + window_label(line.window)
    parts = [line.number, when,
             label(update, context, f"category.{line.category or 'other'}"),
             label(update, context, f"reports.status.{line.status}"), line.technician_name]
    return " · ".join(p for p in parts if p)


def handlers():
    return [
        CommandHandler("summary", summary_command),
        CommandHandler("export", export_command),
        CallbackQueryHandler(summary_pressed, pattern=rf"^sm:({PERIOD})$"),
        CallbackQueryHandler(export_pressed, pattern=rf"^exc?:({PERIOD})$"),
        CallbackQueryHandler(filters_pressed, pattern=r"^mo:menu$"),
        CallbackQueryHandler(filter_pressed, pattern=rf"^mo:({FILTER}):\d{{1,6}}$"),
    ]
