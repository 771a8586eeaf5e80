"""Shared fixtures: a fresh database per run (SQLite by default, PostgreSQL when
TEST_DATABASE_URL says so), emptied before every test, and a desk on a clock tests move."""
from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.bootstrap import make_desk
from core.clock import FixedClock
from core.db import make_engine, make_session_factory
from core.desk import CompanySettings
from core.migrate import upgrade
from core.models import Base

AREAS = ("Xuhui", "Pudong", "Minhang")
AREA_NAMES = {"Xuhui": ("徐汇区",), "Pudong": ("浦东新区",), "Minhang": ("闵行区",)}


def _postgres_admin(url):
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _create_postgres(base_url: str) -> str:
    import asyncpg

    url = make_url(base_url)
    name = f"svc_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(_postgres_admin(url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_postgres(base_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_postgres_admin(make_url(base_url)))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """One database for the whole run, created fresh and migrated with Alembic."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = asyncio.run(_create_postgres(base))
        asyncio.run(_migrate(url))
        yield url
        asyncio.run(_drop_postgres(base, make_url(url).database))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        asyncio.run(_migrate(url))
        yield url


async def empty_database(url: str) -> None:
    engine = make_engine(url)
    # Company data the migrations seed (brands) stays, as it does in a new company's database.
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "brands"]
    try:
        async with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execute(text(
                    f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    await connection.execute(text(f"DELETE FROM {table}"))
    finally:
        await engine.dispose()


@pytest.fixture
async def db_url(database_url):
    """The run's database, empty at the start of the test."""
    await empty_database(database_url)
    return database_url


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc))  # 10:00 in Shanghai


@pytest.fixture
async def desk(db_url, clock):
    engine = make_engine(db_url)
    yield make_desk(make_session_factory(engine),
               CompanySettings(manager_ids=frozenset({900}), service_areas=AREAS,
                               area_names=AREA_NAMES), clock)
    await engine.dispose()
