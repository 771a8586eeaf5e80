"""Every update passes one gate before any handler: one chat's updates run one at a time
across all instances, an update already handled (webhook retry, restart, another instance) is
skipped, and a button press is answered exactly once whatever happens inside.

- Serialised per chat: on PostgreSQL an advisory lock on the chat id, held on a connection of
  its own for the whole update (a crash drops the connection and the lock); SQLite is for one
  process (use PostgreSQL to run several instances), so a lock per chat in this process does.
  That connection is the update's ledger (core.conversations.ledger): the per-update notes go
  on it as plain statements in autocommit, without a session of their own. On SQLite it comes
  from an engine of its own whose connections are always in autocommit (core.db).
- Handled once: the update id is a row (core.conversations); a flow step writes it in its own
  transaction, everything else right after it was handled.
- Answered once: `DeskBot.answer_callback_query` drops a second answer to the same press in
  this update (a handler answered, then failed, and the error handler answers again), and the
  gate answers a press that nothing answered.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ExtBot

from core import conversations
from core.desk import Desk

log = logging.getLogger(__name__)

_answered: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("answered",
                                                                           default=None)
PRUNE_EVERY = timedelta(hours=1)
# Built once: building a statement costs more CPU than its round trip (bench/README.md).
_LOCK = select(func.pg_advisory_lock(bindparam("chat")))
_UNLOCK = select(func.pg_advisory_unlock(bindparam("chat")))
# One lock per chat for every instance in this process (tests run two in one), per event loop.
_local_locks: dict[tuple[int, int], asyncio.Lock] = {}


class DeskBot(ExtBot):
    async def answer_callback_query(self, callback_query_id, *args, **kwargs) -> bool:
        answered = _answered.get()
        if answered is not None:
            if callback_query_id in answered:
                return True
            answered.add(callback_query_id)
        return await super().answer_callback_query(callback_query_id, *args, **kwargs)


class ChatGate:
    def __init__(self, desk: Desk, ledger_engine: AsyncEngine | None = None):
        """`ledger_engine`: where the ledger comes from, its connections in autocommit
        (core.db.make_ledger_engine); else from the desk's engine, switched to autocommit."""
        self.desk = desk
        self.ledger_engine = ledger_engine
        self.watchers: list = []  # begin(update) / end(update) around each update (metrics,
        # the reminder sender)
        self._pruned_at: datetime | None = None

    async def handle(self, update: Update, process, *, checked_later: bool = False) -> None:
        """`checked_later`: the update's first read checks whether it was handled before
        (the conversation engine's does), so no statement of its own here."""
        chat = update.effective_chat or update.effective_user
        key = chat.id if chat else 0
        token = _answered.set(set())
        conversations.remembered.set(False)
        conversations.skipped.set(False)
        try:
            async with self.holding(key) as ledger:
                if not checked_later and await conversations.was_handled(ledger,
                                                                         update.update_id):
                    return
                for watcher in self.watchers:
                    watcher.begin(update)
                try:
                    await process(update)
                finally:
                    for watcher in self.watchers:
                        watcher.end(update)
                if conversations.skipped.get():
                    return
                await self._answer_unanswered(update)
                await self._note_handled(update, ledger)
        finally:
            _answered.reset(token)

    async def _note_handled(self, update: Update, ledger: AsyncConnection) -> None:
        """Unless its step did: the update is noted as handled; old notes go now and then.
        The person has had their answer, so a failure here (the database gone) is only
        logged: at worst a redelivery of this update is answered again."""
        now = self.desk.clock.now()
        try:
            if not conversations.remembered.get():
                await conversations.note_handled(ledger, update.update_id, now)
            if self._pruned_at is None or now - self._pruned_at > PRUNE_EVERY:
                self._pruned_at = now
                await conversations.forget_old_updates(ledger, now)
        except SQLAlchemyError as error:  # the database gone, or the ledger dropped by it
            log.warning("update %s: handled, but not noted so: %s", update.update_id, error)

    @asynccontextmanager
    async def holding(self, key: int):
        """This chat's updates wait while the caller holds it. Yields the chat's ledger
        (core.conversations.ledger)."""
        local = (id(asyncio.get_running_loop()), key)
        lock = _local_locks.setdefault(local, asyncio.Lock())
        try:
            async with lock:
                connection = await self._open(key)
                token = conversations.ledger.set(connection)
                try:
                    yield connection
                finally:
                    conversations.ledger.reset(token)
                    await self._release(connection, key)
        finally:
            if not lock.locked() and not lock._waiters:  # noqa: SLF001 - forget idle chats
                _local_locks.pop(local, None)

    async def _open(self, key: int) -> AsyncConnection:
        """The ledger; on PostgreSQL holding the chat's lock, a session lock that outlives
        the ledger's commits (a crash drops the connection and the lock with it). A pooled
        connection found dead (the database restarted) is replaced once: the pool renews all
        of them then, so nothing else of the update meets a dead one."""
        if self.ledger_engine is not None:  # SQLite: no lock to take, no connection to renew
            return await self.ledger_engine.connect()
        for attempt in range(2):
            connection = await self.engine.connect()
            try:
                # Each note commits as it runs: no BEGIN, COMMIT or ROLLBACK round trips.
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                if self.postgres:
                    await connection.execute(_LOCK, {"chat": key})
                return connection
            except DBAPIError as error:
                await connection.close()
                if attempt or not error.connection_invalidated:
                    raise
                log.warning("chat %s: the database dropped a pooled connection; reconnecting",
                            key)
        raise AssertionError("unreachable")

    async def _release(self, connection: AsyncConnection, key: int) -> None:
        try:
            if self.postgres:
                await connection.execute(_UNLOCK, {"chat": key})
        except BaseException as error:
            # Never back into the pool holding the chat's lock: closed, the lock goes.
            await connection.invalidate()
            if not isinstance(error, Exception):
                raise
            # The update was handled; only the connection went (the database restarted).
            log.warning("chat %s: the lock's connection failed at release: %s", key, error)
        finally:
            await connection.close()

    @property
    def engine(self):
        return self.desk.engine

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def _answer_unanswered(self, update: Update) -> None:
        query = update.callback_query
        if query is None or query.id in (_answered.get() or ()):
            return
        try:
            await query.answer()
        except TelegramError as error:
            log.warning("update %s: could not answer the press: %s", update.update_id, error)


class DeskApplication(Application):
    """PTB's Application with every update passed through the ChatGate first."""

    async def process_update(self, update: object) -> None:
        gate: ChatGate | None = self.bot_data.get("gate")
        if gate is None or not isinstance(update, Update):
            await super().process_update(update)
            return
        flows = self.bot_data.get("flows")
        try:
            await gate.handle(update, super().process_update,
                              checked_later=flows is not None and flows.route(update) is not None)
        except Exception as error:  # noqa: BLE001 - the gate's own failure (the database gone)
            # To the error handler like a handler's failure: logged, the person told politely;
            # never up into PTB's update fetcher, which would stop taking updates.
            await self.process_error(update, error)
