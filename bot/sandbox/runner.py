"""The sandbox started and stopped as one: the local Bot API server, the bot (unchanged,
`BotService`) polling it on the sandbox's own database, and the web page."""
from __future__ import annotations

import errno
import logging

from aiohttp import web

from core.clock import Clock

from ..service import BotService
from . import demo
from .botapi import LocalBotApi
from .settings import SANDBOX_BOT_USERNAME, SANDBOX_TOKEN, SandboxSettings
from .web import SandboxPage

log = logging.getLogger(__name__)

BOT_API_HOST = "127.0.0.1"  # the bot's pretend Telegram: on this machine, on any free port


class Sandbox:
    def __init__(self, settings: SandboxSettings, *, clock: Clock | None = None,
                 poll_timeout: int = 10):
        self.settings = settings
        self.clock = clock
        self.poll_timeout = poll_timeout
        self.api: LocalBotApi | None = None
        self.service: BotService | None = None
        self.page: SandboxPage | None = None
        self.seeded = False
        self.port_taken: int | None = None  # the asked port, when something else had it
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Starts everything, or stops what it had started and raises."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        settings = self.settings
        self.api = LocalBotApi(token=SANDBOX_TOKEN, bot_username=SANDBOX_BOT_USERNAME,
                               bot_first_name="Service Desk", strict_html=False,
                               host=BOT_API_HOST, port=0)
        await self.api.start()
        bot_settings = settings.bot_settings(self.api.base_url, [demo.MANAGER.telegram_id])
        self.service = BotService(bot_settings, clock=self.clock, poll_timeout=self.poll_timeout)
        await self.service.start()
        self.seeded = await demo.seed(self.service.desk)
        self.page = SandboxPage(self.api, self.service.desk,
                                default_language=settings.default_language)
        await self.page.load_people()
        self._runner = web.AppRunner(self.page.app(), access_log=None, handle_signals=False,
                                     shutdown_timeout=1.0, handler_cancellation=True)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, settings.sandbox_listen, settings.sandbox_port).start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE or settings.sandbox_port == 0:
                raise
            self.port_taken = settings.sandbox_port
            await web.TCPSite(self._runner, settings.sandbox_listen, 0).start()
        log.info("sandbox page at %s, bot API at %s", self.url, self.api.base_url)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """Where the page listens: (host, port) of each socket."""
        return [(a[0], a[1]) for a in self._runner.addresses] if self._runner else []

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    @property
    def url(self) -> str:
        host = self.addresses[0][0]
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    def announcement(self) -> str:
        """The one line the command line prints."""
        taken = f" (port {self.port_taken} was taken)" if self.port_taken else ""
        return (f"Sandbox at {self.url}{taken} — the bot with a pretend Telegram; only this "
                f"machine can reach it. Ctrl-C stops it.")

    async def stop(self) -> None:
        """The page first (no new actions), then the bot (updates in flight finish, state is
        saved), then its Telegram."""
        if self.page is not None and self.api is not None:
            self.page.closing = True
            for user in self.api.users:
                user._touch()  # ends the page's long polls now
        self.page = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.service is not None:
            await self.service.stop()
            self.service = None
        if self.api is not None:
            await self.api.stop()
            self.api = None
        log.info("sandbox stopped")
