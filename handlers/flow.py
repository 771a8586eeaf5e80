"""The one conversation engine: every question-and-answer exchange in the bot is a Flow of
Steps declared on it (registration, booking, the technician's job flows, stock, sales, ...);
the engine that runs them is handlers.flow_engine, the messages they say handlers.outbox.

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
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Awaitable, Callable

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, Update

from core.conversations import ChatState
from core.errors import DomainError
from core.models import User

from .chat import Context, desk, texts
from .outbox import inline_keyboard, messages

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

    def __init__(self, update: Update, context: Context, uow, user: User, row: ChatState,
                 flow: Flow | None):
        self.update, self.context = update, context
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

    # saying things (sent after the commit, in this order)
    def say(self, template: str, /, *, reply_markup=None, **values) -> None:
        if template.startswith("error_"):  # a refusal knows whether a button was pressed
            values.setdefault("pressed", self.update.callback_query is not None)
        self.outbox += messages(texts(self.context).render(self.lang, template, **values),
                                 reply_markup)

    def replace(self, template: str, /, **values) -> None:
        """Turns the current question's message into `template`, without buttons."""
        first, *rest = messages(texts(self.context).render(self.lang, template, **values), None)
        if self.row.question_id:
            first["edit"] = self.row.question_id
        self.outbox += [first, *rest]

    def show(self, template: str, /, *, reply_markup=None, **values) -> None:
        """Turns the pressed message (a card outside the flow, say) into `template`."""
        items = messages(texts(self.context).render(self.lang, template, **values), reply_markup)
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
        return inline_keyboard(rows, self.flow.prefix)

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
