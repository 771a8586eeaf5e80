"""The command line. Errors a person can fix are one clear line, not a traceback."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from core.db import make_engine, make_session_factory
from core.desk import CompanySettings, Desk
from core.migrate import upgrade
from core.people import add_manager

from .service import BotService
from .settings import SettingsError, load_settings

log = logging.getLogger("bot")

NO_TOKEN = ("BOT_TOKEN is not set. Create a bot with @BotFather in Telegram and set "
            "BOT_TOKEN=<the token> in the environment or in a .env file, then run again.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (webhook when WEBHOOK_URL is set, else polling)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    manager = sub.add_parser("add-manager", help="make a Telegram user a manager")
    manager.add_argument("telegram_id", type=int)
    args = parser.parse_args(argv)

    _configure_logging()
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error)
        return 2
    if args.command == "run":
        if not settings.bot_token:
            print(NO_TOKEN)
            return 2
        return asyncio.run(_run(settings))
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("database is up to date")
        return 0
    user_id = asyncio.run(_add_manager(settings, args.telegram_id))
    print(f"Telegram user {args.telegram_id} is a manager (user {user_id}).")
    return 0


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and the URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


async def _run(settings) -> int:
    service = BotService(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await service.start()
    except Exception as error:  # noqa: BLE001 - say what failed in one line, then leave
        log.error("could not start: %s", error)
        await service.stop()
        return 1
    await stop.wait()
    log.info("stopping: finishing updates in flight")
    await service.stop()
    return 0


async def _migrate(settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _add_manager(settings, telegram_id: int) -> int:
    engine = make_engine(settings.database_url)
    await upgrade(engine)
    desk = Desk(make_session_factory(engine), CompanySettings())
    try:
        async with desk.uow() as uow:
            user = await add_manager(uow, telegram_id)
            await uow.commit()
            return user.id
    finally:
        await engine.dispose()
