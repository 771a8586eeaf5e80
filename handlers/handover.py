"""A delivery's handover in chat (core.handover). The technician, on site, presses "📦 Handover
check" on the job card: a short flow on the engine (the box intact or damaged, then at least one
photo; recorded when the photos are done). The customer gets the question at once with two
buttons; the technician hears the answer (a notice, and the card shows it). Damage opens a
claim, and the managers get a notice with "Install anyway" / "Hold installation"; the
technician hears the decision.

Callback data: jb:ho:<order> starts the flow; hv:c:<intact|damaged> hv:ph hv:!cancel in it;
ho:a:<order>:<y|n> the customer's answer, ho:d:<order>:<i|h> a manager's decision: stateless,
each checked in core against the presser (someone else's order answers like a missing one, a
technician's "install anyway" like any manager-only button, a second answer "already
answered"); refusals go to handlers.errors like every other.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from core import handover
from core.errors import NotFound
from core.models import Reminder, User

from .chat import Context, default_language, desk, keyboard, label, person, show, texts
from .flow import Entry, Next, Question, Step, Turn
from .job_flows import begin, job_flow, photo_added, photos_question, question, stale, words
from .jobs import ID
from .notify import wake_reminders

KINDS = handover.KINDS


def claim_text(context: Context, who: str) -> str:
    """The claim's words after the numbers, in the company's language (what managers read)."""
    return texts(context).label(default_language(context), f"handover.claim.{who}")


# --- the technician records the handover ------------------------------------------------------

async def start(turn: Turn, match) -> Next:
    order = await handover.check_recordable(turn.uow, turn.user, int(match.group(1)))
    begin(turn, order, photos=[], condition=None)
    return turn.goto("condition")


async def ask_condition(turn: Turn) -> Question:
    return question(turn, "handover_condition", [
        [(turn.label("handover.button.intact"), "c:intact")],
        [(turn.label("handover.button.damaged"), "c:damaged")]], number=turn.draft["number"])


async def condition_pressed(turn: Turn, value: str) -> Next:
    condition = value.removeprefix("c:")
    if not value.startswith("c:") or condition not in handover.CONDITIONS:
        return stale(turn)
    turn.draft["condition"] = condition
    return turn.goto("photos")


async def ask_photos(turn: Turn) -> Question:
    return photos_question(turn, "handover_photos", "handover_photo_received", "ph",
                           condition=turn.draft["condition"])


async def photos_done(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value != "ph":
        return stale(turn)
    if not d["photos"]:
        turn.say("handover_photo_needed")
        return turn.stay()
    await handover.record(turn.uow, turn.user, d["order"], d["condition"], d["photos"],
                          claim_text=claim_text(turn.context, "technician"))
    seen = await handover.view(turn.uow, turn.user, d["order"])
    turn.say("handover_recorded", handover=seen, reply_markup=keyboard(
        [[(words(turn, "button.open_job"), f"jb:v:{d['order']}")]]))
    return turn.end()


HANDOVER = job_flow(
    "job_handover", "hv",
    entries=[Entry(start, press=rf"^jb:ho:({ID})$")],
    steps={
        "condition": Step(ask_condition, press=condition_pressed),
        "photos": Step(ask_photos, photo=photo_added, press=photos_done,
                       wrong="photos_or_done"),
    },
)


# --- the customer's answer, a manager's decision ----------------------------------------------

async def answer_pressed(update: Update, context: Context):
    _, _, order_id, yes_no = update.callback_query.data.split(":")
    good = yes_no == "y"
    async with desk(context).uow() as uow:
        customer = await person(uow, update, context)
        await handover.answer(uow, customer, int(order_id), good,
                              claim_text=claim_text(context, "customer"))
        seen = await handover.view(uow, customer, int(order_id))
        await uow.commit()
    await update.callback_query.answer()
    wake_reminders(context)  # the technician (and the managers, on damage) hear of it now
    await show(update, context, "handover_answered", handover=seen)


async def decide_pressed(update: Update, context: Context):
    _, _, order_id, choice = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        manager = await person(uow, update, context)
        await handover.decide(uow, manager, int(order_id), choice == "i")
        seen = await handover.view(uow, manager, int(order_id))
        await uow.commit()
    await update.callback_query.answer(label(update, context, f"handover.toast.{seen.decision}"))
    wake_reminders(context)
    await show(update, context, "handover_decided", handover=seen,
               reply_markup=keyboard(decision_rows(
                   lambda key: label(update, context, key), seen)))


def decision_rows(word, seen: handover.HandoverView) -> list:
    """The buttons a manager still has on a claim: both while undecided; "install anyway"
    while held; the complaint's card."""
    rows = []
    if seen.decision is None:
        rows.append([(word("handover.button.install"), f"ho:d:{seen.order_id}:i")])
        rows.append([(word("handover.button.hold"), f"ho:d:{seen.order_id}:h")])
    elif seen.decision == handover.HOLD:
        rows.append([(word("handover.button.install"), f"ho:d:{seen.order_id}:i")])
    if seen.complaint_id:
        rows.append([(word("complaint.button.see"), f"cm:v:{seen.complaint_id}")])
    return rows


# --- notices ----------------------------------------------------------------------------------

async def notice(uow, texts, lang: str, recipient: User,
                 reminder: Reminder) -> tuple[dict, list] | None:
    """The values and buttons of a handover notice, or None when there is nothing to say any
    more (answered or decided meanwhile, or not the recipient's to see)."""
    word = lambda key, **params: texts.label(lang, key, **params)  # noqa: E731
    try:
        seen = await handover.view(uow, recipient, handover.order_of(reminder) or 0)
    except NotFound:
        return None
    if seen is None:
        return None
    values = dict(handover=seen, decision=reminder.key.rsplit(":", 1)[-1])
    if reminder.kind == "handover_confirm":
        if seen.customer_answer is not None:
            return None
        return values, [[(word("handover.button.good"), f"ho:a:{seen.order_id}:y")],
                        [(word("handover.button.bad"), f"ho:a:{seen.order_id}:n")]]
    if reminder.kind == "handover_claim":
        if seen.decision is not None:
            return None
        return values, decision_rows(word, seen)
    return values, [[(word("jobs.button.open_job"), f"jb:v:{seen.order_id}")]]


def handlers():
    return [
        CallbackQueryHandler(answer_pressed, pattern=rf"^ho:a:{ID}:(y|n)$"),
        CallbackQueryHandler(decide_pressed, pattern=rf"^ho:d:{ID}:(i|h)$"),
    ]

