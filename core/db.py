"""Engine and sessions. SQLite is the embedded default, PostgreSQL what a company runs."""
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from . import sqlite_driver


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(url, "PRAGMA journal_mode=WAL")
    # No ping before each use (two round trips an update): bot.gate replaces a connection
    # the database dropped, and the pool renews the rest then.
    return create_async_engine(url)


def make_ledger_engine(engine: AsyncEngine) -> AsyncEngine | None:
    """For a SQLite file, an engine of its own for bot.gate's ledger (notes written in
    autocommit), its connections in autocommit from the moment they open. Switching a pooled
    connection to autocommit and back, as the ledger did, runs `PRAGMA read_uncommitted`,
    which makes SQLite throw away every statement it had prepared on that connection: each
    following statement was compiled again (bench/README.md). None elsewhere: in-memory the
    second engine would be another database, and on PostgreSQL the switch costs nothing
    while the chat's lock must come from the pool the gate renews when the database
    restarts."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    # Nothing is ever left open to roll back when a connection goes back to the pool.
    return _sqlite_engine(url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)


def _sqlite_engine(url, *pragmas: str, **options) -> AsyncEngine:
    # Calls made on the event loop, not on a thread per connection (sqlite_driver).
    engine = create_async_engine(
        url, connect_args={"async_creator_fn": sqlite_driver.connect}, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        for pragma in ("PRAGMA foreign_keys=ON", *pragmas):
            cursor.execute(pragma)
        cursor.close()

    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
