"""SQLite calls run on the event loop (core.sqlite_driver): a write that meets another
connection's open write waits for it without holding up the loop, and nothing is lost. The
gate's ledger has connections of its own, in autocommit from the start (core.db)."""
import asyncio
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.bootstrap import make_desk
from bot.gate import ChatGate
from core import conversations, sqlite_driver
from core.db import make_engine, make_ledger_engine, make_session_factory
from core.models import Base


@pytest.fixture
async def engine(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (n INTEGER)"))
    yield engine
    await engine.dispose()


async def _write(engine, n: int) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO notes VALUES (:n)"), {"n": n})


async def test_a_write_waits_for_another_open_write_while_the_loop_goes_on(engine):
    async with engine.connect() as first:
        await first.execute(text("INSERT INTO notes VALUES (1)"))  # holds the write lock
        second = asyncio.create_task(_write(engine, 2))
        await asyncio.sleep(0.2)  # the loop is not held up by the waiting write
        assert not second.done()
        await first.commit()
    await asyncio.wait_for(second, 5)
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT n FROM notes ORDER BY n"))).scalars()
        assert list(stored) == [1, 2]


async def test_a_write_locked_out_for_too_long_fails_and_writes_nothing(engine, monkeypatch):
    monkeypatch.setattr(sqlite_driver, "LOCKED_WAIT", 0.2)
    async with engine.connect() as first:
        await first.execute(text("INSERT INTO notes VALUES (1)"))
        with pytest.raises(OperationalError, match="database is locked"):
            await _write(engine, 2)
        await first.rollback()
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM notes"))).scalar() == 0


async def test_a_connection_in_autocommit_writes_each_statement_at_once(engine):
    """How bot.gate's ledger runs (SQLAlchemy sets the level through aiosqlite's queue)."""
    async def note_and_look():
        async with engine.connect() as ledger:
            await ledger.execution_options(isolation_level="AUTOCOMMIT")
            await ledger.execute(text("INSERT INTO notes VALUES (1)"))
            async with engine.connect() as other:
                seen = await other.execute(text("SELECT count(*) FROM notes"))
                return seen.scalar()

    assert await asyncio.wait_for(note_and_look(), 5) == 1


async def test_the_ledgers_own_connections_write_each_note_at_once_into_the_same_file(engine):
    ledger_engine = make_ledger_engine(engine)
    try:
        async with ledger_engine.connect() as ledger:
            await ledger.execute(text("INSERT INTO notes VALUES (1)"))
            async with engine.connect() as other:
                assert (await other.execute(text("SELECT count(*) FROM notes"))).scalar() == 1
    finally:
        await ledger_engine.dispose()


def test_the_ledger_shares_the_engine_where_a_second_one_would_not_do():
    # In memory a second engine would be another database; on PostgreSQL the chat's lock
    # comes from the pool the gate renews.
    assert make_ledger_engine(make_engine("sqlite+aiosqlite:///:memory:")) is None
    assert make_ledger_engine(make_engine("postgresql+asyncpg://nobody@127.0.0.1/none")) is None


async def test_the_gates_notes_leave_the_statements_prepared_on_the_pool(tmp_path):
    """Switching a pooled connection to autocommit runs `PRAGMA read_uncommitted`, which
    makes SQLite compile every statement on it again: the gate's ledger never does."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    ran: list[str] = []

    @event.listens_for(engine.sync_engine, "connect")
    def trace(dbapi_connection, _record):
        dbapi_connection.driver_connection._connection.set_trace_callback(ran.append)

    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    desk = make_desk(make_session_factory(engine))
    gate = ChatGate(desk, make_ledger_engine(engine))
    try:
        for update_id in (1, 2):
            async with gate.holding(42) as ledger:
                async with desk.uow() as uow:
                    await conversations.load(uow, 42)
                await conversations.note_handled(ledger, update_id,
                                                 datetime.now(timezone.utc))
        async with engine.connect() as connection:
            assert await conversations.was_handled(connection, 2)
    finally:
        await gate.ledger_engine.dispose()
        await engine.dispose()
    assert any("conversations" in statement for statement in ran)
    assert not [statement for statement in ran if "read_uncommitted" in statement]
