"""The running bot: database, application, and polling or the webhook server, started and
stopped as one. The command line and the end-to-end tests both run it this way."""
from __future__ import annotations

import logging
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update

from core import summaries
from core.clock import Clock
from core.db import make_engine, make_ledger_engine, make_session_factory
from core.desk import CompanySettings
from core.migrate import upgrade
from handlers.menus import publish_default_commands

from .app import build_application
from .bootstrap import make_desk
from .metrics import Metrics
from .reminder_sender import ReminderService
from .settings import Settings
from .webhook import webhook_app

log = logging.getLogger(__name__)


class BotService:
    def __init__(self, settings: Settings, *, clock: Clock | None = None,
                 poll_timeout: int = 10, reminder_interval: float = 5.0):
        self.settings = settings
        self.clock = clock or Clock()
        self.poll_timeout = poll_timeout
        self.reminder_interval = reminder_interval
        self.reminders: ReminderService | None = None
        self.engine = self.ledger_engine = None
        self.application = None
        self._web_runner: web.AppRunner | None = None
        self.metrics = Metrics()  # its own registry: several bots in one process do not clash

    @property
    def engines(self) -> list:
        """The database's engines: the one everything uses, and bot.gate's ledger's if apart."""
        return [engine for engine in (self.engine, self.ledger_engine) if engine is not None]

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.webhook_url)

    async def start(self) -> None:
        settings = self.settings
        self.engine = make_engine(settings.database_url)
        self.ledger_engine = make_ledger_engine(self.engine)
        for engine in self.engines:
            self.metrics.watch_engine(engine)
        await upgrade(self.engine)
        desk = make_desk(
            make_session_factory(self.engine),
            CompanySettings(timezone=settings.zone, manager_ids=frozenset(settings.manager_ids),
                            service_areas=settings.area_keys, area_names=settings.area_names,
                            workmanship_warranty_months=settings.workmanship_warranty_months),
            self.clock,
        )
        self.desk = desk
        # A new or upgraded database, or a changed TIMEZONE: the summary's figures are made
        # once here (half a minute for a million orders), then kept with every change.
        await summaries.ensure(desk)
        self.application = build_application(settings, desk, with_updater=not self.webhook_mode,
                                             ledger_engine=self.ledger_engine)
        app = self.application
        self.metrics.attach(app)
        await app.initialize()  # calls getMe: a wrong token or address fails here
        texts = app.bot_data["texts"]
        await publish_default_commands(app.bot, texts, settings.default_language)
        await app.start()
        self.reminders = ReminderService(app, desk, interval=self.reminder_interval,
                                         metrics=self.metrics)
        app.bot_data["reminders"] = self.reminders
        app.bot_data["gate"].watchers.append(self.reminders)
        self.reminders.start()
        await app.bot_data["flows"].deliver_pending(app)
        if self.webhook_mode:
            await self._start_webhook()
        else:
            await app.updater.start_polling(timeout=self.poll_timeout,
                                            allowed_updates=Update.ALL_TYPES)
        log.info("bot @%s running (%s)", app.bot.username,
                 "webhook" if self.webhook_mode else "polling")

    async def _start_webhook(self) -> None:
        settings = self.settings
        path = urlparse(settings.webhook_url).path or "/"
        self._web_runner = web.AppRunner(
            webhook_app(self.application, settings.webhook_secret, path, self.metrics))
        await self._web_runner.setup()
        site = web.TCPSite(self._web_runner, settings.webhook_listen, settings.webhook_port)
        await site.start()
        await self.application.bot.set_webhook(
            settings.webhook_url, secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES)

    @property
    def webhook_port(self) -> int:
        """The port actually bound (WEBHOOK_PORT=0 picks a free one)."""
        return self._web_runner.addresses[0][1]

    async def stop(self) -> None:
        """In-flight updates finish, connections close (each step's state is already stored)."""
        app = self.application
        if app is not None:
            if self._web_runner is not None:
                await self._web_runner.cleanup()  # no new updates in
            if app.updater and app.updater.running:
                await app.updater.stop()
            if self.reminders is not None:
                await self.reminders.stop()
            if app.running:
                await app.stop()  # waits for the updates in flight
            await app.shutdown()
        for engine in self.engines:
            await engine.dispose()
        log.info("bot stopped")
