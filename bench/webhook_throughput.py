#!/usr/bin/env python
"""Webhook throughput: our bot, as production runs it, against a bare PTB echo bot.

    .venv/bin/python bench/webhook_throughput.py            # 500 users x 5 updates per bot
    .venv/bin/python bench/webhook_throughput.py --quick    # 50 users: a smoke run
    .venv/bin/python bench/webhook_throughput.py --mix booking   # 500 users x 13 /book steps
    .venv/bin/python bench/webhook_throughput.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/webhook_throughput.py --rounds 3     # alternately, the median ratio

One run starts the local Bot API server (bot/sandbox/botapi, which tests/local_bot_api
re-exports) and its simulated users in this process, then measures two bots one after the
other, each in a child process of its own, in webhook mode on 127.0.0.1:

* ours: ``bot.service.BotService(settings)``, exactly what ``python -m bot run`` starts
  (Alembic migrations, the chat gate and conversation rows, bot/rate_limit.py's RateLimiter, the aiohttp
  webhook receiver);
* echo: a bare PTB ``Application`` with the same base_url, AIORateLimiter, ``updater(None)``,
  sequential updates and the same webhook receiver (``bot.webhook.webhook_app``), one
  ``MessageHandler`` that sends the text back: the framework's floor.

What our users do is the mix (``--mix``):

* registration (default): every user registers (/start, name, contact, /help, /language or
  /help; ``--updates`` of them);
* booking: every user books a repair through /book, as a customer does, 13 measured updates:
  /book, press "TV", press the first brand offered, Skip (model), Skip (serial number), type
  the problem, "Done with photos", type an address, press the first district offered (asked
  because the address names none; the step is left out if the bot does not ask), press the
  saved phone number (likewise only if asked), press a day, press a window, "✅ Confirm"
  (the reply must give the order number). Set-up, not timed and not counted in the figures:
  before the bot starts, technicians who repair TVs are made through core (``--technicians``,
  35 by default); once it is up, every user (warm-up ones too) registers through the chat
  (/start, name, contact: 3 updates, 4 replies each, reported apart as "setup"); then the
  bot's SQL counter is reset and the warm-up and the measured users book.
  Which day and window: a window takes one booking per technician (core/windows.py), and
  counting the free places is a matching whose cost grows with the technicians (0.07 ms a
  full window at 30, 11 ms at 520), so "everyone presses the first window" would need a
  technician per booking and measure that instead. So users are spread over the
  15 windows of the day after tomorrow and the four days after it (user k of the phase, warm-
  up first: day k mod 5, window k // 5 mod 3 of those the bot offers), and the technicians
  are at least bookings / 15: no window fills. Those days are computed at set-up with
  core.windows.bookable_days in the company's time zone; each user presses the button the
  bot offered for its day (found by the date in its callback data, not marked full) and the
  window at its index among those offered. Today and tomorrow are left out so that the run
  works at any time of day: no window starts during the run, and no reminder of a booking
  (two hours before the window, 18:00 the evening before) falls due during it and adds a
  message to the chats.

Every echo user sends as many texts as ours sends measured updates (5 by default, 13 for
booking), so the ratio compares the same number of updates. Latency is from the moment a
user's update is queued at the local Bot API server to the moment the (last) reply to it
arrives there. See bench/README.md.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import os
import platform
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Any, Awaitable, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "123456:BENCH-token_for-webhook"
SECRET = "bench-webhook_secret_0123456789"
WEBHOOK_PATH = "/telegram"
RESULTS = ROOT / "bench" / "results"
LANGUAGE_EVERY = 2  # every other user asks /language in step 5, the rest /help
MIXES = ("registration", "booking")
BOOKING_UPDATES = 13  # /book's steps when the bot asks for the district and the phone
SETUP_UPDATES = 3  # the booking mix's registration: /start, name, contact
BOOKING_DAYS = slice(2, 7)  # of core.windows.bookable_days: the day after tomorrow and 4 more
BOOKING_WINDOWS = 15  # those 5 days x core.windows.WINDOWS (09-12, 13-17, 17-20)
TECHNICIANS = 35  # default: 35 x 15 windows = 525 places for the default 520 bookings
FIRST_TECHNICIAN = 50_000_000


# ================================================================== the bot (child process)
class _ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _rate_limiter_factory(telegram_rate_limit: bool) -> Callable[..., Any]:
    """The echo bot's AIORateLimiter (what bot/app.py built before bot/rate_limit.py), or with
    its flood limits switched off (0 = no limit, PTB's documented value): same class, same
    retry-on-429 path, no 30 msg/s cap."""
    from telegram.ext import AIORateLimiter

    if telegram_rate_limit:
        return AIORateLimiter
    return functools.partial(AIORateLimiter, overall_max_rate=0, group_max_rate=0)


class _EchoBot:
    """The framework's floor: what ours is minus our handlers, database and conversation state."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.application = None
        self._runner = None

    async def start(self) -> None:
        from aiohttp import web
        from telegram import Update
        from telegram.ext import ApplicationBuilder, MessageHandler, filters

        from bot.webhook import webhook_app

        c = self.config
        limiter = _rate_limiter_factory(c["telegram_rate_limit"])
        self.application = (
            ApplicationBuilder()
            .token(c["token"])
            .base_url(c["base_url"])
            .base_file_url(c["base_file_url"])
            .rate_limiter(limiter(max_retries=5))
            .concurrent_updates(False)
            .updater(None)
            .build()
        )

        async def echo(update: Update, context) -> None:
            await context.bot.send_message(update.effective_chat.id, update.message.text)

        self.application.add_handler(MessageHandler(filters.TEXT, echo))
        await self.application.initialize()
        await self.application.start()
        self._runner = web.AppRunner(webhook_app(self.application, c["secret"], WEBHOOK_PATH))
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", c["port"]).start()
        await self.application.bot.set_webhook(
            c["webhook_url"], secret_token=c["secret"], allowed_updates=Update.ALL_TYPES)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self.application is not None:
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()


class _AIOLimiterAsBefore:
    """PTB's AIORateLimiter(max_retries=5), what bot/app.py built before bot/rate_limit.py:
    every message within 30 a second overall. It takes an int as rate_limit_args, so the
    reminder service's {"bulk": True} is dropped here."""

    def __new__(cls, **_settings):
        from telegram.ext import AIORateLimiter

        class AsBefore(AIORateLimiter):
            async def process_request(self, callback, args, kwargs, endpoint, data,
                                      rate_limit_args):
                return await super().process_request(callback, args, kwargs, endpoint, data,
                                                     None)

        return AsBefore(max_retries=5)


def _our_bot(config: dict[str, Any]):
    import bot.app
    from bot.service import BotService

    if config.get("limiter") == "aio":  # the rate limiter as it was (morning_rush --limiter aio)
        bot.app.RateLimiter = _AIOLimiterAsBefore
    return BotService(_our_settings(config))


def _our_settings(config: dict[str, Any]):
    from bot.settings import load_settings

    limits = {}
    if config.get("limiter") != "aio" and not config["telegram_rate_limit"]:
        # The one change to production: no flood limits (0 = none), see --telegram-rate-limit.
        limits = dict(chat_messages_per_second=0, bulk_messages_per_second=0)
    return load_settings(
        _env_file=None,
        bot_token=config["token"],
        bot_api_base_url=config["base_url"],
        database_url=config["database_url"],
        webhook_url=config["webhook_url"],
        webhook_secret=config["secret"],
        webhook_listen="127.0.0.1",
        webhook_port=config["port"],
        default_language="en",
        **limits,
    )


class _Profiler:
    """pyinstrument when installed (statistical, async-aware), else cProfile."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.kind = None
        self._profiler = None

    def start(self) -> None:
        if not self.path:
            return
        try:
            from pyinstrument import Profiler

            self.kind = "pyinstrument"
            self._profiler = Profiler(interval=0.001, async_mode="disabled")
        except ImportError:
            import cProfile

            self.kind = "cProfile"
            self._profiler = cProfile.Profile()
        self._profiler.enable() if self.kind == "cProfile" else self._profiler.start()

    def stop_and_write(self) -> None:
        if self._profiler is None:
            return
        path = Path(self.path)
        if self.kind == "pyinstrument":
            self._profiler.stop()
            path.with_suffix(".txt").write_text(
                _by_bucket(self._profiler.last_session.root_frame())
                + self._profiler.output_text(unicode=True, color=False, show_all=False))
        else:
            import io
            import pstats

            self._profiler.disable()
            self._profiler.dump_stats(str(path.with_suffix(".prof")))
            out = io.StringIO()
            stats = pstats.Stats(self._profiler, stream=out)
            out.write(_by_component(stats))
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_stats(60)
            path.with_suffix(".txt").write_text(out.getvalue())


_COMPONENTS = (  # first match wins: path fragment -> component
    ("/handlers/", "ours: handlers"), ("/core/", "ours: core"), ("/bot/", "ours: bot"),
    ("/sqlalchemy/", "sqlalchemy"), ("/aiosqlite/", "aiosqlite"), ("/asyncpg/", "asyncpg"),
    ("/alembic/", "alembic"), ("/telegram/", "python-telegram-bot"), ("/httpx/", "httpx"),
    ("/httpcore/", "httpcore"), ("/h11/", "h11"), ("/aiohttp/", "aiohttp"),
    ("/yarl/", "aiohttp"), ("/multidict/", "aiohttp"), ("/jinja2/", "jinja2"),
    ("/markupsafe/", "jinja2"), ("/phonenumbers/", "phonenumbers"), ("/aiolimiter/", "aiolimiter"),
    ("/apscheduler/", "apscheduler"), ("/asyncio/", "asyncio"), ("/json/", "json"),
    ("/selectors.py", "asyncio"), ("/logging/", "logging"), ("/copy.py", "copy (deepcopy)"),
    ("/threading.py", "threads"), ("/concurrent/", "threads"),
)


def _bucket(stack: list[tuple[str, str]]) -> str:
    """What a pyinstrument sample was doing, from its stack (root first)."""
    files = [file for file, _ in stack]
    if files[-1].endswith("selectors.py"):
        return "idle: waiting in epoll"
    joined = "\n".join(files)
    if any(part in joined for part in ("bot/gate.py", "handlers/flow.py", "core/conversations.py")):
        return "conversation state and the chat gate (rows, lock, handled updates)"
    if any(part in joined for part in ("/sqlalchemy/", "/aiosqlite/", "/asyncpg/", "/greenlet/")):
        return "database: SQLAlchemy ORM + driver (handlers' queries; greenlet stacks)"
    if any(part in joined for part in ("/telegram/request/", "/httpx/", "/httpcore/", "/h11/",
                                       "/anyio/")) or "telegram/_bot.py" in joined:
        return "sending replies: PTB Bot + AIORateLimiter + httpx"
    if "bot/webhook.py" in joined:
        return "webhook receive: JSON + Update.de_json"
    if "/jinja2/" in joined or "/markupsafe/" in joined or "handlers/texts.py" in joined:
        return "templates: Jinja2 render"
    if any(part in joined for part in ("/handlers/", "/core/", "/phonenumbers/")):
        return "our handler code (handlers/, core/)"
    if "/telegram/" in joined:
        return "PTB dispatch: Application, handlers' checks"
    if "/aiohttp/" in joined:
        return "aiohttp web server (webhook HTTP)"
    if "/asyncio/" in joined:
        return "asyncio event loop"
    return "other"


def _by_bucket(root) -> str:
    """pyinstrument self time summed by what the stack was doing (see _bucket)."""
    totals: dict[str, float] = {}
    pending = [(root, [(root.file_path or "", root.function or "")])]
    while pending:
        frame, stack = pending.pop()
        bucket = _bucket(stack)
        totals[bucket] = totals.get(bucket, 0.0) + frame.total_self_time
        for child in frame.children:
            if not child.is_synthetic:
                pending.append((child, stack + [(child.file_path or "", child.function or "")]))
    total = sum(totals.values()) or 1.0
    busy = total - totals.get("idle: waiting in epoll", 0.0)
    lines = [f"Where the bot process's time went (pyinstrument samples, {total:.1f}s; "
             f"share of busy time = excluding epoll):\n"]
    for bucket, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        share = "" if bucket.startswith("idle") else f"{100 * seconds / busy:5.1f} % of busy"
        lines.append(f"  {bucket:72s} {seconds:7.2f} s  {share}\n")
    return "".join(lines) + "\n"


def _by_component(stats) -> str:
    """Self time (tottime) summed by package: what the bot process spends its CPU on."""
    totals: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        component = "other"
        for fragment, label in _COMPONENTS:
            if fragment in filename:
                component = label
                break
        else:
            if filename == "~":
                component = f"builtins: {name}" if "select" in name or "poll" in name else "builtins"
        totals[component] = totals.get(component, 0.0) + tottime
    total = sum(totals.values()) or 1.0
    lines = ["Self time by component (cProfile tottime; epoll = idle, waiting for I/O):\n"]
    for component, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {component:40s} {seconds:8.3f} s  {100 * seconds / total:5.1f} %\n")
    return "".join(lines) + "\n"


async def _child_async(config: dict[str, Any], errors: _ErrorCounter) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    service = _our_bot(config) if config["kind"] == "ours" else _EchoBot(config)
    profiler = _Profiler(config.get("profile"))
    statements: dict[str, int] = {}

    def measure() -> None:
        """SIGUSR1, after the booking mix's set-up: count the SQL and profile from now on."""
        statements.clear()
        if profiler.kind is None:
            profiler.start()

    loop.add_signal_handler(signal.SIGUSR1, measure)
    try:
        await service.start()
        if config["kind"] == "ours":
            for engine in service.engines:
                _count_statements(engine, statements)
        if not config.get("measure_from_signal"):
            profiler.start()
        print("READY", flush=True)
        await stop.wait()
    finally:
        written = time.perf_counter()
        profiler.stop_and_write()
        if profiler.kind:
            print(f"[{config['kind']} bot] {profiler.kind} profile written in "
                  f"{time.perf_counter() - written:.1f}s", file=sys.stderr, flush=True)
        await service.stop()
    print("STOPPED " + json.dumps({"error_log_records": errors.count,
                                   "profiler": profiler.kind, "statements": statements,
                                   "threads": _thread_cpu()}),
          flush=True)


def _thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's threads by name (SQLite's driver runs in threads)."""
    import threading

    names = {t.native_id: t.name.split(" ")[0].split("-")[0] for t in threading.enumerate()}
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = names.get(int(task.name), "other")
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[name] = round(used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks, 2)
    return used


def _count_statements(engine, counts: dict[str, int]) -> None:
    """Counts the SQL the bot sends from now on, by its first word, and the commits."""
    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def statement(conn, cursor, sql, *args) -> None:
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        counts[verb] = counts.get(verb, 0) + 1

    @event.listens_for(engine.sync_engine, "commit")
    def commit(conn) -> None:
        counts["COMMIT"] = counts.get("COMMIT", 0) + 1

    @event.listens_for(engine.sync_engine, "rollback")
    def rollback(conn) -> None:
        counts["ROLLBACK"] = counts.get("ROLLBACK", 0) + 1


def child_main(config_json: str) -> int:
    config = json.loads(config_json)
    # The bot logs at INFO; below WARNING it would measure the log handler, not the bot.
    logging.basicConfig(level=logging.WARNING,
                        format=f"[{config['kind']} bot] %(levelname)s %(name)s: %(message)s")
    errors = _ErrorCounter()
    logging.getLogger().addHandler(errors)
    # PTB's advice about ConversationHandler's per_message setting, printed at every start.
    warnings.filterwarnings("ignore", message=".*per_message.*")
    asyncio.run(_child_async(config, errors))
    return 0


# ================================================================== measuring (this process)
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads included."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot, from /proc/stat; stolen is
    time the VM's CPUs wanted to run but the host ran something else."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def _all_processes_cpu() -> dict[int, tuple[str, float]]:
    """pid -> (command, CPU seconds) for every process we can see."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = " ".join(f.read().decode(errors="replace").replace("\0", " ").split())
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        found[int(entry)] = (command[:80] or f"[{name}]", (int(fields[11]) + int(fields[12])) / tick)
    return found


class OtherProcesses:
    """CPU used by every other process during the run, sampled every half second so that a
    short-lived one (a test run next door) is seen too."""

    def __init__(self, exclude: set[int], database: str | None = None) -> None:
        self.exclude = exclude
        self.database = database
        self.first = _all_processes_cpu()
        self.last: dict[int, tuple[str, float]] = dict(self.first)

    def sample(self) -> None:
        self.last.update(_all_processes_cpu())

    def _serves_us(self, command: str) -> bool:
        """A PostgreSQL backend of the benchmark's database, or the server's own writers."""
        if not self.database or not command.startswith("postgres:"):
            return False
        return f" {self.database} " in command or any(
            name in command for name in ("walwriter", "checkpointer", "background writer"))

    def used(self) -> tuple[float, float, list[str]]:
        """(CPU seconds of the database server's processes serving the bot, of all other
        processes, the busiest three others)."""
        deltas = []
        database = 0.0
        for pid, (command, seconds) in self.last.items():
            if pid in self.exclude:
                continue
            delta = seconds - self.first.get(pid, (command, 0.0))[1]
            if delta <= 0:
                continue
            if self._serves_us(command):
                database += delta
            else:
                deltas.append((delta, f"{delta:.2f}s pid {pid} {command}"))
        deltas.sort(reverse=True)
        return database, sum(d for d, _ in deltas), [t for d, t in deltas[:3] if d >= 0.05]


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


class UserFailed(Exception):
    pass


def _instrument(user) -> None:
    """Note the arrival time of every bot message in the user's chat, as the server stores it."""
    user.arrivals = []
    original = user._bot_posted

    def bot_posted(stored, *, edited: bool) -> None:
        user.arrivals.append(time.perf_counter())
        original(stored, edited=edited)

    user._bot_posted = bot_posted


# A step: (label, action, replies expected, check of the replies or None). The checks look for
# what only the right answer has (an apology after an error has no keyboard); errors the bot
# logs, or Bot API calls that fail, fail the run too. The replies expected are a number, or
# (booking) a function of the first reply giving how many there are in all: whether the
# phone question (two messages) comes now depends on what the bot asked before it.
Step = tuple[str, Callable[[Any], Awaitable[Any]], int | Callable[[Any], int],
             Callable[[list], str | None] | None]


def _check_ask_phone(replies) -> str | None:
    keyboard = replies[0].reply_keyboard or []
    if not (keyboard and keyboard[0] and keyboard[0][0].get("request_contact")):
        return f"expected the share-phone keyboard, got {replies[0].text!r}"
    return None


def _check_registered(replies) -> str | None:
    if not replies[0].remove_keyboard:
        return f"expected the registration confirmation, got {replies[0].text!r}"
    return None


def _check_language(replies) -> str | None:
    if len(replies[0].callback_data) < 2:
        return f"expected the language buttons, got {replies[0].text!r}"
    return None


def our_script(uid: int, updates: int) -> list[Step]:
    """The registration every new customer goes through, then /help and /language."""
    steps: list[Step] = [
        ("/start", lambda u: u.send("/start"), 1, None),
        ("name", lambda u: u.send(f"Bench User {uid}"), 1, _check_ask_phone),
        ("contact", lambda u: u.send_contact(), 2, _check_registered),
        ("/help", lambda u: u.send("/help"), 1, None),
    ]
    k = 0
    while len(steps) < updates:
        if (uid + k) % LANGUAGE_EVERY == 0:
            steps.append(("/language", lambda u: u.send("/language"), 1, _check_language))
        else:
            steps.append(("/help", lambda u: u.send("/help"), 1, None))
        k += 1
    return steps[:updates]


# --- the booking mix: a customer books a repair through /book (handlers/booking.py) -------
NAVIGATION = ("◀ Back", "✖ Cancel")


def _offered(reply) -> list[str]:
    """The buttons a question offers, without Back and Cancel."""
    return [text for text in reply.button_texts if text not in NAVIGATION]


def _asks(question: str, *, button: str | None = None, at_least: int = 1):
    """A check: the last reply is the question saying `question`, offering `button` or at
    least `at_least` buttons (0: none needed)."""
    def check(replies) -> str | None:
        reply = replies[-1]
        if question not in (reply.text or ""):
            return f"expected the question {question!r}, got {reply.text!r}"
        offered = _offered(reply)
        if button is not None and button not in offered:
            return f"expected a button {button!r} with {question!r}, got {offered}"
        if len(offered) < at_least:
            return f"expected buttons with {question!r}, got {offered}"
        return None
    return check


_ASKS_DISTRICT = _asks("Which district", button="Not in this list", at_least=2)
_ASKS_DAY = _asks("Which day suits you?")


def _asks_phone(replies) -> str | None:
    """The phone question: a note carrying the share-phone keyboard, then the question with
    the saved number as a button."""
    if len(replies) != 2 or not _phone_note(replies[0]):
        return f"expected the share-phone keyboard and the phone question, got {replies[0].text!r}"
    return _asks("Which phone number")(replies)


def _phone_noted(replies) -> str | None:
    """The number noted (the share-phone keyboard removed), then the day question."""
    if not (replies[0].remove_keyboard and (replies[0].text or "").startswith("Phone:")):
        return f"expected the phone noted, got {replies[0].text!r}"
    return _ASKS_DAY(replies)


def _one_of(*checks):
    def check(replies) -> str | None:
        problems = [c(replies) for c in checks]
        return None if None in problems else " / or: ".join(problems)
    return check


def _phone_note(reply) -> bool:
    keyboard = reply.reply_keyboard or []
    return bool(keyboard and keyboard[0] and keyboard[0][0].get("request_contact"))


def _press(reply, label: str) -> Callable[[Any], Awaitable[Any]]:
    """Presses `label` on that very message (the question the bot asked)."""
    return lambda u: u.press(label, message=reply)


def _booked(day: list[str], window: list[str]):
    def check(replies) -> str | None:
        text = replies[-1].text or ""
        if "Your order number is R-" not in text:
            return f"expected the order number, got {text!r}"
        if f"{day[0]}, {window[0]}" not in text:
            return f"expected the visit on {day[0]}, {window[0]}, got {text!r}"
        return None
    return check


def booking_script(k: int, days: list[str]):
    """User k of the phase books a TV repair through /book (13 updates when the bot asks for
    the district and the phone), on day days[k % 5] and the (k // 5 % 3)-th window offered
    that day. A generator: sent the replies to each step, it yields the next."""
    iso = days[k % len(days)]
    day: list[str] = []  # the labels pressed, for the final check
    window: list[str] = []

    def press_day(question) -> Callable[[Any], Awaitable[Any]]:
        async def act(u):
            label = next((text for text, data in question.callback_data.items()
                          if data.endswith(":" + iso)), None)
            if label is None or "·" in label:  # "Sat 5 Dec · Full"
                raise UserFailed(f"user {u.id}: day {iso} not offered (or full): "
                                 f"{_offered(question)}")
            day.append(label)
            await u.press(label, message=question)
        return act

    replies = yield ("/book", lambda u: u.send("/book"), 1,
                     _asks("Which appliance needs a repair?", button="TV"))
    replies = yield ("appliance", _press(replies[-1], "TV"), 1, _asks("Which brand", at_least=2))
    brand = next(b for b in _offered(replies[-1]) if b != "Other…")
    replies = yield ("brand", _press(replies[-1], brand), 1,
                     _asks("What is the model?", button="Skip"))
    replies = yield ("skip model", _press(replies[-1], "Skip"), 1,
                     _asks("serial number", button="Skip"))
    replies = yield ("skip serial", _press(replies[-1], "Skip"), 1,
                     _asks("What is wrong?", at_least=0))
    replies = yield ("problem", lambda u: u.send("The screen flickers and goes dark"), 1,
                     _asks("photos", button="Done with photos"))
    replies = yield ("photos done", _press(replies[-1], "Done with photos"), 1,
                     _asks("Where should the technician come?", at_least=0))
    # What follows the address, and the district, is the next question the bot has: the
    # district (when the address names none we serve), the phone (two messages), the day.
    replies = yield ("address", lambda u: u.send(f"{k + 1} Main St, flat {k % 40 + 1}"),
                     lambda first: 2 if _phone_note(first) else 1,
                     _one_of(_ASKS_DISTRICT, _asks_phone, _ASKS_DAY))
    if "Which district" in (replies[-1].text or ""):
        district = next(d for d in _offered(replies[-1]) if d != "Not in this list")
        replies = yield ("district", _press(replies[-1], district),
                         lambda first: 2 if _phone_note(first) else 1,
                         _one_of(_asks_phone, _ASKS_DAY))
    if len(replies) == 2:  # the phone question: the number they registered with
        saved = _offered(replies[-1])[0]
        replies = yield ("phone", _press(replies[-1], saved), 2, _phone_noted)
    replies = yield ("day", press_day(replies[-1]), 1, _asks("What time on"))
    offered = _offered(replies[-1])
    window.append(offered[(k // len(days)) % len(offered)])
    replies = yield ("window", _press(replies[-1], window[0]), 1,
                     _asks("Please check your booking", button="✅ Confirm"))
    yield ("confirm", _press(replies[-1], "✅ Confirm"), 1, _booked(day, window))


def echo_script(uid: int, updates: int) -> list[Step]:
    def step(i: int) -> Step:
        text = f"hello {i} from {uid}"

        def check(replies, text=text) -> str | None:
            return None if replies[0].text == text else f"echo of {text!r} was {replies[0].text!r}"

        return ("text", lambda u: u.send(text), 1, check)

    return [step(i) for i in range(updates)]


async def run_user(api, uid: int, script, args, record,
                   tally: dict[str, int] | None = None) -> int:
    """One person, one step after the other; returns the number of replies received.

    `script` is a list of steps, or a generator sent the replies to each step (booking).
    `tally` counts the updates sent and the replies the bot's questions called for. The same
    person may run a second script (the booking mix: registered first, then /book)."""
    user = api.user(uid, f"U{uid}", language_code="en",
                    phone_number=f"+86138{uid % 10 ** 8:08d}")
    if not hasattr(user, "arrivals"):
        _instrument(user)
    steps = iter(script) if isinstance(script, list) else script
    received = 0
    replies = None
    while True:
        try:
            step = next(steps) if replies is None else (
                steps.send(replies) if hasattr(steps, "send") else next(steps))
        except StopIteration:
            break
        label, action, n, check = step
        t0 = time.perf_counter()
        await action(user)
        try:
            replies = await user.replies(n if isinstance(n, int) else 1,
                                         timeout=args.step_timeout)
            more = 0 if isinstance(n, int) else n(replies[0]) - 1
            if more > 0:
                replies += await user.replies(more, timeout=args.step_timeout)
        except AssertionError as error:
            raise UserFailed(f"user {uid} step {label!r}: {str(error)[:1500]}") from None
        received += len(replies)
        if tally is not None:
            tally["updates"] = tally.get("updates", 0) + 1
            tally["replies"] = tally.get("replies", 0) + len(replies)
        # the arrival of the last reply: the user's replies so far are the first _cursor
        latency = user.arrivals[user._cursor - 1] - t0
        problem = check(replies) if check else None
        if problem:
            raise UserFailed(f"user {uid} step {label!r}: {problem}")
        record(label, latency)
    return received


class DirectDelivery:
    """--delivery direct: the benchmark POSTs every update to the webhook itself, concurrently,
    with the secret header, instead of the server's one-at-a-time delivery loop. Replies
    still go through the server's sendMessage."""

    def __init__(self, api, url: str, secret: str) -> None:
        self.api, self.url, self.secret = api, url, secret
        self.failures = 0
        self.tasks: set[asyncio.Task] = set()
        self.session = None

    async def install(self) -> None:
        import aiohttp

        api = self.api
        if api._webhook_task is not None:
            api._webhook_task.cancel()
            await asyncio.gather(api._webhook_task, return_exceptions=True)
            api._webhook_task = None
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        original = api._enqueue

        def enqueue(content):
            update = original(content)
            if update is not None:
                api._updates.remove(update)  # delivered here, not by the server's loop
                task = asyncio.create_task(self._post(update))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            return update

        api._enqueue = enqueue

    async def _post(self, update) -> None:
        import aiohttp

        headers = {"Content-Type": "application/json",
                   "X-Telegram-Bot-Api-Secret-Token": self.secret}
        try:
            async with self.session.post(self.url, data=json.dumps(update), headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=10)) as response:
                await response.read()
                if not 200 <= response.status < 300:
                    self.failures += 1
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            self.failures += 1

    async def uninstall(self) -> None:
        self.api.__dict__.pop("_enqueue", None)
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=10)
        if self.session is not None:
            await self.session.close()


class BotProcess:
    """One bot in a child process: started, waited for, stopped with SIGTERM as an operator
    stops `python -m bot run`."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.proc: asyncio.subprocess.Process | None = None
        self.final: dict[str, Any] = {}

    def resident_memory(self) -> dict[str, float]:
        """The bot process's resident memory now and at its peak, in MB (/proc)."""
        found = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                        int(rest.split()[0]) / 1024, 1)
        return found

    async def start(self, timeout: float) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(self.config),
            stdout=asyncio.subprocess.PIPE, cwd=str(ROOT),
        )
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except asyncio.TimeoutError:
            await self.kill()
            raise RuntimeError(f"{self.config['kind']} bot did not start within {timeout}s")
        if line.strip() != b"READY":
            await self.kill()
            raise RuntimeError(f"{self.config['kind']} bot failed to start (see stderr above)")

    async def stop(self, timeout: float) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            out = await asyncio.wait_for(self.proc.stdout.read(), timeout)
            await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            await self.kill()
            raise RuntimeError(f"{self.config['kind']} bot did not stop within {timeout}s")
        for line in out.decode().splitlines():
            if line.startswith("STOPPED "):
                self.final = json.loads(line[len("STOPPED "):])

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def run_phase(kind: str, api, args, database_url: str | None, first_uid: int,
                    n_users: int, warmup_users: int) -> dict[str, Any]:
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    profile = str(RESULTS / f"profile_{kind}") if args.profile else None
    booking = kind == "ours" and args.mix == "booking"
    config = dict(
        kind=kind, token=TOKEN, base_url=api.base_url, base_file_url=api.base_file_url,
        database_url=database_url, port=port, webhook_url=webhook_url, secret=SECRET,
        telegram_rate_limit=args.telegram_rate_limit, profile=profile,
        measure_from_signal=booking,
    )
    bot = BotProcess(config)
    updates_per_user = args.updates if args.mix == "registration" else BOOKING_UPDATES
    setup: dict[str, Any] = {}
    if booking:
        bookings = warmup_users + n_users
        technicians = max(args.technicians, -(-bookings // BOOKING_WINDOWS))
        print(f"[{kind}] set-up: {technicians} technicians (TV) made through core ...",
              flush=True)
        days = await seed_booking(database_url, technicians, config)
        setup.update(technicians=technicians, booking_days=days)

        def script_for(uid: int, _updates: int):
            return booking_script(uid - first_uid, days)
    else:
        script_for = our_script if kind == "ours" else echo_script
    errors_before = len(api.errors)
    deliveries_before = len(api.webhook_deliveries)
    direct = None
    print(f"[{kind}] starting the bot ...", flush=True)
    started = time.perf_counter()
    await bot.start(timeout=args.start_timeout)
    try:
        if api.webhook is None or api.webhook.url != webhook_url:
            raise RuntimeError(f"{kind} bot started but did not set its webhook")
        print(f"[{kind}] up in {time.perf_counter() - started:.1f}s; "
              f"warm-up {warmup_users} users, then {n_users} users x {updates_per_user} "
              f"updates ({args.mix}), {args.concurrency} at a time", flush=True)
        if args.delivery == "direct":
            direct = DirectDelivery(api, webhook_url, SECRET)
            await direct.install()

        async def crowd(uids: list[int], record, tally: dict[str, int] | None = None,
                        script=None) -> tuple[int, list[str]]:
            semaphore = asyncio.Semaphore(args.concurrency)
            failures: list[str] = []
            received = 0
            script = script or script_for

            async def one(uid: int) -> None:
                nonlocal received
                async with semaphore:
                    try:
                        got = await run_user(api, uid, script(uid, updates_per_user), args,
                                             record, tally)
                        received += got
                    except UserFailed as error:
                        failures.append(str(error))

            users = asyncio.ensure_future(asyncio.gather(*(one(uid) for uid in uids)))

            async def watchdog() -> None:  # a bot that died fails the run now, not at timeouts
                while bot.proc.returncode is None:
                    await asyncio.sleep(0.2)
                users.cancel()

            watching = asyncio.create_task(watchdog())
            try:
                await asyncio.wait_for(users, args.phase_timeout)
            except asyncio.CancelledError:
                if bot.proc.returncode is None:
                    raise
                raise RuntimeError(f"{kind} bot exited (status {bot.proc.returncode}) during "
                                   "the run; see its stderr above") from None
            finally:
                watching.cancel()
            return received, failures

        if booking:  # every user registers first: set-up, not timed, not counted
            setup_tally: dict[str, int] = {}
            set_up = time.perf_counter()
            _, setup_failures = await crowd(
                list(range(first_uid, first_uid + warmup_users + n_users)),
                lambda label, latency: None, setup_tally,
                lambda uid, _updates: our_script(uid, SETUP_UPDATES))
            if setup_failures:
                raise RuntimeError(f"{kind}: set-up (registration) failed: {setup_failures[0]}")
            setup.update(users=warmup_users + n_users, updates=setup_tally.get("updates", 0),
                         replies=setup_tally.get("replies", 0),
                         wall_s=round(time.perf_counter() - set_up, 3))
            print(f"[{kind}] set-up: {setup['users']} users registered in {setup['wall_s']:.1f}s",
                  flush=True)
            await asyncio.sleep(0.5)  # the bot finishes its last update's work
            bot.proc.send_signal(signal.SIGUSR1)  # SQL counted (and profiled) from here
            await asyncio.sleep(0.2)

        warm_tally: dict[str, int] = {}
        _, warm_failures = await crowd(list(range(first_uid, first_uid + warmup_users)),
                                       lambda label, latency: None, warm_tally)
        if warm_failures:
            raise RuntimeError(f"{kind}: warm-up failed: {warm_failures[0]}")

        latencies: list[float] = []
        by_step: dict[str, list[float]] = {}

        def record(label: str, latency: float) -> None:
            latencies.append(latency)
            by_step.setdefault(label, []).append(latency)

        backlog: list[int] = []

        pg_database = (database_url.rsplit("/", 1)[-1].split("?")[0]
                       if database_url and database_url.startswith("postgresql") else None)
        others = OtherProcesses({os.getpid(), bot.proc.pid}, pg_database)

        async def sample_backlog() -> None:
            ticks = 0
            while True:
                backlog.append(len(api._updates))
                ticks += 1
                if ticks % 10 == 0:
                    others.sample()
                await asyncio.sleep(0.05)

        uids = list(range(first_uid + warmup_users, first_uid + warmup_users + n_users))
        sampler = asyncio.create_task(sample_backlog())
        cpu_bot0, cpu_me0, (busy0, steal0) = (_proc_cpu_seconds(bot.proc.pid),
                                              time.process_time(), _machine_cpu())
        t0 = time.perf_counter()
        tally: dict[str, int] = {}
        try:
            received, failures = await crowd(uids, record, tally)
        except asyncio.TimeoutError:
            raise RuntimeError(f"{kind}: the run did not finish within {args.phase_timeout}s "
                               f"({len(latencies)} updates answered)") from None
        finally:
            sampler.cancel()
        wall = time.perf_counter() - t0
        cpu_bot = _proc_cpu_seconds(bot.proc.pid) - cpu_bot0
        cpu_me = time.process_time() - cpu_me0
        busy1, steal1 = _machine_cpu()
        machine_busy, machine_steal = busy1 - busy0, steal1 - steal0
        others.sample()
        db_server_s, others_s, busiest = others.used()
    finally:
        try:
            # Writing a profile takes a while; otherwise stopping is quick.
            await bot.stop(timeout=args.stop_timeout + (300 if args.profile else 0))
        finally:
            if direct is not None:
                await direct.uninstall()

    users = [api.user(uid, "") for uid in uids]
    if booking:
        # What the bot's questions called for (the district and phone come only if asked).
        updates_expected, expected_replies = tally.get("updates", 0), tally.get("replies", 0)
        warm_updates = warm_tally.get("updates", 0)
        # /start 1, name 1, contact 2 a user (checked at set-up)
        setup_replies = len(uids) * sum(step[2] for step in our_script(0, SETUP_UPDATES))
    else:
        updates_expected = len(uids) * updates_per_user
        expected_replies = len(uids) * sum(step[2] for step in script_for(0, updates_per_user))
        warm_updates = warmup_users * updates_per_user
        setup_replies = 0
    # Replies counted once more after the bot stopped (in-flight updates finished): an extra
    # message from the bot (an error apology, a duplicate) shows up here.
    arrived = sum(len(u._events) for u in users) - setup_replies
    completed = len(uids) - len(failures)
    api_errors = [f"{m} -> {e.error_code} {e.description}" for m, _, e in api.errors[errors_before:]]
    deliveries = api.webhook_deliveries[deliveries_before:]
    redelivered = len(deliveries) - len({update_id for update_id, _ in deliveries})
    updates = len(latencies)
    ordered = sorted(latencies)
    ms = lambda seconds: round(seconds * 1000, 2)  # noqa: E731
    result = {
        "bot": kind,
        "mix": args.mix,
        "database": _db_label(database_url) if database_url else None,
        "users": len(uids),
        "users_completed": completed,
        "users_failed": len(failures),
        "updates": updates,
        "updates_expected": updates_expected,
        "updates_per_user": updates_per_user,
        "replies_received": received,
        "replies_in_chats": arrived,
        "replies_expected": expected_replies,
        "wall_s": round(wall, 3),
        "updates_per_s": round(updates / wall, 1) if wall else None,
        "latency_ms": {"p50": ms(percentile(ordered, 50)), "p90": ms(percentile(ordered, 90)),
                       "p99": ms(percentile(ordered, 99)), "max": ms(ordered[-1]) if ordered else None,
                       "mean": ms(sum(ordered) / len(ordered)) if ordered else None},
        "latency_p50_ms_by_step": {label: ms(percentile(sorted(values), 50))
                                   for label, values in by_step.items()},
        "cpu": {
            "bot_process_s": round(cpu_bot, 3),
            "bot_ms_per_update": round(1000 * cpu_bot / updates, 3) if updates else None,
            "harness_process_s": round(cpu_me, 3),
            "harness_ms_per_update": round(1000 * cpu_me / updates, 3) if updates else None,
            "machine_busy_cores": round(machine_busy / wall, 2) if wall else None,
            "machine_cores": os.cpu_count(),
            "machine_stolen_s": round(machine_steal, 3),
            "database_server_s": round(db_server_s, 3),
            "database_server_ms_per_update": round(1000 * db_server_s / updates, 3)
            if updates else None,
            "other_processes_s": round(others_s, 3),
            "busiest_other_processes": busiest,
            # machine busy time no process accounts for: mostly the kernel's loopback TCP
            # (softirq) and file system work
            "unattributed_s": round(max(machine_busy - cpu_bot - cpu_me - db_server_s - others_s,
                                        0.0), 3),
        },
        "server_backlog": {"mean": round(sum(backlog) / len(backlog), 2) if backlog else 0,
                           "max": max(backlog, default=0)},
        "webhook_redeliveries": redelivered,
        "webhook_failed_deliveries": sum(1 for _, status in deliveries
                                         if status is None or not 200 <= status < 300)
        + (direct.failures if direct else 0),
        "bot_api_errors": api_errors[:20],
        "bot_error_log_records": bot.final.get("error_log_records"),
        "profiler": bot.final.get("profiler"),
        "bot_threads_cpu_s": bot.final.get("threads"),
        # SQL per update, warm-up included (counted from the bot's start; booking: from the
        # end of the set-up)
        "statements_per_update": {
            verb: round(n / (warm_updates + updates_expected), 2)
            for verb, n in sorted((bot.final.get("statements") or {}).items())},
        "failures": failures[:5],
    }
    if setup:
        result["setup"] = setup
    result["ok"] = (not failures and updates == result["updates_expected"]
                    and received == expected_replies and arrived == expected_replies
                    and not api_errors and not bot.final.get("error_log_records"))
    return result


def _db_label(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


@contextlib.asynccontextmanager
async def fresh_database(base_url: str | None):
    """A fresh SQLite file in a temp dir, or a fresh PostgreSQL database created on the given
    server and dropped at the end (our bot runs its Alembic migrations into it at start)."""
    if not base_url:
        with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/bench.db"
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("--database-url: expected postgresql+asyncpg://...")
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    connection = await asyncio.wait_for(asyncpg.connect(admin), 15)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncio.wait_for(asyncpg.connect(admin), 15)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def seed_booking(database_url: str, technicians: int, config: dict[str, Any]) -> list[str]:
    """The booking mix's set-up before the bot starts: the database migrated and
    `technicians` technicians who repair TVs, made through core (as tests/e2e/people.py and
    bench/morning_rush.py make them). Returns the days the users book (ISO dates): the day
    after tomorrow and the four after it, in the company's time zone (the bot's settings)."""
    from bot.bootstrap import make_desk
    from core import people, windows
    from core.db import make_engine, make_session_factory
    from core.desk import CompanySettings
    from core.migrate import upgrade

    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        company = CompanySettings(timezone=_our_settings(config).zone)
        desk = make_desk(make_session_factory(engine), company)
        async with desk.uow() as uow:
            for n in range(technicians):
                user = await people.ensure_user(uow, FIRST_TECHNICIAN + n, "en")
                people.make_staff(uow, user, "technician", f"Tech {n}")
                await people.set_skills(uow, user, ["tv"])
            days = windows.bookable_days(uow)[BOOKING_DAYS]
            await uow.commit()
    finally:
        await engine.dispose()
    return [day.isoformat() for day in days]


def _git_state() -> dict[str, Any]:
    """The commit measured, and whether the tree (outside bench/) had changes on top of it."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()

    try:
        changed = [line[3:] for line in git("status", "--porcelain").splitlines()
                   if not line[3:].startswith("bench/")]
        return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted_files": len(changed)}
    except (OSError, subprocess.SubprocessError):
        return {}


def _ratios(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Ours over echo, each round's pair, then the median over the rounds."""
    by_round: list[dict[str, float]] = []
    for round_ in sorted({r["round"] for r in results}):
        pair = {r["bot"]: r for r in results if r["round"] == round_}
        if "ours" not in pair or "echo" not in pair:
            continue
        ours, echo = pair["ours"], pair["echo"]
        ratio = {key: round(ours["latency_ms"][key] / echo["latency_ms"][key], 2)
                 for key in ("p50", "p90", "p99", "max")}
        ratio["updates_per_s"] = round(ours["updates_per_s"] / echo["updates_per_s"], 3)
        ratio["bot_cpu_per_update"] = round(
            ours["cpu"]["bot_ms_per_update"] / echo["cpu"]["bot_ms_per_update"], 2)
        by_round.append(ratio)
    if not by_round:
        return {}
    median = {key: statistics.median(r[key] for r in by_round) for key in by_round[0]}
    if len(by_round) > 1:
        median["by_round"] = by_round
    return median


def print_table(results: list[dict[str, Any]], ratio: dict[str, Any]) -> None:
    header = (f"{'bot':5} {'mix':12} {'db':10} {'updates':>7} {'wall s':>7} {'upd/s':>7} {'p50 ms':>7} "
              f"{'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'bot CPU ms/upd':>14} {'replies':>11}")
    print()
    print(header)
    print("-" * len(header))
    several = len({r["round"] for r in results}) > 1
    for r in results:
        lat = r["latency_ms"]
        name = f"{r['bot']}{r['round']}" if several else r["bot"]
        print(f"{name:5} {r['mix']:12} {r['database'] or '-':10} {r['updates']:>7} {r['wall_s']:>7.2f} "
              f"{r['updates_per_s']:>7.1f} {lat['p50']:>7.1f} {lat['p90']:>7.1f} "
              f"{lat['p99']:>7.1f} {lat['max']:>7.1f} {r['cpu']['bot_ms_per_update']:>14.2f} "
              f"{r['replies_in_chats']:>5}/{r['replies_expected']:<5}")
    if ratio:
        print(f"{'ours/echo':29} {'':>7} {'':>7} {ratio['updates_per_s']:>7.2f} "
              f"{ratio['p50']:>7.2f} {ratio['p90']:>7.2f} {ratio['p99']:>7.2f} {ratio['max']:>7.2f} "
              f"{ratio['bot_cpu_per_update']:>14.2f}")
        if "by_round" in ratio:
            print(f"(the median of {len(ratio['by_round'])} rounds; bot CPU ratio by round: "
                  + ", ".join(f"{r['bot_cpu_per_update']:.2f}" for r in ratio["by_round"])
                  + "; throughput ratio by round: "
                  + ", ".join(f"{r['updates_per_s']:.3f}" for r in ratio["by_round"]) + ")")
    print()
    for r in results:
        c = r["cpu"]
        steps = ", ".join(f"{k} {v:.1f}" for k, v in r["latency_p50_ms_by_step"].items())
        print(f"{r['bot']}: p50 by step (ms): {steps}")
        database = (f"PostgreSQL {c['database_server_s']:.2f}s "
                    f"({c['database_server_ms_per_update']:.2f} ms/update), "
                    if c["database_server_s"] else "")
        print(f"{r['bot']}: CPU: bot {c['bot_process_s']:.2f}s, harness {c['harness_process_s']:.2f}s, "
              f"{database}"
              f"other processes {c['other_processes_s']:.2f}s, kernel/unattributed "
              f"{c['unattributed_s']:.2f}s; machine {c['machine_busy_cores']:.2f} "
              f"of {c['machine_cores']} cores busy; server backlog mean "
              f"{r['server_backlog']['mean']} max {r['server_backlog']['max']}")
        if r.get("bot_threads_cpu_s"):
            print(f"{r['bot']}: CPU by thread (s, whole life): " + ", ".join(
                f"{name} {cpu}" for name, cpu in r["bot_threads_cpu_s"].items()))
        if r.get("setup"):
            st = r["setup"]
            print(f"{r['bot']}: set-up (not measured): {st['technicians']} technicians; "
                  f"{st['users']} users registered ({st['updates']} updates, {st['replies']} "
                  f"replies) in {st['wall_s']:.1f}s; booking days {', '.join(st['booking_days'])}")
        if r.get("statements_per_update"):
            print(f"{r['bot']}: SQL per update: " + ", ".join(
                f"{verb} {n}" for verb, n in r["statements_per_update"].items()))
        if c["other_processes_s"] > 0.1 * r["wall_s"]:
            print(f"WARNING: {r['bot']}: other processes used {c['other_processes_s']:.1f}s of CPU "
                  f"during the run ({c['other_processes_s'] / r['wall_s']:.2f} cores): the figures "
                  f"are disturbed; run again on a quiet machine. Busiest: "
                  + "; ".join(c["busiest_other_processes"]))
        if c["machine_stolen_s"] > 0.1 * r["wall_s"]:
            print(f"WARNING: {r['bot']}: the VM's host took {c['machine_stolen_s']:.1f}s of CPU "
                  f"(steal) during the run: the figures are disturbed.")


async def main_async(args) -> int:
    try:  # the server moved into the product (the sandbox runs it too); tests re-export it
        from bot.sandbox.botapi import LocalBotApi
    except ImportError:
        from tests.local_bot_api import LocalBotApi

    RESULTS.mkdir(parents=True, exist_ok=True)
    api = LocalBotApi(token=TOKEN, bot_username="service_desk_bot")
    await api.start()
    results: list[dict[str, Any]] = []
    try:
        # Round by round, ours then echo: a drift of the machine's speed (a busy neighbour on
        # a VM) hits both bots of a round alike, and the median of the rounds' ratios is
        # steadier than any one run.
        for round_ in range(args.rounds):
            offset = 100_000 * round_
            if "ours" in args.bots:
                async with fresh_database(args.database_url) as database_url:
                    results.append(await run_phase("ours", api, args, database_url,
                                                   1_000_000 + offset, args.users, args.warmup))
                    results[-1]["round"] = round_ + 1
            if "echo" in args.bots:
                results.append(await run_phase("echo", api, args, None, 2_000_000 + offset,
                                               args.users, args.warmup))
                results[-1]["round"] = round_ + 1
    finally:
        await api.stop()

    ratio = _ratios(results)
    report = {
        "benchmark": "webhook_throughput",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "config": {"mix": args.mix, "users": args.users,
                   "updates_per_user": args.updates if args.mix == "registration"
                   else BOOKING_UPDATES,
                   "technicians": args.technicians if args.mix == "booking" else None,
                   "concurrency": args.concurrency, "warmup_users": args.warmup,
                   "delivery": args.delivery, "telegram_rate_limit": args.telegram_rate_limit,
                   "database": _db_label(args.database_url or "sqlite"),
                   "profiled": bool(args.profile), "rounds": args.rounds},
        "results": results,
        "ratio_ours_over_echo": ratio,
    }
    report["code"] = _git_state()
    try:
        import telegram

        report["machine"]["python_telegram_bot"] = telegram.__version__
    except ImportError:
        pass
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print_table(results, ratio)
    print(f"\nwritten: {output}")
    failed = [r for r in results if not r["ok"]]
    for r in failed:
        print(f"\nFAILED: {r['bot']}: {r['users_failed']} of {r['users']} users did not complete; "
              f"replies {r['replies_in_chats']}/{r['replies_expected']}, updates answered "
              f"{r['updates']}/{r['updates_expected']}, Bot API errors {len(r['bot_api_errors'])}, "
              f"bot ERROR log records {r['bot_error_log_records']}", file=sys.stderr)
        for line in r["failures"] + r["bot_api_errors"][:5]:
            print("  " + line.replace("\n", "\n    "), file=sys.stderr)
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Webhook throughput and latency: our bot vs a bare PTB echo bot.")
    parser.add_argument("--users", type=int, default=500, help="simulated users per bot (500)")
    parser.add_argument("--mix", choices=MIXES, default="registration",
                        help="what our users do: registration (/start, name, contact, /help, "
                             "/language|/help) or booking (registered at set-up, then every "
                             "step of /book for a repair: 13 updates); echo users send as many "
                             "texts (registration)")
    parser.add_argument("--updates", type=int, default=None,
                        help="updates per user, registration mix only (5: /start, name, "
                             "contact, /help, /language|/help)")
    parser.add_argument("--technicians", type=int, default=TECHNICIANS,
                        help="booking mix: technicians made at set-up (35; raised to "
                             "bookings / 15 when more users book)")
    parser.add_argument("--concurrency", type=int, default=50, help="users active at once (50)")
    parser.add_argument("--warmup", type=int, default=20,
                        help="users run before measuring, not counted (20)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 50 users, 5 warm-up")
    parser.add_argument("--database-url", default=None,
                        help="postgresql+asyncpg://... server: a fresh database is created on it "
                             "and dropped after the run (default: a fresh SQLite file)")
    parser.add_argument("--bots", default="ours,echo", help="which bots, in order (ours,echo)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the bots this many times, alternately; the ratios are "
                             "the median of the rounds' (1; 3 or more on a noisy machine)")
    parser.add_argument("--delivery", choices=("server", "direct"), default="server",
                        help="server: the local Bot API's own webhook delivery loop (one update "
                             "at a time, like Telegram per bot); direct: the benchmark POSTs "
                             "updates to the webhook concurrently")
    parser.add_argument("--telegram-rate-limit", action="store_true",
                        help="keep AIORateLimiter's production limits (30 messages/s overall); "
                             "by default they are off so the bots' own cost is measured")
    parser.add_argument("--profile", action="store_true",
                        help="profile each bot process (pyinstrument if installed, else "
                             "cProfile) into bench/results/profile_<bot>.*; slows it down")
    parser.add_argument("--step-timeout", type=float, default=30.0,
                        help="seconds a user waits for a reply (30)")
    parser.add_argument("--phase-timeout", type=float, default=None,
                        help="seconds for all users of one bot (200; booking: 600)")
    parser.add_argument("--start-timeout", type=float, default=120.0)
    parser.add_argument("--stop-timeout", type=float, default=30.0)
    parser.add_argument("--output", default=str(RESULTS / "webhook_throughput.json"))
    args = parser.parse_args(argv)
    if args.updates is not None and args.mix != "registration":
        parser.error("--updates applies to the registration mix only (booking: 13 /book steps)")
    if args.updates is None:
        args.updates = 5
    if args.phase_timeout is None:
        args.phase_timeout = 200.0 if args.mix == "registration" else 600.0
    if args.technicians < 1:
        parser.error("--technicians must be positive")
    if args.quick:
        args.users, args.warmup = 50, 5
    args.bots = [b.strip() for b in args.bots.split(",") if b.strip()]
    if not set(args.bots) <= {"ours", "echo"} or not args.bots:
        parser.error("--bots: ours, echo or both")
    if args.rounds < 1:
        parser.error("--rounds must be positive")
    if args.users < 1 or args.updates < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("--users, --updates, --concurrency must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1])
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
