"""/settle for managers: the bills that differ from their quote or the parts issued (each
resolved with a reason, core.settlement), the technicians' days of payments to confirm (the
cash handed in typed, a difference explained), and the settlements as CSV.

The menu and the CSV are stateless buttons ("stl:m:<page>", "stl:csv:this|last"); resolving a
bill ("stl:o:<order id>") and confirming a day ("stl:d:<technician id>:<day>") are flows on the
conversation engine (handlers.flow), prefixes "sbc" and "sfl". Every press is checked in core:
only an active manager gets anything."""
from __future__ import annotations

import logging
from datetime import date

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import scorecards, settlement
from core.errors import InvalidInput
from core.parsing import parse_money
from core.roles import require_manager

from .chat import (
    Context,
    day_label,
    desk,
    keyboard,
    label,
    lang,
    page_turns,
    person,
    say,
    show,
)
from .chat import texts as texts_of
from .flow import Entry, Flow, Next, Question, Step, Turn
from .scorecards import MONTH
from .texts import money

log = logging.getLogger(__name__)

CHECKS_SHOWN = 5


# --- the menu -----------------------------------------------------------------------------------

def _menu_rows(word, day_name, checks, days, page: int, pages: int, turns) -> list:
    rows = [[(word("settlement.button.check", number=c.number, name=c.technician_name or "?"),
              f"stl:o:{c.order_id}")] for c in checks[:CHECKS_SHOWN]]
    rows += [[(word("settlement.button.day", name=d.technician_name or "?",
                    day=day_name(d.day), cash=money(d.cash)),
               f"stl:d:{d.technician_id}:{d.day.isoformat()}")] for d in days]
    rows += turns
    rows.append([(word("settlement.button.csv_this"), "stl:csv:this"),
                 (word("settlement.button.csv_last"), "stl:csv:last")])
    return rows


async def _menu(update: Update, context: Context, page: int, *, edit: bool):
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        checks = await settlement.open_checks(uow, manager)  # managers only
        days = await settlement.days_to_confirm(uow, manager)
        await uow.commit()
    pages = max(1, -(-len(days) // settlement.PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = days[(page - 1) * settlement.PAGE_SIZE:page * settlement.PAGE_SIZE]
    rows = _menu_rows(lambda key, **kw: label(update, context, key, **kw),
                      lambda d: day_label(update, context, d), checks, shown, page, pages,
                      page_turns(update, context, page, pages, "stl:m:{page}"))
    if update.callback_query:
        await update.callback_query.answer()
    await (show if edit else say)(
        update, context, "settle_menu", checks_total=len(checks),
        checks_shown=min(len(checks), CHECKS_SHOWN), days_total=len(days), page=page,
        pages=pages, reply_markup=keyboard(rows))


async def settle_command(update: Update, context: Context):
    await _menu(update, context, 1, edit=False)


async def menu_pressed(update: Update, context: Context):
    await _menu(update, context, int(update.callback_query.data.split(":")[2]), edit=True)


async def csv_pressed(update: Update, context: Context):
    which = update.callback_query.data.split(":")[2]
    language = lang(update, context)
    words = texts_of(context)
    header = {c: words.label(language, f"settlement.column.{c}") for c in settlement.COLUMNS}
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        require_manager(manager)
        span = scorecards.month(uow, which)
        exported = await settlement.export(uow, manager, span.first_day, span.last_day, header)
    await update.callback_query.answer()
    caption = words.render(language, "settle_csv", rows=exported.rows,
                           first=day_label(update, context, span.first_day),
                           last=day_label(update, context, span.last_day))
    await context.bot.send_document(update.effective_chat.id, document=exported.data,
                                    filename=exported.filename, caption=caption,
                                    parse_mode=ParseMode.HTML)
    log.info("settlements %s sent to manager %s (%s days)", exported.filename, manager.id,
             exported.rows)


def _back_to_menu(turn: Turn):
    return keyboard([[(turn.label("settlement.button.menu"), "stl:m:1")]])


# --- resolving a bill's difference --------------------------------------------------------------

async def check_start(turn: Turn, match) -> Next:
    require_manager(turn.user)
    checked = await settlement.order_check(turn.uow, turn.user, int(match[1]))
    if not checked.open:
        raise InvalidInput(field="difference", reason="none_open")
    turn.draft["order_id"] = checked.order_id
    return turn.goto("reason")


async def q_check(turn: Turn) -> Question:
    checked = await settlement.order_check(turn.uow, turn.user, turn.draft["order_id"])
    return Question("settle_check", values=dict(c=checked, minimum=settlement.REASON_MIN,
                                                maximum=settlement.REASON_MAX))


async def check_reason(turn: Turn, text: str) -> Next:
    checked = await settlement.resolve(turn.uow, turn.user, turn.draft["order_id"], text)
    log.info("bill difference of %s resolved by manager %s", checked.number, turn.user.id)
    turn.say("settle_check_done", number=checked.number, reason=checked.resolved_reason,
             reply_markup=_back_to_menu(turn))
    return turn.end()


BILL_CHECK = Flow(
    name="bill_check", prefix="sbc",
    entries=[Entry(check_start, press=r"^stl:o:(\d{1,12})$")],
    order=["reason"], cancelled="settle_cancelled", invalid_input="settle_invalid",
    steps={"reason": Step(q_check, text=check_reason)},
)


# --- confirming a technician's day of cash ------------------------------------------------------

async def day_start(turn: Turn, match) -> Next:
    require_manager(turn.user)
    try:
        day = date.fromisoformat(match[2])
    except ValueError:
        raise InvalidInput(field="day", reason="format") from None
    found = await settlement.cash_day(turn.uow, turn.user, int(match[1]), day)
    if found.settled is not None:
        raise InvalidInput(field="day", reason="already")
    turn.draft.update(technician=found.technician_id, day=day.isoformat())
    return turn.goto("amount")


async def _day(turn: Turn):
    return await settlement.cash_day(turn.uow, turn.user, turn.draft["technician"],
                                     date.fromisoformat(turn.draft["day"]))


async def q_amount(turn: Turn) -> Question:
    found = await _day(turn)
    return Question("settle_day", [[(turn.label("settlement.button.exact",
                                                cash=money(found.cash)), "exact")]],
                    dict(d=found, day=turn.day(found.day)))


async def _confirm(turn: Turn, handed_in: int, reason: str | None) -> Next:
    day = date.fromisoformat(turn.draft["day"])
    confirmed = await settlement.confirm_day(turn.uow, turn.user, turn.draft["technician"], day,
                                             handed_in, reason)
    found = await _day(turn)
    log.info("cash of technician %s on %s confirmed by manager %s", confirmed.technician_id,
             day, turn.user.id)
    turn.say("settle_done", s=confirmed, name=found.technician_name, day=turn.day(day),
             reply_markup=_back_to_menu(turn))
    return turn.end()


async def amount_typed(turn: Turn, text: str) -> Next:
    handed_in = parse_money(text)
    found = await _day(turn)
    if handed_in == found.cash:
        return await _confirm(turn, handed_in, None)
    turn.draft["handed_in"] = handed_in
    return turn.goto("reason")


async def amount_pressed(turn: Turn, value: str) -> Next:
    if value != "exact":
        turn.toast("toast.stale_button")
        return turn.stay()
    return await _confirm(turn, (await _day(turn)).cash, None)


async def q_reason(turn: Turn) -> Question:
    found = await _day(turn)
    return Question("settle_reason", values=dict(
        handed_in=turn.draft["handed_in"], cash=found.cash, minimum=settlement.REASON_MIN,
        maximum=settlement.REASON_MAX))


async def reason_typed(turn: Turn, text: str) -> Next:
    return await _confirm(turn, turn.draft["handed_in"], text)


SETTLE_DAY = Flow(
    name="settle_day", prefix="sfl",
    entries=[Entry(day_start, press=r"^stl:d:(\d{1,12}):(\d{4}-\d{2}-\d{2})$")],
    order=["amount", "reason"], cancelled="settle_cancelled", invalid_input="settle_invalid",
    steps={"amount": Step(q_amount, text=amount_typed, press=amount_pressed),
           "reason": Step(q_reason, text=reason_typed)},
)


def flows():
    return [BILL_CHECK, SETTLE_DAY]


def handlers():
    return [
        CommandHandler("settle", settle_command),
        CallbackQueryHandler(menu_pressed, pattern=r"^stl:m:\d{1,4}$"),
        CallbackQueryHandler(csv_pressed, pattern=rf"^stl:csv:({MONTH})$"),
    ]
