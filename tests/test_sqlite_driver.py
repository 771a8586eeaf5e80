"""SQLite calls run on the event loop (core.sqlite_driver): a write that meets another
connection's open write waits for it without holding up the loop, and nothing is lost."""
import asyncio
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from core import sqlite_driver
from core.db import make_engine


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
