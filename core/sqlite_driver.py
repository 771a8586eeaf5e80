"""SQLite for the async engine, each call made right on the event loop.

aiosqlite runs every call on a thread of its own and hands the result back through the event
loop: two thread switches and a wake-up of the loop, which cost more CPU than the statement
(about 0.3 ms against 0.02 ms for a step's read; bench/README.md). SQLite answers from a
local file, so here the call is simply made where it is awaited, through aiosqlite's own
connection class (SQLAlchemy's aiosqlite dialect, cursors and results stay as they are).

The one thing a thread gave for free: a connection that finds the database locked by another
one of this process (SQLite lets one writer in at a time) must not wait inside SQLite, since
the writer it waits for can only finish on this same loop. So SQLite's own wait is off and a
locked call waits here, asleep, and tries again, for up to `LOCKED_WAIT` seconds as before.
A call that fails so changed nothing, and in WAL mode a read never waits.

The price: a long statement holds up the loop while it runs. Long reports belong on
PostgreSQL, what a company runs; SQLite is the embedded default for one process.
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from functools import partial

import aiosqlite

LOCKED_WAIT = 30.0  # seconds a call waits for another connection's write to finish
_FIRST_NAP, _LONGEST_NAP = 0.001, 0.05


class _RunAtOnce:
    """In place of aiosqlite's queue to its thread, which SQLAlchemy's adapter also uses
    directly (to set the isolation level): what is put in runs at once."""

    @staticmethod
    def put_nowait(item) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:  # noqa: BLE001 - handed to whoever awaits the future
            future.set_exception(error)
        else:
            future.set_result(result)


class LoopConnection(aiosqlite.Connection):
    """aiosqlite's connection with no thread: every call runs where it is awaited."""

    def __init__(self, connector, iter_chunk_size: int):
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunAtOnce()

    async def _execute(self, fn, *args, **kwargs):
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        give_up = None
        nap = _FIRST_NAP
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error):
                    raise
                now = time.monotonic()
                give_up = give_up or now + LOCKED_WAIT
                if now >= give_up:
                    raise
            await asyncio.sleep(nap)  # the connection holding the lock runs meanwhile
            nap = min(nap * 2, _LONGEST_NAP)

    async def _connect(self) -> LoopConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self):
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connect(database: str, **kwargs) -> LoopConnection:
    """What SQLAlchemy's aiosqlite dialect calls instead of `aiosqlite.connect` (its
    `async_creator_fn`). SQLite's own wait for a lock is off: `_execute` waits instead."""
    kwargs["timeout"] = 0
    return LoopConnection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size=64)
