"""Technicians running their day: /jobs, each job's card and the acts on it.

Two kinds of buttons. The card's (`jb:...`) carry the order id and hold no state: each press
is checked on the server (core.jobs), so someone else's job answers exactly like a missing one,
and a button whose act the job no longer offers is "out of date" (the card is shown afresh).
The acts that take more than a press (diagnose, quote, complete, parts missing, a typed
decline reason) run in one persistent conversation, "jobs": its draft is `user_data["job_flow"]`
(the quote itself is a draft in the database, core.quotes), each step is a new message and only
the newest one's buttons count. Opening another flow from a card leaves the current one.

Callback data (all under 64 bytes):
  jb:p:<page>  jb:v:<id>  jb:ph:<id>  jb:a:<id>  jb:d:<id>  jb:dr:<id>:<reason>  jb:t:<id>
  jb:ar:<id>  jb:tc:<id>  jb:arc:<id> (confirmed off the booked day)
  jb:pay:<id>  jb:paid:<id>:<method>                      stateless
  jb:dg:<id>  jb:q:<id>  jb:c:<id>  jb:miss:<id>  jb:dr:<id>:other   start a flow
  jf:x (stop any flow)  jd:* jq:* (diagnosis and quote: handlers.quote_builder)
  jc:* jm:* (completion and parts missing: handlers.completion)
This module holds what the flows share: the draft, `ask` (a step's message), `flow_button` /
`flow_message` (the newest message's buttons only; refusals told, the step kept), part search
and quantity steps.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import wraps

from telegram import InputMediaPhoto, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from core import catalogue, jobs, orders, quotes
from core.booking import clean_text
from core.errors import DomainError, InvalidInput, NotFound, TransitionRefused
from core.lifecycle import IN_PROGRESS, WARRANTY
from core.models import ServiceOrder

from .chat import (
    Context,
    day_label,
    default_language,
    desk,
    lang,
    keyboard,
    label,
    pager,
    person,
    rows_of,
    say,
    show,
    texts,
)
from .notify import wake_reminders
from .texts import money, window_label

log = logging.getLogger(__name__)

ID = r"\d{1,12}"
END = ConversationHandler.END
FLOW = "job_flow"
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
DC_REASON = "dc_reason"


def jl(update: Update, context: Context, key: str, /, **params) -> str:
    """A label of this module's own (templates/<lang>/labels_jobs.toml)."""
    return label(update, context, f"jobs.{key}", **params)


def short(text: str, limit: int = BUTTON_TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def order_id_of(update: Update, index: int = 2) -> int:
    return int(update.callback_query.data.split(":")[index])


async def answer(update: Update, context: Context, text: str | None = None) -> None:
    """Answers the pressed button, once (Telegram refuses a second answer), with an
    optional short notice."""
    query = update.callback_query
    if query is None or getattr(context, "jobs_answered", None) == query.id:
        return
    context.jobs_answered = query.id  # the context is this update's own
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
            card = await jobs.job_card(uow, user, order)
            row = await orders.find_order_for(uow, user, card.id)
            try:
                quote = await quotes.quote_view(uow, user, card.id)
            except NotFound:
                quote = None
            amount = row.final_amount
    except DomainError as error:
        await refuse(update, context, error)
        return
    rows = rows_of([(jl(update, context, f"button.{action_label(card, a)}"),
                     f"{ACTION_BUTTONS[a][1]}:{card.id}") for a in card.actions], 2)
    if card.photos:
        rows.append([(jl(update, context, "button.photos", count=len(card.photos)),
                      f"jb:ph:{card.id}")])
    rows.append([(jl(update, context, "button.all_jobs"), "jb:p:1")])
    values = dict(card=card, quote=quote, amount=amount, map_url=map_url(card),
                  day=day_label(update, context, card.booked_date) if card.booked_date else "",
                  window=window_label(card.window) if card.window else "")
    reply = show if edit else say
    await reply(update, context, "job_card", reply_markup=keyboard(rows), **values)


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
    await _decline(update, context, int(order_id), note, edit=True)


async def _decline(update: Update, context: Context, order_id: int, reason: str, *,
                   edit: bool) -> bool:
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            event = await jobs.decline(uow, user, order_id, reason)
            number = (await uow.session.get(ServiceOrder, order_id)).number
            await uow.commit()
    except InvalidInput as error:
        await refuse(update, context, error)
        return False
    except DomainError as error:
        await refuse(update, context, error)
        return True
    log.info("order %s declined in chat (event %s)", number, event.id)
    await answer(update, context)
    wake_reminders(context)
    await (show if edit else say)(update, context, "job_declined", number=number, reason=reason)
    return True


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
    methods = [m for m in jobs.PAYMENT_METHODS if m != "waived" or not amount or kind == WARRANTY]
    return [[(jl(update, context, f"payment.{m}"), f"jb:paid:{order_id}:{m}") for m in methods]]


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


# --- flows: the conversation's draft and steps --------------------------------------------------

def flow(context: Context) -> dict:
    return context.user_data.get(FLOW) or {}


def start_flow(context: Context, name: str, card: jobs.JobCard, **data) -> dict:
    context.user_data[FLOW] = {"flow": name, "order": card.id, "number": card.number,
                               "kind": card.kind, "at": desk(context).clock.now().isoformat(),
                               **data}
    return context.user_data[FLOW]


def end_flow(context: Context):
    context.user_data.pop(FLOW, None)
    return END


def _expired(context: Context, d: dict) -> bool:
    try:
        started = datetime.fromisoformat(d["at"])
    except (KeyError, TypeError, ValueError):
        return True
    return desk(context).clock.now() - started > FLOW_TTL


async def ask(update: Update, context: Context, state: str, template: str, rows=(), *,
              stop: bool = True, **values) -> str:
    """Sends a step's message (the newest: only its buttons count) and enters `state`."""
    rows = [list(row) for row in rows]
    if stop:
        rows.append([(jl(update, context, "button.stop"), "jf:x")])
    message = await say(update, context, template, reply_markup=keyboard(rows) if rows else None,
                        **values)
    flow(context)["message"] = message.message_id
    return state


async def _flow_alive(update: Update, context: Context) -> dict | None:
    d = context.user_data.get(FLOW)
    if not d or _expired(context, d):
        end_flow(context)
        await say(update, context, "job_flow_gone")
        return None
    return d


async def _guarded(update: Update, context: Context, run):
    """Runs a step; a refusal is told and keeps the step, except when the job is gone or has
    moved on (not found, transition refused): then the flow ends."""
    try:
        return await run()
    except DomainError as error:
        await refuse(update, context, error)
        gone = isinstance(error, TransitionRefused) or (
            isinstance(error, NotFound) and error.details.get("what") in (None, "order"))
        return end_flow(context) if gone else None


def flow_button(handler):
    """A button of the flow's newest message: handler(update, context, draft, args)."""
    @wraps(handler)
    async def pressed(update: Update, context: Context):
        query = update.callback_query
        d = context.user_data.get(FLOW)
        if not d or query.message is None or query.message.message_id != d.get("message"):
            await toast(update, context, "toast.stale_button")
            return None
        await answer(update, context)
        if await _flow_alive(update, context) is None:
            return END
        args = query.data.split(":")[2:]
        return await _guarded(update, context, lambda: handler(update, context, d, args))
    return pressed


def flow_message(handler):
    """Something typed or sent in the flow: handler(update, context, draft)."""
    @wraps(handler)
    async def received(update: Update, context: Context):
        d = await _flow_alive(update, context)
        if d is None:
            return END
        return await _guarded(update, context, lambda: handler(update, context, d))
    return received


def typed(field: str, *, minimum: int = 0, maximum: int, multiline: bool = False):
    """Checks typed text like core does; InvalidInput is said and the step stays."""
    def clean(text: str) -> str:
        value = clean_text(text, field, minimum=minimum, maximum=maximum, multiline=multiline)
        if value is None:
            raise InvalidInput(field=field, reason="empty")
        return value
    return clean


async def entry_card(update: Update, context: Context, action: str,
                     index: int = 2) -> jobs.JobCard | None:
    """The job a flow starts on, when it is theirs and offers `action`; else None, told."""
    found = await load_for(update, context, order_id_of(update, index), action)
    if found is None:
        return None
    await answer(update, context)
    return found[1]


async def stop_pressed(update: Update, context: Context):
    query = update.callback_query
    d = context.user_data.get(FLOW)
    if not d or query.message is None or query.message.message_id != d.get("message"):
        await toast(update, context, "toast.stale_button")
        return None
    await answer(update, context)
    return await _stop(update, context, d)


async def stop_command(update: Update, context: Context):
    return await _stop(update, context, flow(context))


async def _stop(update: Update, context: Context, d: dict):
    end_flow(context)
    await say(update, context, "job_flow_stopped", flow=d.get("flow", ""),
              number=d.get("number", ""),
              reply_markup=keyboard([[(jl(update, context, "button.open_job"),
                                       f"jb:v:{d['order']}")]]) if d.get("order") else None)
    return END


async def use_buttons(update: Update, context: Context):
    await say(update, context, "use_buttons")
    return None


async def type_it(update: Update, context: Context):
    await say(update, context, "expected_text")
    return None


async def photos_or_done(update: Update, context: Context):
    await say(update, context, "photos_or_done")
    return None


# --- shared steps: finding a part, choosing a quantity ----------------------------------------

async def part_results(update: Update, context: Context, state: str, prefix: str,
                       page: int = 1) -> str:
    """The catalogue parts matching the flow's typed query, as buttons `<prefix>:pt:<id>`,
    paged with `<prefix>:sp:<page>`; typing again searches again."""
    d = flow(context)
    async with desk(context).uow() as uow:
        found = await catalogue.search_parts(uow, d.get("query", ""), page)
    rows = [[(short(f"{p.name} · {p.sku} · {money(p.price)}"), f"{prefix}:pt:{p.id}")]
            for p in found.items]
    rows += pager(update, context, found, prefix + ":sp:{page}")
    rows.append([(jl(update, context, "button.back"), f"{prefix}:back")])
    return await ask(update, context, state, "job_part_results", rows, query=d.get("query", ""),
                     total=found.total, page=found.page, pages=found.pages)


def search_query(text: str) -> str:
    query = " ".join((text or "").split())[:catalogue.QUERY_MAX]
    if not query:
        raise InvalidInput(field="query", reason="empty")
    return query


async def ask_quantity(update: Update, context: Context, state: str, prefix: str,
                       what: str) -> str:
    rows = [[(str(n), f"{prefix}:n:{n}") for n in QUANTITIES],
            [(jl(update, context, "button.back"), f"{prefix}:back")]]
    return await ask(update, context, state, "job_quantity", rows, what=what,
                     maximum=quotes.LINE_QUANTITY_MAX)


def quantity_of(text: str) -> int:
    return catalogue.whole_number(text, "quantity", 1, quotes.LINE_QUANTITY_MAX)


# --- decline with a typed reason --------------------------------------------------------------

async def decline_other_start(update: Update, context: Context):
    card = await entry_card(update, context, "decline")
    if card is None:
        return None
    start_flow(context, "decline", card)
    return await ask(update, context, DC_REASON, "job_decline_type", number=card.number,
                     minimum=jobs.REASON_MIN, maximum=jobs.REASON_MAX)


@flow_message
async def decline_typed(update: Update, context: Context, d: dict):
    reason = typed("reason", minimum=jobs.REASON_MIN, maximum=jobs.REASON_MAX,
                   multiline=True)(update.message.text)
    if not await _decline(update, context, d["order"], reason, edit=False):
        return None
    return end_flow(context)


# --- registration -----------------------------------------------------------------------------

def conversation() -> ConversationHandler:
    """The one conversation of every multi-step act on a job (see the module's notes)."""
    from . import completion, quote_builder

    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND
    return ConversationHandler(
        name="jobs",
        persistent=True,
        allow_reentry=True,
        entry_points=[
            *quote_builder.entry_points(),
            *completion.entry_points(),
            CallbackQueryHandler(decline_other_start, pattern=rf"^jb:dr:{ID}:other$"),
        ],
        states={
            DC_REASON: [MessageHandler(text, decline_typed), MessageHandler(other, type_it)],
            **quote_builder.states(),
            **completion.states(),
        },
        fallbacks=[
            CallbackQueryHandler(stop_pressed, pattern=r"^jf:x$"),
            CommandHandler("cancel", stop_command),
        ],
    )


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
