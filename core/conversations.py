"""Where each chat stands in a conversation, and which updates were handled: rows written in
the unit of work of the step that changes them, so what is stored is never behind what a
person was told, and never ahead of it without the message waiting in the row's outbox.

Plain rows for any chat front end: a flow and step name, a JSON draft, the id of the question
message being answered, and the messages still to send. The engine reads and writes the row
as a plain value (`ChatState`) with one statement each way: the ORM's bookkeeping (identity
map, change tracking, flush order) cost more than the statements on every update and adds
nothing to one row read and written whole.
"""
from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, exists, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from .desk import Desk, UnitOfWork
from .models import Conversation, HandledUpdate, User

log = logging.getLogger(__name__)

_CONVERSATIONS = Conversation.__table__
_HANDLED = HandledUpdate.__table__

# The statements every update runs, built once with parameters (building one costs about as
# much as running it on a small table).
_HANDLED_ID = select(_HANDLED.c.update_id).where(_HANDLED.c.update_id == bindparam("update_id"))
_ONE = select(literal(1).label("one")).subquery()
_STATE_COLUMNS = [_CONVERSATIONS.c[name] for name in (
    "chat_id", "flow", "step", "draft", "question_id", "question_from", "outbox", "version",
    "updated_at")]
_FOR_UPDATE = (
    select(exists(_HANDLED_ID), User, *_STATE_COLUMNS)
    .select_from(_ONE)
    .outerjoin(User, User.telegram_id == bindparam("telegram_id"))
    .outerjoin(_CONVERSATIONS, _CONVERSATIONS.c.chat_id == bindparam("chat_id"))
    .execution_options(populate_existing=True))
_STATE = select(*_STATE_COLUMNS).where(_CONVERSATIONS.c.chat_id == bindparam("chat_id"))
_WRITTEN = {name: bindparam(name) for name in (
    "flow", "step", "draft", "question_id", "question_from", "outbox", "version", "updated_at")}
_FIRST_WRITE = insert(_CONVERSATIONS).values(chat_id=bindparam("chat"), **_WRITTEN)
_REMEMBER = {
    dialect: insert(_HANDLED).values(update_id=bindparam("update_id"), at=bindparam("at"))
    .on_conflict_do_nothing(index_elements=["update_id"])
    for dialect, insert in (("postgresql", postgres_insert), ("sqlite", sqlite_insert))}
_SENT = update(_CONVERSATIONS).where(
    _CONVERSATIONS.c.chat_id == bindparam("chat"), _CONVERSATIONS.c.version == bindparam("seen"))
_NEXT_WRITE = _SENT.values(**_WRITTEN)
_DELIVERED = _SENT.values(outbox=bindparam("outbox"), version=bindparam("version"),
                          updated_at=bindparam("updated_at"))
_ASKED = _SENT.values(outbox=bindparam("outbox"), version=bindparam("version"),
                      updated_at=bindparam("updated_at"), question_id=bindparam("question_id"),
                      question_from=bindparam("question_from"))

KEEP_HANDLED = timedelta(days=1)  # Telegram stops redelivering an update long before this
# Whether the update being handled was noted in a step's own transaction (then the caller
# need not note it again).
remembered: ContextVar[bool] = ContextVar("remembered", default=False)
# Whether the update being handled turned out to be handled before (skipped).
skipped: ContextVar[bool] = ContextVar("skipped", default=False)
# The update's ledger: a connection of its own that bot.gate holds while the update is handled
# (on PostgreSQL the one holding the chat's lock), in autocommit. The notes every update makes
# (handled, messages delivered) go on it as plain statements, each committed as it runs: it is
# true when made, and no write of a later step may wait behind it.
ledger: ContextVar[AsyncConnection | None] = ContextVar("ledger", default=None)


@dataclass
class ChatState:
    """A chat's conversation row as a plain value (`stored`: the row exists). `version`
    counts the writes; JSON columns are replaced whole when written."""
    chat_id: int
    flow: str | None = None
    step: str | None = None
    draft: dict = field(default_factory=dict)
    question_id: int | None = None
    question_from: int | None = None
    outbox: list = field(default_factory=list)
    version: int = 0
    updated_at: datetime | None = None
    stored: bool = False


def _state(chat_id: int, row) -> ChatState:
    if row is None or row.chat_id is None:
        return ChatState(chat_id)
    return ChatState(row.chat_id, row.flow, row.step, row.draft or {}, row.question_id,
                     row.question_from, row.outbox or [], row.version or 0, row.updated_at,
                     stored=True)


async def load(uow: UnitOfWork, chat_id: int) -> ChatState:
    """The chat's conversation row, a blank one (not yet stored) if it has none."""
    return _state(chat_id, (await uow.session.execute(_STATE, {"chat_id": chat_id})).first())


async def load_for_update(uow: UnitOfWork, chat_id: int, telegram_id: int,
                          update_id: int) -> tuple[ChatState, User | None, bool]:
    """The chat's row (as `load`), the person writing in it (None if not yet known) and
    whether the update was handled before, in one statement: every update of a conversation
    needs all three."""
    row = (await uow.session.execute(_FOR_UPDATE, {
        "chat_id": chat_id, "telegram_id": telegram_id, "update_id": update_id})).one()
    return _state(chat_id, row), row.User, bool(row[0])


def skip_handled(update_id: int) -> None:
    """The update was handled before: nothing more is done or noted for it."""
    log.info("update %s was handled before: skipped", update_id)
    skipped.set(True)
    remembered.set(True)


async def save(uow: UnitOfWork, state: ChatState) -> None:
    """Writes the state in the unit of work, as the next version of what was read. A row
    that moved on meanwhile is not overwritten: the gate lets one update of a chat run at a
    time, so that would be a bug, and the step's unit of work fails with it."""
    values = {"chat": state.chat_id, "seen": state.version, "flow": state.flow,
              "step": state.step, "draft": dict(state.draft or {}),
              "question_id": state.question_id, "question_from": state.question_from,
              "outbox": list(state.outbox or []), "version": state.version + 1,
              "updated_at": uow.now()}
    if state.stored:
        result = await uow.session.execute(_NEXT_WRITE, values)
    else:
        del values["seen"]
        result = await uow.session.execute(_FIRST_WRITE, values)
    if result.rowcount != 1:
        raise RuntimeError(f"chat {state.chat_id}: its conversation row moved on during a step")
    state.version, state.updated_at, state.stored = values["version"], values["updated_at"], True


async def delivered(desk: Desk, chat_id: int, version: int, question_id: int | None,
                    question_from: int | None = None) -> bool:
    """The outbox written at `version` has been sent; `question_id` is the question's message,
    `question_from` the first message sent with it. Nothing happens when the row moved on
    meanwhile (then that newer write decides). On the update's ledger when there is one; if
    the database dropped it (a restart), on a fresh connection. The messages are out, so a
    note that cannot be written is only logged: they are sent again with the chat's next
    message, never lost. Returns whether it was noted."""
    values = {"chat": chat_id, "seen": version, "outbox": [], "version": version + 1,
              "updated_at": desk.clock.now()}
    statement = _DELIVERED
    if question_id is not None:
        statement = _ASKED
        values.update(question_id=question_id, question_from=question_from or question_id)
    connection = ledger.get()
    try:
        if connection is not None and not connection.invalidated:
            try:
                return (await connection.execute(statement, values)).rowcount == 1
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                log.warning("chat %s: the database dropped the ledger; noting the delivery on "
                            "a fresh connection", chat_id)
        async with desk.engine.begin() as connection:
            return (await connection.execute(statement, values)).rowcount == 1
    except SQLAlchemyError as error:
        log.warning("chat %s: messages sent, but not noted so (sent again with the next "
                    "message): %s", chat_id, error)
        return False


async def with_outbox(uow: UnitOfWork) -> list[int]:
    """Chats with messages committed but not yet sent."""
    rows = await uow.session.scalars(
        select(Conversation.chat_id).where(func.json_array_length(Conversation.outbox) > 0))
    return list(rows)


async def was_handled(connection: AsyncConnection, update_id: int) -> bool:
    if (await connection.execute(_HANDLED_ID, {"update_id": update_id})).first() is None:
        return False
    skip_handled(update_id)
    return True


async def remember_update(uow: UnitOfWork, update_id: int) -> None:
    """Notes an update as handled in the step's own transaction: redeliveries are skipped."""
    await uow.session.execute(_REMEMBER[uow.desk.engine.dialect.name],
                              {"update_id": update_id, "at": uow.now()})
    remembered.set(True)


async def note_handled(connection: AsyncConnection, update_id: int, now: datetime) -> None:
    """Notes an update as handled on the update's ledger, in autocommit (again is fine)."""
    await connection.execute(_REMEMBER[connection.dialect.name],
                             {"update_id": update_id, "at": now})


async def forget_old_updates(connection: AsyncConnection, now: datetime) -> int:
    result = await connection.execute(delete(_HANDLED).where(_HANDLED.c.at < now - KEEP_HANDLED))
    return result.rowcount
