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

from .bootstrap import make_desk
from .imports import run_history_import, run_labour_import, run_parts_import
from .service import BotService
from .settings import SettingsError, load_settings

log = logging.getLogger("bot")

NO_TOKEN = ("BOT_TOKEN is not set: for the real bot in Telegram, create one with @BotFather "
            "and set BOT_TOKEN=<the token> in the environment or in a .env file.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (webhook when WEBHOOK_URL is set, else polling); "
                               "without BOT_TOKEN, the sandbox")
    sandbox = sub.add_parser(
        "sandbox", help="try the bot in a browser without Telegram: a local Bot API server, "
                        "the bot and a web page, on 127.0.0.1 only")
    sandbox.add_argument("--port", type=int, default=None,
                         help="the page's port (default SANDBOX_PORT, 8800; a free one if taken)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    manager = sub.add_parser("add-manager", help="make a Telegram user a manager")
    manager.add_argument("telegram_id", type=int)
    parts = sub.add_parser("import-parts", help="add parts to the catalogue from a CSV file "
                                                "(sku,name,price,warranty_months,min_level)")
    parts.add_argument("file")
    parts.add_argument("--update", action="store_true",
                       help="change parts already in the catalogue")
    history = sub.add_parser(
        "import-history", help="load the company's past jobs from a CSV file (category, brand, "
                               "model, description, diagnosis, parts_used, first_visit_fixed) "
                               "for the parts suggestions")
    history.add_argument("file")
    sub.add_parser("rebuild-summaries",
                   help="make the daily figures of /summary again from the orders (they are "
                        "kept with every change; the bot also rebuilds them at start after "
                        "TIMEZONE changed)")
    labour = sub.add_parser("import-labour", help="add labour items from a CSV file "
                                                  "(code,name,price,category)")
    labour.add_argument("file")
    labour.add_argument("--update", action="store_true",
                        help="change labour items already in the catalogue")
    args = parser.parse_args(argv)

    _configure_logging()
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error)
        return 2
    if args.command == "sandbox" or (args.command == "run" and not settings.bot_token):
        # Imported only here: with a token, nothing of the sandbox is even loaded.
        from .sandbox.settings import load_sandbox_settings

        overrides = {} if getattr(args, "port", None) is None else {"sandbox_port": args.port}
        try:
            sandbox_settings = load_sandbox_settings(**overrides)
        except SettingsError as error:
            print(error)
            return 2
        note = NO_TOKEN if args.command == "run" else None
        return asyncio.run(_sandbox(sandbox_settings, note))
    if args.command == "run":
        return asyncio.run(_run(settings))
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("database is up to date")
        return 0
    if args.command == "rebuild-summaries":
        done = asyncio.run(_rebuild_summaries(settings))
        print(f"summary figures rebuilt in {done.seconds} s ({done.zone}): "
              f"orders {done.orders}, daily figures {done.figures}")
        return 0
    if args.command == "import-parts":
        code, report = asyncio.run(run_parts_import(settings.database_url, args.file,
                                                    update=args.update))
        print(report)
        return code
    if args.command == "import-history":
        code, report = asyncio.run(run_history_import(settings.database_url, args.file))
        print(report)
        return code
    if args.command == "import-labour":
        code, report = asyncio.run(run_labour_import(settings.database_url, args.file,
                                                     update=args.update))
        print(report)
        return code
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


async def _sandbox(settings, note: str | None) -> int:
    import warnings

    from telegram.warnings import PTBUserWarning

    from .sandbox.runner import Sandbox

    # The one line below is what a person needs; the bot's own log is for when it goes wrong.
    logging.getLogger().setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=PTBUserWarning)
    sandbox = Sandbox(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await sandbox.start()
    except Exception as error:  # noqa: BLE001 - say what failed in one line, then leave
        log.error("could not start the sandbox: %s", (str(error) or repr(error)).splitlines()[0])
        return 1
    print(sandbox.announcement() + (f" {note}" if note else ""), flush=True)
    await stop.wait()
    await sandbox.stop()
    return 0


async def _migrate(settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _desk(settings, engine) -> Desk:
    return make_desk(make_session_factory(engine), CompanySettings(timezone=settings.zone))


async def _rebuild_summaries(settings):
    from core import summaries

    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with _desk(settings, engine).uow() as uow:
            return await summaries.rebuild(uow)
    finally:
        await engine.dispose()


async def _add_manager(settings, telegram_id: int) -> int:
    engine = make_engine(settings.database_url)
    await upgrade(engine)
    desk = make_desk(make_session_factory(engine))
    try:
        async with desk.uow() as uow:
            user = await add_manager(uow, telegram_id)
            await uow.commit()
            return user.id
    finally:
        await engine.dispose()
