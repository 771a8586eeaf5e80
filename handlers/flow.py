"""The one conversation engine: every question-and-answer exchange in the bot is a Flow of
Steps declared on it (registration, booking, the technician's job flows, stock, sales, ...).

Why not PTB's ConversationHandler: it keeps each chat's state in process memory, loaded once at
start and written back later, so a crash leaves the stored step behind what the person saw and
two instances each hold their own copy. Here the state is a database row (core.conversations),
and the engine runs each update as one unit of work:

  read the chat's row -> take the answer (parse it, run the step's effects) -> write the new
  step and draft, and the messages to send (the outbox), in the same transaction -> commit ->
  answer the press -> send the outbox -> note the question's message id in the row.

A crash before the commit takes nothing (the person answers again); after it, the outbox is
still in the row, and the next input from that chat first (re)sends it instead of being taken as
the answer to a question the person never saw. A press counts only on the message of the
current question. Updates of one chat run one at a time across processes (bot.gate), so any
instance can take any update: there is no copy of the state anywhere else.

A flow declares, per step: how to ask (a template, its values and buttons) and how to take a
typed text, a pressed button, a photo, a contact or a location. The engine owns the rest once:
Back, Cancel (button or /cancel), Edit from a summary, out-of-date buttons, answers of the wrong
kind, edited messages, refusals (a DomainError keeps the step and says why), and answering
every press exactly once.

Flow buttons' callback data is `<flow prefix>:<value>`; the engine's own values start with "!".
"""
from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Awaitable, Callable

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from core import conversations, people
from core.errors import DomainError, InvalidInput
from core.models import Conversation, User

from .chat import Context, desk, language_of, texts
from .notify import wake_reminders
from .texts import split_message

log = logging.getLogger(__name__)

BACK, CANCEL, EDIT = "!back", "!cancel", "!edit"
EDIT_STEP = "!edit"
UNTIL = "!until"  # in a draft: editing from the summary, the step after which it returns


# --- what flows declare ------------------------------------------------------------------

@dataclass
class Question:
    """A step's question: a template with its values, and rows of (label, value) buttons."""
    template: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    nav: bool = True  # add the Back / Cancel row
    keyboard: ReplyKeyboardMarkup | None = None  # a reply keyboard instead of buttons


Handler = Callable[..., Awaitable["Next | None"]]


@dataclass
class Step:
    ask: Callable[["Turn"], Awaitable[Question]]
    text: Handler | None = None      # (turn, text)
    press: Handler | None = None     # (turn, value)
    photo: Handler | None = None     # (turn, file_id of the largest size)
    contact: Handler | None = None   # (turn, telegram Contact)
    location: Handler | None = None  # (turn, telegram Location)
    wrong: str | None = None         # template for an answer of a kind the step does not take


@dataclass
class Entry:
    """How a flow starts: a command, or a press whose data matches `press`. `start` gets the
    turn (an empty draft) and the command's arguments or the match; it returns where to go,
    or turn.end() to start nothing (whatever the chat was in then stays as it was)."""
    start: Handler
    command: str | None = None
    press: str | None = None


@dataclass
class Flow:
    name: str
    prefix: str
    steps: dict[str, Step]
    entries: list[Entry]
    order: Callable[[dict], list[str]] | list[str] = field(default_factory=list)
    cancelled: str = "cancelled"            # template when the person cancels
    summary: str | None = None              # the step that confirms; Edit returns to it
    editable: Callable[[dict], dict[str, tuple[str, str]]] | None = None
    edit_template: str = "booking_edit"
    ttl: timedelta | None = None            # a draft left this long is forgotten
    invalid_input: str = "error_invalid_input"  # template saying why a typed answer is refused
    # The flow's own words for a refusal, after the rollback (else error_<code>); it returns
    # where to go (None: stay).
    refused: Callable[["Turn", DomainError], "Next | None"] | None = None
    stopped: Callable[["Turn"], None] | None = None  # says what Cancel says, not `cancelled`
    # Telegram's convention for a screen of buttons: a press that moves the flow on (or starts
    # it from a card) turns the pressed message into what comes next, instead of a new message
    # below it. A typed answer still gets a new message (the question is above it).
    in_place: bool = False

    def steps_of(self, draft: dict) -> list[str]:
        return self.order(draft) if callable(self.order) else list(self.order)


@dataclass
class Next:
    kind: str  # "goto" | "refresh" | "end" | "stay" | "start"
    step: str | None = None
    flow: str | None = None


# --- one update's turn --------------------------------------------------------------------

class Turn:
    """What a step sees of the update it answers, and how it says things. Nothing is sent
    until the step's unit of work is committed."""

    def __init__(self, engine: "Engine", update: Update, context: Context, uow, user: User,
                 row: Conversation, flow: Flow | None):
        self.engine, self.update, self.context = engine, update, context
        self.uow, self.user, self.row, self.flow = uow, user, row, flow
        self.step = row.step
        self.draft: dict = copy.deepcopy(row.draft or {}) if flow else {}
        self.outbox: list[dict] = []
        self.toast_text: str | None = None
        self.started_by_press = False  # this turn started the flow from a pressed message
        self.lang = context.user_data["lang"]

    async def undo(self) -> None:
        """Rolls back what this step changed so far (what was read before it is kept)."""
        await self.uow.rollback()
        await self.uow.session.refresh(self.user)
        # The rollback expired the row too: read it again (the step's own write is later).
        self.row = await conversations.load(self.uow, self.chat_id)

    # saying things (sent after the commit, in this order)
    def say(self, template: str, /, *, reply_markup=None, **values) -> None:
        if template.startswith("error_"):  # a refusal knows whether a button was pressed
            values.setdefault("pressed", self.update.callback_query is not None)
        self.outbox += _messages(texts(self.context).render(self.lang, template, **values),
                                 reply_markup)

    def replace(self, template: str, /, **values) -> None:
        """Turns the current question's message into `template`, without buttons."""
        first, *rest = _messages(texts(self.context).render(self.lang, template, **values), None)
        if self.row.question_id:
            first["edit"] = self.row.question_id
        self.outbox += [first, *rest]

    def show(self, template: str, /, *, reply_markup=None, **values) -> None:
        """Turns the pressed message (a card outside the flow, say) into `template`."""
        items = _messages(texts(self.context).render(self.lang, template, **values), reply_markup)
        query = self.update.callback_query
        if query is not None and query.message is not None and len(items) == 1:
            items[0]["edit"] = query.message.message_id
        self.outbox += items

    def toast(self, key: str, /, **params) -> None:
        """The short notice on the pressed button (a label)."""
        self.toast_text = self.label(key, **params)

    def label(self, key: str, /, **params) -> str:
        return texts(self.context).label(self.lang, key, **params)

    def day(self, day) -> str:
        return texts(self.context).day(self.lang, day)

    def keyboard(self, rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
        """Buttons of this flow: (label, value) rows."""
        return _inline(rows, self.flow.prefix)

    @property
    def desk(self):
        return desk(self.context)

    @property
    def chat_id(self) -> int:
        return self.update.effective_chat.id

    # where to go
    def goto(self, step: str) -> Next:
        return Next("goto", step)

    def again(self) -> Next:
        return Next("goto", self.step)

    def refresh(self) -> Next:
        """Show the current question again in place (its buttons changed)."""
        return Next("refresh", self.step)

    def stay(self) -> Next:
        return Next("stay")

    def end(self) -> Next:
        return Next("end")

    def start(self, flow: str, step: str) -> Next:
        """Leave this flow for another, at `step`, with this draft."""
        return Next("start", step, flow)

    def next(self) -> Next:
        """The step after this one, or back to the summary when an edit is finished."""
        if self.draft.get(UNTIL) == self.step:
            self.draft.pop(UNTIL)
            return self.goto(self.flow.summary)
        steps = self.flow.steps_of(self.draft)
        return self.goto(steps[steps.index(self.step) + 1])

    def back(self) -> Next:
        steps = self.flow.steps_of(self.draft)
        if self.step not in steps:
            return self.goto(self.flow.summary or steps[0])
        return self.goto(steps[max(steps.index(self.step) - 1, 0)])


# --- the engine -------------------------------------------------------------------------

@dataclass
class Input:
    kind: str  # command | press | text | photo | contact | location | edited | other
    value: Any = None
    message_id: int | None = None
    args: list[str] = field(default_factory=list)


class Engine:
    def __init__(self, flows: list[Flow]):
        self.flows = {flow.name: flow for flow in flows}
        self.by_prefix = {flow.prefix: flow for flow in flows}
        self.commands = {e.command: (flow, e) for flow in flows for e in flow.entries if e.command}
        self.presses = [(re.compile(e.press), flow, e)
                        for flow in flows for e in flow.entries if e.press]

    # PTB calls this for every update first (group -1); ApplicationHandlerStop when it is ours.
    async def handle(self, update: Update, context: Context) -> None:
        # The language noted last time may be another instance's news: each update reads it.
        if context.user_data is not None:
            context.user_data.pop("lang", None)
        chat, tg_user = update.effective_chat, update.effective_user
        if chat is None or tg_user is None or chat.type != "private":
            return
        got = _input(update)
        if got is None:
            return
        entry = None
        if got.kind == "command":
            if got.value in self.commands:
                entry = self.commands[got.value]
            elif got.value != "cancel":
                return  # other commands are no answer: the flow keeps its step
        elif got.kind == "press":
            entry = self._entry_press(got.value)
            if entry is None and got.value.split(":", 1)[0] not in self.by_prefix:
                return  # a stateless button (cards, lists): its own handler
        async with desk(context).uow() as uow:
            row = await conversations.load(uow, chat.id)
            user = await people.ensure_user(uow, tg_user.id, tg_user.language_code)
            context.user_data["lang"] = language_of(user, update, context)
            if uow.session.new or uow.session.dirty:
                # A new person's row is committed now: a refusal later rolls back the step's
                # own changes only.
                await uow.commit()
            flow = self.flows.get(row.flow)
            if flow and flow.ttl and row.updated_at < uow.now() - flow.ttl:
                flow = None  # left too long: forgotten
            if row.outbox:
                # The person has not seen what the last step said: that first. Then a command
                # or (outside a flow) a message is taken; an answer to the open question is not.
                taken = entry is not None or (flow is None and got.kind != "press")
                if not taken:
                    await self._answer(update, texts(context).label(
                        context.user_data["lang"], "toast.stale_button"))
                await self._resend(context, row, note=flow is not None and not taken)
                if not taken:
                    raise ApplicationHandlerStop
                row = await conversations.load(uow, chat.id)
            turn = Turn(self, update, context, uow, user, row, flow)
            if entry is not None:
                nxt = await self._start(turn, got, *entry)
            elif flow is None:
                if got.kind == "press":
                    turn.toast("toast.stale_button")
                    nxt = Next("stay")
                elif got.kind == "edited":
                    turn.say("edit_not_read")
                    nxt = Next("stay")
                else:
                    return  # not in a conversation: the other handlers answer
            else:
                nxt = await self._answer_step(turn, got)
            await self._finish(turn, nxt)
        wake_reminders(context)  # whatever the step planned for others goes now
        await self._answer(update, turn.toast_text)
        await self.deliver(context, turn.row)
        raise ApplicationHandlerStop

    def _entry_press(self, data: str):
        for pattern, flow, entry in self.presses:
            match = pattern.match(data)
            if match:
                return flow, entry, match
        return None

    async def _start(self, turn: Turn, got: Input, flow: Flow, entry: Entry, match=None):
        current_flow, current_step, current_draft = turn.flow, turn.step, turn.draft
        turn.flow, turn.step, turn.draft = flow, None, {}
        argument = match if got.kind == "press" else got.args
        nxt = await self._guarded(turn, entry.start, argument)
        if nxt.kind in ("end", "stay"):
            # Nothing started: the chat stays in whatever it was in.
            turn.flow, turn.step, turn.draft = current_flow, current_step, current_draft
            return Next("stay")
        turn.started_by_press = got.kind == "press" and flow.in_place
        if nxt.kind == "goto":
            return Next("start", nxt.step, flow.name)
        return nxt

    async def _answer_step(self, turn: Turn, got: Input) -> Next | None:
        flow, row = turn.flow, turn.row
        step = flow.steps.get(row.step) if row.step != EDIT_STEP else self._edit_step(flow)
        if got.kind == "command":  # /cancel
            return self._cancel(turn)
        if got.kind == "press":
            prefix, _, value = got.value.partition(":")
            if prefix != flow.prefix or got.message_id != row.question_id or step is None:
                turn.toast("toast.stale_button")
                return Next("stay")
            if value == CANCEL:
                return self._cancel(turn)
            if value == BACK:
                return turn.back()
            if value == EDIT and flow.editable:
                return turn.goto(EDIT_STEP)
            if step.press is None:
                turn.toast("toast.stale_button")
                return Next("stay")
            return await self._guarded(turn, step.press, value)
        asked = row.question_from or row.question_id
        if got.kind == "edited":
            # A correction of an answer given to the question still open is that answer;
            # an edit of anything older cannot be taken back in safely.
            if step and step.text and asked and got.message_id > asked:
                return await self._guarded(turn, step.text, got.value)
            turn.say("edit_not_read")
            return Next("stay")
        if got.kind in ("text", "contact", "location") and asked and got.message_id < asked:
            # Sent before the open question was shown: it may answer an older one. Say so, and
            # leave the question where it is (a new copy would outdate what is typed meanwhile).
            turn.say("answer_above")
            return Next("stay")
        handler = getattr(step, got.kind, None) if got.kind != "other" else None
        if step is None or handler is None:
            turn.say(self._wrong(step, got.kind))
            return Next("stay")
        return await self._guarded(turn, handler, got.value)

    @staticmethod
    def _wrong(step: Step | None, kind: str) -> str:
        if step is not None and step.wrong:
            return step.wrong
        if step is not None and step.text and kind != "text":
            return "expected_text"
        return "use_buttons"

    async def _guarded(self, turn: Turn, handler: Handler, value) -> Next:
        """Runs a step's handler; a refusal keeps the step, says why and changes nothing."""
        try:
            nxt = await handler(turn, value)
        except DomainError as refused:
            await turn.undo()
            turn.draft = copy.deepcopy(turn.row.draft or {}) if turn.flow else {}
            turn.outbox = []
            template = (turn.flow.invalid_input if turn.flow else "error_invalid_input") \
                if isinstance(refused, InvalidInput) else f"error_{refused.code}"
            log.info("chat %s: step %s refused: %s", turn.chat_id, turn.step, refused)
            if turn.flow is not None and turn.flow.refused is not None:
                nxt = turn.flow.refused(turn, refused)
                return nxt if nxt is not None else Next("stay")
            turn.say(template, **refused.details)
            return Next("stay")
        return nxt if nxt is not None else Next("stay")

    def _cancel(self, turn: Turn) -> Next:
        if turn.flow.stopped is not None:
            turn.flow.stopped(turn)
            return Next("end")
        turn.say(turn.flow.cancelled, reply_markup=ReplyKeyboardRemove())
        return Next("end")

    def _edit_step(self, flow: Flow) -> Step:
        async def ask(turn: Turn) -> Question:
            rows = [[(turn.label(f"button.edit_{part}"), f"{EDIT}:{part}")]
                    for part in flow.editable(turn.draft)]
            rows.append([(turn.label("button.back"), f"{EDIT}:none")])
            return Question(flow.edit_template, rows, nav=False)

        async def press(turn: Turn, value: str) -> Next:
            part = value.removeprefix(f"{EDIT}:")
            parts = flow.editable(turn.draft)
            if part not in parts:
                return turn.goto(flow.summary)
            first, last = parts[part]
            turn.draft[UNTIL] = last
            return turn.goto(first)

        return Step(ask=ask, press=press)

    async def _finish(self, turn: Turn, nxt: Next) -> None:
        """Writes the step's outcome into the row, with the question to send, and commits."""
        row = turn.row
        query = turn.update.callback_query
        pressed_question = (query is not None and query.message is not None
                            and query.message.message_id == row.question_id)
        if nxt.kind == "start":
            turn.flow = self.flows[nxt.flow]
            row.flow = turn.flow.name
            nxt = Next("goto", nxt.step)
        if nxt.kind == "end":
            row.flow = row.step = row.question_id = row.question_from = None
            row.draft = {}
        elif nxt.kind in ("goto", "refresh"):
            turn.step = row.step = nxt.step
            row.flow = turn.flow.name
            question = await self._question(turn)
            if nxt.kind == "refresh" and row.question_id and len(question) == 1:
                question[0]["edit"] = row.question_id
            else:
                row.question_id = row.question_from = None
            turn.outbox += question
            row.draft = turn.draft
        else:  # stay
            row.draft = turn.draft if turn.flow else {}
        self._in_place(turn, nxt, pressed_question)
        row.outbox = list(row.outbox or []) + turn.outbox
        conversations.save(turn.uow, row)
        await conversations.remember_update(turn.uow, turn.update.update_id)
        await turn.uow.commit()
        log.debug("chat %s: %s/%s", row.chat_id, row.flow, row.step)

    @staticmethod
    def _in_place(turn: Turn, nxt: Next, pressed_question: bool) -> None:
        """In a flow `in_place`: what a press on the open question (or on the card that
        started the flow) leads to replaces the pressed message. Only when the flow moved
        on (a refusal that keeps the step is a new message, the question stays as it was),
        and only a message with inline buttons or none (a reply keyboard needs a new one)."""
        query = turn.update.callback_query
        if (query is None or query.message is None or turn.flow is None
                or not turn.flow.in_place or not turn.outbox):
            return
        if not (turn.started_by_press or (pressed_question and nxt.kind in ("goto", "end"))):
            return
        first = turn.outbox[0]
        if first.get("edit") or "keyboard" in first or first.get("remove_keyboard"):
            return
        first["edit"] = query.message.message_id

    async def _question(self, turn: Turn) -> dict:
        flow = turn.flow
        step = self._edit_step(flow) if turn.step == EDIT_STEP else flow.steps[turn.step]
        question = await step.ask(turn)
        rows = list(question.buttons)
        if question.nav:
            nav = [(turn.label("button.cancel"), CANCEL)]
            steps = flow.steps_of(turn.draft)
            if turn.step in steps and steps.index(turn.step) > 0:
                nav.insert(0, (turn.label("button.back"), BACK))
            rows.append(nav)
        text = texts(turn.context).render(turn.lang, question.template, **question.values)
        markup = question.keyboard or (_inline(rows, flow.prefix) if rows else None)
        *before, message = _messages(text, markup)
        message["question"] = True
        return before + [message]

    # --- after the commit ---------------------------------------------------------------

    @staticmethod
    async def _answer(update: Update, key_or_text: str | None) -> None:
        if update.callback_query:  # once: bot.gate drops any second answer
            await update.callback_query.answer(key_or_text)

    async def _resend(self, context: Context, row: Conversation, *, note: bool) -> None:
        if note:
            await context.bot.send_message(
                row.chat_id, texts(context).render(context.user_data["lang"], "answer_latest"),
                parse_mode=ParseMode.HTML)
        await self.deliver(context, row)

    async def deliver(self, context: Context, row: Conversation) -> None:
        await deliver(context.bot, desk(context), row)

    @staticmethod
    async def deliver_pending(application) -> int:
        """At start: what a stopped instance committed but did not get to send, sent now
        (each chat under the gate, so an update of that chat waits for it)."""
        the_desk, gate = application.bot_data["desk"], application.bot_data["gate"]
        async with the_desk.uow() as uow:
            chats = await conversations.with_outbox(uow)
        for chat_id in chats:
            async with gate.holding(chat_id):
                async with the_desk.uow() as uow:
                    row = await conversations.load(uow, chat_id)
                try:
                    await deliver(application.bot, the_desk, row)
                except TelegramError as error:
                    log.warning("chat %s: pending messages not sent: %s", chat_id, error)
        return len(chats)


async def deliver(bot, the_desk, row: Conversation) -> None:
    """Sends the row's outbox, then notes it sent (and the question's message id)."""
    if not row.outbox:
        return
    question_id = first = None
    for item in row.outbox:
        try:
            sent = await _send(bot, row.chat_id, item)
        except BadRequest as error:
            # Telegram will never take this one: passed over (and logged), or every later
            # input of this person would meet it again.
            log.error("chat %s: a message was refused and is dropped: %s", row.chat_id, error)
            continue
        first = first if first is not None else sent
        if item.get("question"):
            question_id = sent
    async with the_desk.uow() as uow:
        await conversations.delivered(uow, row.chat_id, row.version, question_id, first)
        await uow.commit()


# --- messages as rows -------------------------------------------------------------------

def _messages(text: str, markup) -> list[dict]:
    """A rendered text as outbox items: in parts when longer than Telegram takes, the markup
    with the last."""
    *before, last = split_message(text)
    return [{"text": part} for part in before] + [_message(last, markup)]


def _message(text: str, markup) -> dict:
    item: dict[str, Any] = {"text": text}
    if isinstance(markup, InlineKeyboardMarkup):
        item["inline"] = markup.to_dict()["inline_keyboard"]
    elif isinstance(markup, ReplyKeyboardMarkup):
        item["keyboard"] = markup.to_dict()
    elif isinstance(markup, ReplyKeyboardRemove):
        item["remove_keyboard"] = True
    return item


def _markup(item: dict):
    if "inline" in item:
        return InlineKeyboardMarkup.de_json({"inline_keyboard": item["inline"]}, None)
    if "keyboard" in item:
        return ReplyKeyboardMarkup.de_json(item["keyboard"], None)
    if item.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    return None


async def _send(bot, chat_id: int, item: dict) -> int:
    if item.get("edit"):
        try:
            await bot.edit_message_text(item["text"], chat_id=chat_id, message_id=item["edit"],
                                        parse_mode=ParseMode.HTML, reply_markup=_markup(item))
            return item["edit"]
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return item["edit"]
            log.info("chat %s: could not edit message %s (%s): sent anew", chat_id,
                     item["edit"], error)
    message = await bot.send_message(chat_id, item["text"], parse_mode=ParseMode.HTML,
                                     reply_markup=_markup(item))
    return message.message_id


def _inline(rows: list[list[tuple[str, str]]], prefix: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=f"{prefix}:{value}")
                                  for text, value in row] for row in rows])


def _input(update: Update) -> Input | None:
    if update.callback_query:
        query = update.callback_query
        return Input("press", query.data or "",
                     query.message.message_id if query.message else None)
    if update.edited_message:
        edited = update.edited_message
        return Input("edited", edited.text or edited.caption or "", edited.message_id)
    message = update.message
    if message is None:
        return None
    if message.text and message.text.startswith("/"):
        words = message.text.split()
        name = words[0][1:].split("@", 1)[0].lower()
        return Input("command", name, message.message_id, words[1:])
    if message.text:
        return Input("text", message.text, message.message_id)
    if message.photo:
        return Input("photo", message.photo[-1].file_id, message.message_id)
    if message.contact:
        return Input("contact", message.contact, message.message_id)
    if message.location:
        return Input("location", message.location, message.message_id)
    return Input("other", None, message.message_id)
