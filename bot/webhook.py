"""The webhook receiver: an aiohttp server that checks Telegram's secret and queues updates;
it also answers `GET /healthz` and, given the bot's metrics, `GET /metrics` (Prometheus). A re-sent
update (Telegram retries until it gets a 2xx) is skipped by bot.gate, whichever instance it
reaches."""
from __future__ import annotations

import hmac
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from .metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_app(application: Application, secret: str, path: str,
                metrics: Metrics | None = None) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            log.warning("webhook call without the right secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot)
        except Exception:  # noqa: BLE001 - any malformed body is the sender's problem
            return web.Response(status=400, text="bad update")
        if update is None:
            return web.Response(text="ok")
        if metrics is not None:
            metrics.arrived(update.update_id)
        await application.update_queue.put(update)
        return web.Response(text="ok")

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "running": application.running})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", healthz)
    if metrics is not None:
        async def scrape(_request: web.Request) -> web.Response:
            return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

        app.router.add_get("/metrics", scrape)
    return app
