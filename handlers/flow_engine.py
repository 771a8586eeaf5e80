"""The conversation engine at work: each update read, answered by its flow's step (handlers.flow)
in one unit of work with the chat's row, and its outbox sent after the commit (handlers.outbox).
See handlers.flow for why and how."""
from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from core import conversations, people, reminder_queue
from core.errors import DomainError, InvalidInput
from core.conversations import ChatState

from .chat import Context, desk, language_of, texts
from .flow import (
    BACK,
    CANCEL,
    EDIT,
    EDIT_STEP,
    UNTIL,
    Entry,
    Flow,
    Handler,
    Next,
    Question,
    Step,
    Turn,
)
from .notify import wake_reminders
from .outbox import deliver, inline_keyboard, messages

log = logging.getLogger(__name__)


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

    def route(self, update: Update) -> tuple[Input, tuple | None] | None:
        """What the update is and the flow entry it starts, when the engine reads the chat's
        row for it (None: it passes to the other handlers untouched)."""
        chat, tg_user = update.effective_chat, update.effective_user
        if chat is None or tg_user is None or chat.type != "private":
            return None
        got = _input(update)
        if got is None:
            return None
        entry = None
        if got.kind == "command":
            if got.value in self.commands:
                entry = self.commands[got.value]
            elif got.value != "cancel":
                return None  # other commands are no answer: the flow keeps its step
        elif got.kind == "press":
            entry = self._entry_press(got.value)
            if entry is None and got.value.split(":", 1)[0] not in self.by_prefix:
                return None  # a stateless button (cards, lists): its own handler
        return got, entry

    # PTB calls this for every update first (group -1); ApplicationHandlerStop when it is ours.
    async def handle(self, update: Update, context: Context) -> None:
        # The language noted last time may be another instance's news: each update reads it.
        if context.user_data is not None:
            context.user_data.pop("lang", None)
        routed = self.route(update)
        if routed is None:
            return
        got, entry = routed
        chat, tg_user = update.effective_chat, update.effective_user
        async with desk(context).uow() as uow:
            # bot.gate leaves the handled check of the updates routed here to this statement.
            row, user, handled = await conversations.load_for_update(
                uow, chat.id, tg_user.id, update.update_id)
            if handled:
                conversations.skip_handled(update.update_id)
                raise ApplicationHandlerStop
            user = await people.note_contact(uow, user, tg_user.id, tg_user.language_code)
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
            turn = Turn(update, context, uow, user, row, flow)
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
            planned = reminder_queue.written(uow)
        if planned:
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
            nxt = Next("goto", nxt.step)
        if nxt.kind == "end":
            row.flow = row.step = row.question_id = row.question_from = None
            row.draft = {}
        elif nxt.kind in ("goto", "refresh"):
            turn.step = nxt.step
            question = await self._question(turn)
            row.step, row.flow = nxt.step, turn.flow.name
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
        await conversations.save(turn.uow, row)
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
        markup = question.keyboard or (inline_keyboard(rows, flow.prefix) if rows else None)
        *before, message = messages(text, markup)
        message["question"] = True
        return before + [message]

    # --- after the commit ---------------------------------------------------------------

    @staticmethod
    async def _answer(update: Update, key_or_text: str | None) -> None:
        if update.callback_query:  # once: bot.gate drops any second answer
            await update.callback_query.answer(key_or_text)

    async def _resend(self, context: Context, row: ChatState, *, note: bool) -> None:
        if note:
            await context.bot.send_message(
                row.chat_id, texts(context).render(context.user_data["lang"], "answer_latest"),
                parse_mode=ParseMode.HTML)
        await self.deliver(context, row)

    async def deliver(self, context: Context, row: ChatState) -> None:
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
