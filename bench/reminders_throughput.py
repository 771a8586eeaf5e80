#!/usr/bin/env python
"""Reminder throughput: N due reminders sent by the real reminder service, through the real
PTB application and its rate limiter (bot/rate_limit.py: reminders are its bulk lane, ~30 a
second), to the local Bot API server.

    .venv/bin/python bench/reminders_throughput.py                 # 5,000 reminders, SQLite
    .venv/bin/python bench/reminders_throughput.py --count 500     # a quick run
    .venv/bin/python bench/reminders_throughput.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Reports messages per second against Telegram's ceiling of about 30 a second to different
chats, and checks that every reminder was delivered exactly once (one message in each chat,
every row marked sent). Each reminder goes to a different person (a morning digest), so the
one-a-second-per-chat pacing does not slow it; the overall limit does.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.sandbox.botapi import LocalBotApi  # noqa: E402
from bot.service import BotService  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from core import people, reminder_queue  # noqa: E402
from core.models import Reminder  # noqa: E402

TOKEN = "123456:BENCH-reminders"
FIRST_ID = 10_000_000


async def fresh_postgres(base: str) -> tuple[str, str]:
    import asyncpg

    url = make_url(base)
    name = f"bench_reminders_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return url.set(database=name).render_as_string(hide_password=False), name


async def drop_postgres(base: str, name: str) -> None:
    import asyncpg

    admin = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def run(count: int, database_url: str | None) -> dict:
    created = None
    if database_url:
        url, created = await fresh_postgres(database_url)
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    api = LocalBotApi(token=TOKEN, bot_username="bench_bot")
    await api.start()
    settings = load_settings(_env_file=None, bot_token=TOKEN, bot_api_base_url=api.base_url,
                             database_url=url, default_language="en")
    service = BotService(settings, reminder_interval=3600)  # only our wake sends
    await service.start()
    try:
        async with service.desk.uow() as uow:
            for n in range(count):
                person = await people.add_manager(uow, FIRST_ID + n)
                api.user(FIRST_ID + n, f"M{n}", started=True)
                await reminder_queue.add_daily(uow, "digest", person.id, "bench", uow.now())
            await uow.commit()
        started = time.perf_counter()
        service.reminders.wake()
        while True:
            async with service.desk.uow() as uow:
                sent = await uow.session.scalar(
                    select(func.count(Reminder.id)).where(Reminder.sent_at.is_not(None)))
            if sent >= count or time.perf_counter() - started > count / 5 + 60:
                break
            await asyncio.sleep(0.5)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(1)  # anything doubled would arrive now
        chats = [int(p["chat_id"]) for p in api.calls_to("sendMessage")]
        doubled = len(chats) - len(set(chats))
        lost = count - len(set(chats))
    finally:
        await service.stop()
        await api.stop()
        if created:
            await drop_postgres(database_url, created)
    return {"reminders": count, "seconds": round(elapsed, 1),
            "messages_per_second": round(len(set(chats)) / elapsed, 1),
            "rows_marked_sent": sent, "lost": lost, "doubled": doubled,
            "database": "postgresql" if database_url else "sqlite"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    import warnings
    warnings.filterwarnings("ignore", module="handlers")
    result = asyncio.run(run(args.count, args.database_url))
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    print(f"{'telegram ceiling':>22}: ~30 messages/s to different chats")


if __name__ == "__main__":
    main()
