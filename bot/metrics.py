"""What the running bot reports to Prometheus at `GET /metrics` on the webhook server.

One `Metrics` per `BotService`, each with a registry of its own (never the process-wide
default), so several bots in one process — the tests — do not clash.

Per update: a record is opened when the update's handling starts and closed when it ends (the
chat gate, bot.gate, calls `begin` and `end` around every update); it lives in a context variable, so what runs
while the update is handled — SQL statements (SQLAlchemy engine events), messages sent
(the rate limiter's observers) — is attributed to it. The latency is from the update's
arrival at the webhook to the first message the bot sent or edited while handling it.
"""
from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import event
from telegram import Update
from telegram.ext import Application

CONTENT_TYPE = CONTENT_TYPE_LATEST
ARRIVALS_KEPT = 10_000
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass
class _Handling:
    kind: str
    arrived: float
    database: float = 0.0
    replied: bool = False
    failed: bool = False


_handling: contextvars.ContextVar[_Handling | None] = contextvars.ContextVar(
    "desk_update_handling", default=None)


def outside_update() -> None:
    """For a task started from inside a handler that is not part of its update (a reminder
    pass woken by a change): nothing it does counts for that update."""
    _handling.set(None)


def kind_of(update: Update) -> str:
    """A fixed, small set of labels (never what someone typed)."""
    if update.callback_query:
        return "button"
    if update.edited_message:
        return "edited_message"
    message = update.message
    if message is not None:
        if message.text:
            return "command" if message.text.startswith("/") else "text"
        for kind in ("contact", "photo", "location", "document"):
            if getattr(message, kind):
                return kind
        return "other_message"
    if update.my_chat_member:
        return "chat_member"
    return "other"


def _is_reply(endpoint: str) -> bool:
    return endpoint.startswith(("send", "edit", "copy", "forward")) and endpoint != "sendChatAction"


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)  # process_resident_memory_bytes, CPU, open fds
        self.updates = Counter(
            "desk_updates", "Updates handled, by kind and outcome (ok, error)",
            ["kind", "outcome"], registry=registry)
        self.reply_latency = Histogram(
            "desk_update_reply_seconds",
            "From an update's arrival to the first message the bot sent or edited for it",
            buckets=LATENCY_BUCKETS, registry=registry)
        self.update_database = Histogram(
            "desk_update_database_seconds",
            "Time spent in database statements while handling one update",
            buckets=DB_BUCKETS, registry=registry)
        self.database = Counter(
            "desk_database_seconds", "Time spent in database statements, all of them",
            registry=registry)
        self.messages = Counter(
            "desk_telegram_messages_sent", "Requests to Telegram that succeeded, by lane "
            "(reply: someone is waiting; bulk: reminders and notices)",
            ["lane"], registry=registry)
        self.too_many = Counter(
            "desk_telegram_429", "429 Too Many Requests received from Telegram, by what was "
            "held (chat, bulk, all)", ["scope"], registry=registry)
        self.reminders_due = Counter(
            "desk_reminders_due", "Reminders that came due and were taken for sending",
            registry=registry)
        self.reminders_sent = Counter(
            "desk_reminders_sent", "Reminders delivered, by kind", ["kind"], registry=registry)
        self.reminders_failed = Counter(
            "desk_reminders_failed", "Reminders not delivered, by reason (retry_later: 429 or "
            "network, tried again; blocked: the person blocked the bot)",
            ["reason"], registry=registry)
        self.reminders_waiting = Gauge(
            "desk_reminders_waiting", "Reminders due now and not yet sent (whole database)",
            registry=registry)
        self.reminders_held = Gauge(
            "desk_reminders_held_quiet_hours", "Customer reminders held back by quiet hours "
            "until 08:00 (whole database)", registry=registry)
        self._arrivals: dict[int, float] = {}

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    # ------------------------------------------------------------------ wiring
    def attach(self, application: Application) -> None:
        """Opens and closes each update's record around all of its handling (the chat gate
        runs every update, whichever handler ends it)."""
        application.bot_data["gate"].watchers.append(self)
        application.add_error_handler(self._failed)
        limiter = application.bot.rate_limiter
        if limiter is not None and hasattr(limiter, "observers"):
            limiter.observers.append(self)

    def watch_engine(self, engine) -> None:
        """Times every SQL statement; adds it to the update being handled, if any."""
        sync_engine = getattr(engine, "sync_engine", engine)

        @event.listens_for(sync_engine, "before_cursor_execute")
        def _before(conn, _cursor, _statement, _parameters, _context, _many):
            conn.info.setdefault("desk_started", []).append(time.perf_counter())

        @event.listens_for(sync_engine, "after_cursor_execute")
        def _after(conn, _cursor, _statement, _parameters, _context, _many):
            started = conn.info.get("desk_started")
            if not started:
                return
            elapsed = time.perf_counter() - started.pop()
            self.database.inc(elapsed)
            handling = _handling.get()
            if handling is not None:
                handling.database += elapsed

        @event.listens_for(sync_engine, "handle_error")
        def _error(context):
            connection = context.connection
            if connection is not None and connection.info.get("desk_started"):
                connection.info["desk_started"].pop()

    # ------------------------------------------------------------------ updates
    def arrived(self, update_id: int) -> None:
        """The webhook received this update (it may wait in the queue before handling)."""
        if len(self._arrivals) >= ARRIVALS_KEPT:
            self._arrivals.pop(next(iter(self._arrivals)))
        self._arrivals[update_id] = time.perf_counter()

    def begin(self, update: Update) -> None:
        arrived = self._arrivals.pop(update.update_id, None) or time.perf_counter()
        _handling.set(_Handling(kind_of(update), arrived))

    def end(self, _update: Update) -> None:
        handling = _handling.get()
        if handling is None:
            return
        _handling.set(None)
        self.updates.labels(handling.kind, "error" if handling.failed else "ok").inc()
        self.update_database.observe(handling.database)

    async def _failed(self, update: object, _context) -> None:
        handling = _handling.get()
        if handling is not None and isinstance(update, Update):
            handling.failed = True

    # ------------------------------------------------------------------ the rate limiter's
    def sent(self, endpoint: str, chat_id, bulk: bool) -> None:
        self.messages.labels("bulk" if bulk else "reply").inc()
        handling = _handling.get()
        if handling is not None and not bulk and not handling.replied and _is_reply(endpoint):
            handling.replied = True
            self.reply_latency.observe(time.perf_counter() - handling.arrived)

    def retry_after(self, endpoint: str, scope: str, seconds: float) -> None:
        self.too_many.labels(scope).inc()
