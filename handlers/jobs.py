"""Technicians running their day: /jobs, each job's card and the acts on it.

Two kinds of buttons. The card's (`jb:...`) carry the order id and hold no state: each press
is checked on the server (core.jobs), so someone else's job answers exactly like a missing one,
and a button whose act the job no longer offers is "out of date" (the card is shown afresh).
The acts that take more than a press (diagnose, quote, complete, parts missing, a typed
decline reason) are flows on the conversation engine (handlers.flow), started by a card's
button: their step and draft are the chat's conversation row (the quote itself is a draft in
the database, core.quotes), and the engine owns what every flow shares (only the current
question's buttons count, Stop and /cancel, refusals, edited messages, a draft left 24 hours
is forgotten). Opening another flow from a card leaves the current one.

Callback data (all under 64 bytes):
  jb:p:<page>  jb:v:<id>  jb:ph:<id>  jb:a:<id>  jb:d:<id>  jb:dr:<id>:<reason>  jb:t:<id>
  jb:ar:<id>  jb:tc:<id>  jb:arc:<id> (confirmed off the booked day)
  jb:pay:<id>  jb:paid:<id>:<method>                      stateless
  jb:dg:<id>  jb:q:<id>  jb:c:<id>  jb:miss:<id>  jb:dr:<id>:other   start a flow
  jd:* jq:* (diagnosis and quote: handlers.quote_builder), jc:* jm:* (completion and parts
  missing: handlers.completion), jx:* (the typed decline reason: handlers.job_flows); `<prefix>:!cancel` is
  a flow's Stop.
What the job flows share (how a flow starts on a card, a step's question with its Stop button,
refusals in the jobs' own words, part search and quantities) is handlers.job_flows.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from telegram import InputMediaPhoto, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import handover, jobs, orders, quotes, triage
from core.errors import DomainError, NotFound
from core.lifecycle import IN_PROGRESS

from .chat import (
    Context,
    day_label,
    default_language,
    desk,
    keyboard,
    label,
    lang,
    pager,
    person,
    rows_of,
    say,
    show,
    texts,
)
from .notify import wake_reminders
from .texts import window_label

log = logging.getLogger(__name__)

ID = r"\d{1,12}"
FLOW_TTL = timedelta(hours=24)  # a flow left this long is forgotten (the quote draft stays)
DECLINE_REASONS = ("too_far", "busy", "no_skill", "unwell", "other")
QUANTITIES = (1, 2, 3, 4, 5)
BUTTON_TEXT_MAX = 60
# The card's buttons, in the order core gives the actions: (label key, callback prefix).
ACTION_BUTTONS = {
    "accept": ("accept", "jb:a"), "decline": ("decline", "jb:d"),
    "start_trip": ("start_trip", "jb:t"), "arrive": ("arrive", "jb:ar"),
    "diagnose": ("diagnose", "jb:dg"), "quote": ("quote", "jb:q"),
    "complete": ("complete", "jb:c"), "parts_missing": ("parts_missing", "jb:miss"),
    "settle": ("settle", "jb:pay"),
}


def jl(update: Update, context: Context, key: str, /, **params) -> str:
    """A label of this module's own (templates/<lang>/labels_jobs.toml)."""
    return label(update, context, f"jobs.{key}", **params)


def short(text: str, limit: int = BUTTON_TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def order_id_of(update: Update, index: int = 2) -> int:
    return int(update.callback_query.data.split(":")[index])


async def answer(update: Update, context: Context, text: str | None = None) -> None:
    """Answers the pressed button with an optional short notice (bot.gate lets only the
    first answer to a press through, and answers a press nothing answered)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text)
    except TelegramError as error:
        log.warning("could not answer a button press: %s", error)


async def toast(update: Update, context: Context, key: str, /, **params) -> None:
    """A short notice on the pressed button (a label)."""
    await answer(update, context, label(update, context, key, **params))


# Refusals this module explains in its own words (job_refused); the rest use error_<code>.
OWN_REFUSALS = {
    ("not_allowed", "needs_revised_quote"), ("not_allowed", "diagnosis_missing"),
    ("not_allowed", "waive_not_allowed"), ("not_allowed", "no_parts_on_installation"),
    ("not_enough_stock", None), ("invalid_input", "lines"), ("invalid_input", "checklist"),
    ("invalid_input", "photos"), ("invalid_input", "quantity"), ("invalid_input", "amount"),
    ("invalid_input", "parts"), ("not_found", "part"), ("not_found", "quote_line"),
    ("not_found", "labour_item"), ("not_found", "quote"),
}


def refusal_key(error: DomainError) -> str | None:
    details = error.details
    second = {"not_allowed": details.get("reason"), "invalid_input": details.get("field"),
              "not_found": details.get("what")}.get(error.code)
    if (error.code, second) in OWN_REFUSALS:
        return f"{error.code}.{second}" if second else error.code
    return None


async def refuse(update: Update, context: Context, error: DomainError) -> None:
    """Tells the technician why not, clearly, in a new message."""
    await answer(update, context)
    key = refusal_key(error)
    if key:
        await say(update, context, "job_refused", why=key, details=dict(error.details))
    else:
        await say(update, context, f"error_{error.code}", **error.details)


# --- the list -------------------------------------------------------------------------------

async def jobs_command(update: Update, context: Context):
    await send_list(update, context, 1, edit=False)


async def page_pressed(update: Update, context: Context):
    await answer(update, context)
    await send_list(update, context, int(update.callback_query.data.split(":")[2]))


async def send_list(update: Update, context: Context, page: int, *, edit: bool = True):
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            listing = await jobs.my_jobs(uow, user, page)
    except DomainError as error:
        await refuse(update, context, error)
        return
    lines = [list_line(update, context, card) for card in listing.items]
    rows = [[(short(f"{line['number']} · {line['day']} {line['window']} · {line['category']}"),
              f"jb:v:{line['id']}")] for line in lines]
    rows += pager(update, context, listing, "jb:p:{page}")
    reply = show if edit else say
    await reply(update, context, "job_list", jobs=lines, page=listing.page, pages=listing.pages,
                total=listing.total, reply_markup=keyboard(rows) if rows else None)


def list_line(update: Update, context: Context, card: jobs.JobCard) -> dict:
    return {"id": card.id, "number": card.number, "kind": card.kind, "status": card.status,
            "when": card.when or "upcoming",
            "day": day_label(update, context, card.booked_date) if card.booked_date else "",
            "window": window_label(card.window) if card.window else "",
            "category": label(update, context, f"category.{card.category or 'other'}")}


# --- the card -------------------------------------------------------------------------------

async def card_pressed(update: Update, context: Context):
    await answer(update, context)
    await send_card(update, context, order_id_of(update))


async def send_card(update: Update, context: Context, order, *, edit: bool = True) -> None:
    """The job card (by id or number) with the buttons its state allows; `edit` replaces the
    pressed message. NotFound (not theirs, or no such job) is said like any missing order."""
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            values, rows = await card_view(
                uow, user, order, lambda key, **p: label(update, context, key, **p),
                lambda day: day_label(update, context, day), lang(update, context))
    except DomainError as error:
        await refuse(update, context, error)
        return
    reply = show if edit else say
    await reply(update, context, "job_card", reply_markup=keyboard(rows), **values)


async def card_view(uow, user, order, words, day, lang: str) -> tuple[dict, list]:
    """The card's template values and its (stateless) button rows; `words` gives labels,
    `day` a day's name, in the reader's language `lang`."""
    card = await jobs.job_card(uow, user, order)
    row = await orders.find_order_for(uow, user, card.id)
    try:
        quote = await quotes.quote_view(uow, user, card.id)
    except NotFound:
        quote = None
    likely = await triage.for_job(uow, user, card.id, lang)
    rows = rows_of([(words(f"jobs.button.{action_label(card, a)}"),
                     f"{ACTION_BUTTONS[a][1]}:{card.id}") for a in card.actions], 2)
    if await handover.may_record(uow, row):  # a delivery: the box's condition first
        rows.insert(0, [(words("handover.button.record"), f"jb:ho:{card.id}")])
    if likely and likely.short and card.status in triage.ASK_STATUSES:
        rows.append([(words("triage.button.ask"), f"tr:ask:{card.id}")])
    if card.photos:
        rows.append([(words("jobs.button.photos", count=len(card.photos)), f"jb:ph:{card.id}")])
    rows.append([(words("jobs.button.all_jobs"), "jb:p:1")])
    values = dict(card=card, quote=quote, amount=row.final_amount, map_url=map_url(card),
                  triage=likely, handover=await handover.view(uow, user, card.id),
                  day=day(card.booked_date) if card.booked_date else "",
                  window=window_label(card.window) if card.window else "")
    return values, rows


def action_label(card: jobs.JobCard, action: str) -> str:
    if action == "quote" and card.status == IN_PROGRESS:
        return "revise_quote"
    return ACTION_BUTTONS[action][0]


def map_url(card: jobs.JobCard) -> str | None:
    if card.latitude is None or card.longitude is None:
        return None
    return f"https://maps.google.com/?q={card.latitude:.6f},{card.longitude:.6f}"


async def photos_pressed(update: Update, context: Context):
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            card = await jobs.job_card(uow, user, order_id_of(update))
    except DomainError as error:
        await refuse(update, context, error)
        return
    if not card.photos:
        await toast(update, context, "jobs.toast.no_photos")
        return
    await answer(update, context)
    chat = update.effective_chat.id
    caption = texts(context).render(lang(update, context), "job_photos", number=card.number,
                                    count=len(card.photos))
    if len(card.photos) == 1:
        await context.bot.send_photo(chat, card.photos[0], caption=caption, parse_mode="HTML")
    else:
        await context.bot.send_media_group(chat, [
            InputMediaPhoto(file_id, caption=caption if i == 0 else None,
                            parse_mode="HTML" if i == 0 else None)
            for i, file_id in enumerate(card.photos[:10])])


# --- one-press acts ---------------------------------------------------------------------------

SIMPLE_ACTS = {"a": ("accept", jobs.accept), "t": ("start_trip", jobs.start_trip),
               "ar": ("arrive", jobs.arrive)}


async def load_for(update: Update, context: Context, order_id: int, action: str):
    """(user, card) when the job is theirs and offers `action` now; else None, the person
    told (not found, or the out-of-date toast and the card afresh)."""
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            card = await jobs.job_card(uow, user, order_id)
    except DomainError as error:
        await refuse(update, context, error)
        return None
    if action not in card.actions:
        await toast(update, context, "toast.stale_button")
        await send_card(update, context, card.id)
        return None
    return user, card


# "On my way" / "arrived" on another day than the booked one: asked again first (the
# confirming buttons, jb:tc / jb:arc, carry the order id like the card's and are as stateless).
CONFIRMED_ACTS = {"tc": "t", "arc": "ar"}


async def act_pressed(update: Update, context: Context):
    code, order_id = update.callback_query.data.split(":")[1:3]
    confirmed = code in CONFIRMED_ACTS
    code = CONFIRMED_ACTS.get(code, code)
    action, service = SIMPLE_ACTS[code]
    if await load_for(update, context, int(order_id), action) is None:
        return
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            off = (await jobs.visit_off_day(uow, user, int(order_id))
                   if action in ("start_trip", "arrive") else None)
            if off and not confirmed:
                card = await jobs.job_card(uow, user, int(order_id))
                await answer(update, context)
                await show(update, context, "job_off_day", card=card, action=action, off=off,
                           day=day_label(update, context, card.booked_date),
                           window=window_label(card.window) if card.window else "",
                           reply_markup=keyboard([
                               [(jl(update, context, f"button.confirm_{action}"),
                                 f"jb:{code}c:{card.id}")],
                               [(label(update, context, "button.back"), f"jb:v:{card.id}")]]))
                return
            await service(uow, user, int(order_id))
            await uow.commit()
    except DomainError as error:
        await refuse(update, context, error)
        return
    wake_reminders(context)
    await toast(update, context, f"jobs.toast.{action}")
    await send_card(update, context, int(order_id))


async def decline_pressed(update: Update, context: Context):
    found = await load_for(update, context, order_id_of(update), "decline")
    if found is None:
        return
    _, card = found
    await answer(update, context)
    rows = [[(jl(update, context, f"decline_reason.{r}"), f"jb:dr:{card.id}:{r}")]
            for r in DECLINE_REASONS]
    rows.append([(jl(update, context, "button.keep_job"), f"jb:v:{card.id}")])
    await show(update, context, "job_decline_reason", number=card.number,
               reply_markup=keyboard(rows))


async def decline_reason_pressed(update: Update, context: Context):
    _, _, order_id, reason = update.callback_query.data.split(":")
    if await load_for(update, context, int(order_id), "decline") is None:
        return
    # The note the manager reads: the reason in the company's language.
    note = texts(context).label(default_language(context), f"jobs.decline_reason.{reason}")
    await _decline(update, context, int(order_id), note)


async def _decline(update: Update, context: Context, order_id: int, reason: str) -> None:
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            event = await jobs.decline(uow, user, order_id, reason)
            number = (await event.awaitable_attrs.order).number
            await uow.commit()
    except DomainError as error:
        await refuse(update, context, error)
        return
    log.info("order %s declined in chat (event %s)", number, event.id)
    await answer(update, context)
    wake_reminders(context)
    await show(update, context, "job_declined", number=number, reason=reason)


async def pay_pressed(update: Update, context: Context):
    found = await load_for(update, context, order_id_of(update), "settle")
    if found is None:
        return
    user, card = found
    await answer(update, context)
    async with desk(context).uow() as uow:
        order = await orders.find_order_for(uow, await person(uow, update, context), card.id)
        amount, kind = order.final_amount or 0, order.kind
    await show(update, context, "job_pay", number=card.number, amount=amount,
               reply_markup=keyboard(pay_rows(update, context, card.id, amount, kind)
                                     + [[(jl(update, context, "button.back"),
                                          f"jb:v:{card.id}")]]))


def pay_rows(update: Update, context: Context, order_id: int, amount: int, kind: str) -> list:
    return payment_rows(lambda key: jl(update, context, key), order_id, amount, kind)


def payment_rows(word, order_id: int, amount: int, kind: str) -> list:
    methods = jobs.payment_methods(amount, kind)
    return [[(word(f"payment.{m}"), f"jb:paid:{order_id}:{m}") for m in methods]]


async def paid_pressed(update: Update, context: Context):
    _, _, order_id, method = update.callback_query.data.split(":")
    if await load_for(update, context, int(order_id), "settle") is None:
        return
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            await jobs.settle(uow, user, int(order_id), method)
            order = await orders.find_order_for(uow, user, int(order_id))
            number, amount = order.number, order.final_amount or 0
            await uow.commit()
    except DomainError as error:
        await refuse(update, context, error)
        return
    await answer(update, context)
    wake_reminders(context)
    await show(update, context, "job_paid", number=number, amount=amount,
               method=jl(update, context, f"payment.{method}"),
               reply_markup=keyboard([[(jl(update, context, "button.all_jobs"), "jb:p:1")]]))


# --- registration -----------------------------------------------------------------------------
# The job's flows are registered in handlers.__init__: the typed decline reason in job_flows,
# diagnosis and quote in quote_builder, completion and parts missing in completion.

def handlers():
    return [
        CommandHandler("jobs", jobs_command),
        CallbackQueryHandler(page_pressed, pattern=r"^jb:p:\d{1,6}$"),
        CallbackQueryHandler(card_pressed, pattern=rf"^jb:v:{ID}$"),
        CallbackQueryHandler(photos_pressed, pattern=rf"^jb:ph:{ID}$"),
        CallbackQueryHandler(act_pressed, pattern=rf"^jb:(a|t|ar|tc|arc):{ID}$"),
        CallbackQueryHandler(decline_pressed, pattern=rf"^jb:d:{ID}$"),
        CallbackQueryHandler(decline_reason_pressed,
                             pattern=rf"^jb:dr:{ID}:(too_far|busy|no_skill|unwell)$"),
        CallbackQueryHandler(pay_pressed, pattern=rf"^jb:pay:{ID}$"),
        CallbackQueryHandler(paid_pressed, pattern=rf"^jb:paid:{ID}:(cash|transfer|waived)$"),
    ]
