"""Complaints in chat: a customer files one (a flow: which order, why, what happened, photos);
managers take it from the notice or the card and record the resolution (a flow: apology, a
revisit in a free window, a refund or discount typed in yuan, or no action with the reason); the
customer answers whether they are satisfied. The card and the lists are stateless buttons
carrying the complaint's id, checked against the presser in core.complaints at every press."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import complaint_views, complaints, parsing
from core.complaints import REASONS, RESOLUTIONS
from core.lifecycle import MANAGER
from core.parsing import parse_money

from .chat import Context, desk, keyboard, label, person, say, show
from .flow import Entry, Flow, Next, Question, Step, Turn
from .notify import wake_reminders
from .texts import window_label

log = logging.getLogger(__name__)

ID = r"\d{1,12}"


# --- the customer files a complaint -----------------------------------------------------------

async def start_command(turn: Turn, args) -> Next:
    choices = await complaints.orders_to_complain_about(turn.uow, turn.user)
    if not choices:
        turn.say("complaint_no_orders")
        return turn.end()
    return turn.goto("order")


async def start_from_card(turn: Turn, match) -> Next:
    order = await complaints.check_order(turn.uow, turn.user, int(match.group(1)))
    turn.draft.update(order=order.id, number=order.number, from_card=True)
    return turn.goto("reason")


async def ask_order(turn: Turn) -> Question:
    choices = await complaints.orders_to_complain_about(turn.uow, turn.user)
    rows = [[(" · ".join(x for x in (
        c.number, turn.label(f"category.{c.category or 'other'}"),
        turn.day(c.booked_date) if c.booked_date else "",
        turn.label(f"status.{c.status}")) if x), f"o{c.id}")] for c in choices]
    return Question("complaint_ask_order", rows)


async def chose_order(turn: Turn, value: str) -> Next:
    if not value.startswith("o") or not value[1:].isdecimal():
        turn.toast("toast.stale_button")
        return turn.stay()
    order = await complaints.check_order(turn.uow, turn.user, int(value[1:]))
    turn.draft.update(order=order.id, number=order.number)
    return turn.next()


async def ask_reason(turn: Turn) -> Question:
    rows = [[(turn.label(f"complaint.reason.{r}"), r)] for r in REASONS]
    return Question("complaint_ask_reason", rows, {"number": turn.draft["number"]})


async def chose_reason(turn: Turn, value: str) -> Next:
    turn.draft["reason"] = complaints.clean_reason(value)
    return turn.next()


async def ask_text(turn: Turn) -> Question:
    return Question("complaint_ask_text", [], {
        "reason": turn.label(f"complaint.reason.{turn.draft['reason']}"),
        "number": turn.draft["number"]})


async def typed_text(turn: Turn, text: str) -> Next:
    turn.draft["text"] = parsing.clean_text(text, "complaint", minimum=complaints.TEXT_MIN,
                                            maximum=complaints.TEXT_MAX, multiline=True)
    return turn.next()


async def ask_photos(turn: Turn) -> Question:
    count = len(turn.draft.get("photos", []))
    done = [[(turn.label("complaint.button.send"), "send")]]
    return Question("complaint_ask_photos", done,
                    {"count": count, "maximum": complaints.PHOTOS_MAX,
                     "received": turn.draft.pop("photo_received", False)})


async def got_photo(turn: Turn, file_id: str) -> Next:
    photos = turn.draft.setdefault("photos", [])
    if len(photos) >= complaints.PHOTOS_MAX:
        turn.say("photos_full", maximum=complaints.PHOTOS_MAX)
        return turn.stay()
    photos.append(file_id)
    turn.draft["photo_received"] = True
    return turn.again()


async def send_pressed(turn: Turn, value: str) -> Next:
    if value != "send":
        turn.toast("toast.stale_button")
        return turn.stay()
    d = turn.draft
    complaint = await complaints.open_complaint(turn.uow, turn.user, d["order"], d["reason"],
                                                d["text"], d.get("photos", []))
    turn.replace("complaint_opened", number=complaint.number, order=d["number"])
    log.info("complaint %s filed by customer %s", complaint.number, turn.user.id)
    return turn.end()


def _filing_steps(draft: dict) -> list[str]:
    steps = ["reason", "text", "photos"]
    return steps if draft.get("from_card") else ["order", *steps]


COMPLAINT = Flow(
    name="complaint", prefix="cmp",
    entries=[Entry(start_command, command="complain"),
             Entry(start_from_card, press=rf"^cm:o:({ID})$")],
    order=_filing_steps,
    cancelled="complaint_cancelled",
    invalid_input="complaint_invalid",
    steps={
        "order": Step(ask_order, press=chose_order),
        "reason": Step(ask_reason, press=chose_reason),
        "text": Step(ask_text, text=typed_text, wrong="expected_text"),
        "photos": Step(ask_photos, photo=got_photo, press=send_pressed,
                       wrong="complaint_photos_or_send"),
    },
)


# --- a manager records the resolution ---------------------------------------------------------

async def start_resolution(turn: Turn, match) -> Next:
    complaint = await complaints.require_holder(turn.uow, turn.user, int(match.group(1)))
    turn.draft.update(complaint=complaint.id, number=complaint.number)
    return turn.goto("kind")


def _resolution_steps(draft: dict) -> list[str]:
    more = {complaints.REVISIT: ["day", "window"],
            complaints.REFUND: ["amount"], complaints.DISCOUNT: ["amount"],
            complaints.NO_ACTION: ["note"], complaints.APOLOGY: ["note"]}
    return ["kind", *more.get(draft.get("resolution"), [])]


async def ask_kind(turn: Turn) -> Question:
    rows = [[(turn.label(f"complaint.resolution.{r}"), r)] for r in RESOLUTIONS]
    return Question("complaint_ask_resolution", rows, {"number": turn.draft["number"]})


async def chose_kind(turn: Turn, value: str) -> Next:
    if value not in RESOLUTIONS:
        turn.toast("toast.stale_button")
        return turn.stay()
    await complaints.require_holder(turn.uow, turn.user, turn.draft["complaint"])
    turn.draft["resolution"] = value
    return turn.next()


async def ask_amount(turn: Turn) -> Question:
    return Question("complaint_ask_amount", [], {
        "number": turn.draft["number"],
        "what": turn.label(f"complaint.resolution.{turn.draft['resolution']}")})


async def typed_amount(turn: Turn, text: str) -> Next:
    return await _resolve(turn, amount=parse_money(text))


async def ask_note(turn: Turn) -> Question:
    required = turn.draft["resolution"] == complaints.NO_ACTION
    rows = [] if required else [[(turn.label("complaint.button.no_note"), "skip")]]
    return Question("complaint_ask_note", rows, {"number": turn.draft["number"],
                                                 "required": required})


async def typed_note(turn: Turn, text: str) -> Next:
    return await _resolve(turn, note=text)


async def skipped_note(turn: Turn, value: str) -> Next:
    if value != "skip" or turn.draft["resolution"] == complaints.NO_ACTION:
        turn.toast("toast.stale_button")
        return turn.stay()
    return await _resolve(turn)


async def ask_day(turn: Turn) -> Question:
    days = await complaints.revisit_offers(turn.uow, turn.user, turn.draft["complaint"])
    rows = [[(turn.day(d.day), f"d{d.day.isoformat()}")] for d in days if d.free]
    return Question("complaint_ask_day", rows, {"number": turn.draft["number"],
                                                "none": not rows})


async def chose_day(turn: Turn, value: str) -> Next:
    if not value.startswith("d"):
        turn.toast("toast.stale_button")
        return turn.stay()
    turn.draft["day"] = value[1:]
    return turn.next()


async def ask_window(turn: Turn) -> Question:
    days = await complaints.revisit_offers(turn.uow, turn.user, turn.draft["complaint"])
    windows = [w for d in days if d.day.isoformat() == turn.draft["day"] for w in d.windows
               if w.free > 0]
    rows = [[(window_label(w.window), f"w{w.window}")] for w in windows]
    return Question("complaint_ask_window", rows, {"day": turn.day(turn.draft["day"]),
                                                   "none": not rows})


async def chose_window(turn: Turn, value: str) -> Next:
    if not value.startswith("w"):
        turn.toast("toast.stale_button")
        return turn.stay()
    return await _resolve(turn, day=turn.draft.get("day"), window=value[1:])


async def _resolve(turn: Turn, **given) -> Next:
    d = turn.draft
    complaint = await complaints.resolve(turn.uow, turn.user, d["complaint"], d["resolution"],
                                         **given)
    card = await complaint_views.complaint_card(turn.uow, turn.user, complaint.id)
    turn.say("complaint_resolution_saved", card=card)
    return turn.end()


RESOLUTION = Flow(
    name="complaint_resolution", prefix="cmr",
    entries=[Entry(start_resolution, press=rf"^cm:r:({ID})$")],
    order=_resolution_steps,
    cancelled="complaint_resolution_cancelled",
    invalid_input="complaint_invalid",
    steps={
        "kind": Step(ask_kind, press=chose_kind),
        "amount": Step(ask_amount, text=typed_amount, wrong="expected_text"),
        "note": Step(ask_note, text=typed_note, press=skipped_note, wrong="expected_text"),
        "day": Step(ask_day, press=chose_day),
        "window": Step(ask_window, press=chose_window),
    },
)


# --- the card, taking it, the customer's answer, the lists ------------------------------------

def card_buttons(update, context, user, card) -> list:
    rows = []
    if user.role == MANAGER:
        if card.manager_id is None:
            rows.append([(label(update, context, "complaint.button.take"), f"cm:t:{card.id}")])
        elif card.manager_id == user.id and card.status in (complaints.IN_HAND,
                                                            complaints.REOPENED):
            rows.append([(label(update, context, "complaint.button.resolve"),
                          f"cm:r:{card.id}")])
    elif card.status == complaints.RESOLVED:
        rows.append(answer_buttons(update, context, card.id))
    rows.append([(label(update, context, "complaint.button.see_order"), f"or:v:{card.order_id}")])
    return rows


def answer_buttons(update, context, complaint_id: int) -> list:
    return [(label(update, context, "complaint.button.satisfied"), f"cm:s:y:{complaint_id}"),
            (label(update, context, "complaint.button.unsatisfied"), f"cm:s:n:{complaint_id}")]


async def _card(update: Update, context: Context, complaint_id, *, edit: bool = True):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        card = await complaint_views.complaint_card(uow, user, complaint_id)
    reply = show if edit else say
    await reply(update, context, "complaint_card", card=card, staff=user.role == MANAGER,
                reply_markup=keyboard(card_buttons(update, context, user, card)))


async def card_pressed(update: Update, context: Context):
    complaint_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:  # refused before the press is answered
        user = await person(uow, update, context)
        await complaints.find(uow, user, complaint_id)
    await update.callback_query.answer()
    await _card(update, context, complaint_id, edit=False)


async def take_pressed(update: Update, context: Context):
    complaint_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        complaint = await complaints.take(uow, manager, complaint_id)
        await uow.commit()
    await update.callback_query.answer(label(update, context, "complaint.toast.taken",
                                             number=complaint.number))
    await _card(update, context, complaint_id, edit=False)


async def answer_pressed(update: Update, context: Context):
    _, _, yes_no, complaint_id = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        customer = await person(uow, update, context)
        complaint = await complaints.answer(uow, customer, int(complaint_id), yes_no == "y")
        await uow.commit()
    await update.callback_query.answer()
    wake_reminders(context)  # the manager hears of an unsatisfied answer now
    await show(update, context, "complaint_answered", number=complaint.number,
               satisfied=yes_no == "y")


async def list_command(update: Update, context: Context):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        lines = await complaint_views.complaint_list(uow, user)
    rows = [[(" · ".join(x for x in (
        line.number, line.order_number, label(update, context, f"complaint.status.{line.status}"),
        label(update, context, f"complaint.reason.{line.reason}"), line.manager_name) if x),
        f"cm:v:{line.id}")] for line in lines]
    await say(update, context, "complaint_list", count=len(lines),
              staff=user.role == MANAGER, reply_markup=keyboard(rows) if rows else None)


def handlers():
    return [
        CommandHandler("complaints", list_command),
        CallbackQueryHandler(card_pressed, pattern=rf"^cm:v:{ID}$"),
        CallbackQueryHandler(take_pressed, pattern=rf"^cm:t:{ID}$"),
        CallbackQueryHandler(answer_pressed, pattern=rf"^cm:s:(y|n):{ID}$"),
    ]

