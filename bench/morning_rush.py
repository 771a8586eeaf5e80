#!/usr/bin/env python
"""A morning rush: 200 people act at once while 2,000 reminders are due, through the
production rate limiter.

    .venv/bin/python bench/morning_rush.py                  # 200 people, 2,000 reminders, SQLite
    .venv/bin/python bench/morning_rush.py --limiter aio    # the same through PTB's AIORateLimiter
    .venv/bin/python bench/morning_rush.py --quick          # 40 people, 300 reminders
    .venv/bin/python bench/morning_rush.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

The bot runs as bench/webhook_throughput.py runs it (`BotService`, webhook mode, a child
process of its own, settings as production's but for the address of the local Bot API
server in this process), with Telegram's limits on: `--limiter ours` is bot/rate_limit.py
(each chat ~1 message a second, the ~30 a second budget for reminders only); `--limiter aio`
is what bot/app.py built before, `AIORateLimiter(max_retries=5)` (every message within 30 a
second overall).

Before the bot starts, the database gets 2,000 people owed a reminder (by default
technicians owed their 07:30 job list; `--reminder-kind digest`: managers owed the 08:00
digest), due far in the future, and 40 technicians. When the bot is up, the reminders are made
due in one UPDATE and, at the same moment, the people start, each at a random moment in the
first `--spread` seconds, each waiting a human `--think` time between steps:

* 160 customers register and start a booking: /start, name, the contact button (two
  replies), /book, press the appliance, press the brand, /cancel;
* 40 technicians: /jobs, /language, press English, /help.

Reported: latency from the moment a person's update is queued at the local Bot API server
to the first message (or edit) the bot sends back (p50/p90/p99/max, per step), the
reminders' rate (overall and while people were acting), 429s, the bot's resident memory
after the rush (and its peak), CPU, and what the bot's own GET /metrics says. Checks (exit
status 1 when one fails): every step answered with what was expected, every reminder
delivered exactly once (one message in each chat, every row marked sent), no Bot API error,
no ERROR in the bot's log.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.webhook_throughput import (  # noqa: E402
    RESULTS,
    SECRET,
    TOKEN,
    WEBHOOK_PATH,
    BotProcess,
    OtherProcesses,
    _db_label,
    _git_state,
    _instrument,
    _machine_cpu,
    _proc_cpu_seconds,
    free_port,
    fresh_database,
    percentile,
)

FIRST_REMINDED = 30_000_000
FIRST_TECHNICIAN = 20_000_000
FIRST_CUSTOMER = 10_000_000
FAR_AWAY = datetime(2099, 1, 1, tzinfo=timezone.utc)

# (label, action, replies expected): a customer registers, then starts a booking and leaves it
CUSTOMER = [
    ("/start", lambda u: u.send("/start"), 1),
    ("name", lambda u: u.send(f"Rush {u.id}"), 1),
    ("contact", lambda u: u.send_contact(), 2),
    ("/book", lambda u: u.send("/book"), 1),
    ("press appliance", lambda u: u.press("TV"), 1),
    ("press brand", lambda u: u.press("TCL"), 1),
    ("/cancel", lambda u: u.send("/cancel"), 1),
]
TECHNICIAN = [
    ("/jobs", lambda u: u.send("/jobs"), 1),
    ("/language", lambda u: u.send("/language"), 1),
    ("press English", lambda u: u.press_data("lang:en"), 1),
    ("/help", lambda u: u.send("/help"), 1),
]


async def seed(database_url: str, reminded: int, technicians: int, kind: str) -> None:
    """People owed a reminder (due far away for now) and technicians, before the bot starts:
    technicians owed their morning job list, or managers owed their morning digest."""
    from core import people, reminder_queue
    from core.db import make_engine, make_session_factory
    from bot.bootstrap import make_desk
    from core.desk import CompanySettings
    from core.migrate import upgrade

    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        desk = make_desk(make_session_factory(engine), CompanySettings())
        async with desk.uow() as uow:
            for n in range(technicians):
                user = await people.ensure_user(uow, FIRST_TECHNICIAN + n, "en")
                people.make_staff(uow, user, "technician", f"Tech {n}")
                await people.set_skills(uow, user, ["tv"])
            for n in range(reminded):
                if kind == "digest":
                    person = await people.add_manager(uow, FIRST_REMINDED + n)
                else:
                    person = await people.ensure_user(uow, FIRST_REMINDED + n, "en")
                    people.make_staff(uow, person, "technician", f"Van {n}")
                    await uow.session.flush()
                await reminder_queue.add_daily(uow, kind, person.id, "rush", FAR_AWAY)
            await uow.commit()
    finally:
        await engine.dispose()


async def make_due(database_url: str) -> None:
    from sqlalchemy import update

    from core.db import make_engine
    from core.models import Reminder

    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(update(Reminder).where(Reminder.due_at == FAR_AWAY)
                                     .values(due_at=datetime.now(timezone.utc)))
    finally:
        await engine.dispose()


async def unsent(database_url: str) -> int:
    from sqlalchemy import func, select

    from core.db import make_engine
    from core.models import Reminder

    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(
                select(func.count()).select_from(Reminder).where(Reminder.sent_at.is_(None)))
    finally:
        await engine.dispose()


async def person(api, uid: int, script, args, record, failures: list[str]) -> None:
    user = api.user(uid, f"P{uid}", language_code="en",
                    phone_number=f"+86138{uid % 10 ** 8:08d}", started=True)
    _instrument(user)
    await asyncio.sleep(random.uniform(0, args.spread))
    for n, (label, action, replies) in enumerate(script):
        if n:
            await asyncio.sleep(random.uniform(*args.think))
        before = len(user.arrivals)
        t0 = time.perf_counter()
        await action(user)
        try:
            await user.replies(replies, timeout=args.step_timeout)
        except AssertionError as error:
            failures.append(f"{uid} {label}: {str(error)[:800]}")
            return
        record(label, user.arrivals[before] - t0)


async def scrape_metrics(port: int) -> dict[str, float]:
    import aiohttp
    from prometheus_client.parser import text_string_to_metric_families

    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            text = await response.text()
    wanted = ("process_resident_memory_bytes", "desk_update_reply_seconds_count",
              "desk_update_reply_seconds_sum", "desk_telegram_429_total",
              "desk_reminders_sent_total", "desk_update_database_seconds_sum",
              "desk_update_database_seconds_count")
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in wanted:
                found[sample.name] = found.get(sample.name, 0.0) + sample.value
    return found


async def run(args) -> dict[str, Any]:
    from bot.sandbox.botapi import LocalBotApi

    api = LocalBotApi(token=TOKEN, bot_username="service_desk_bot")
    await api.start()
    try:
        async with fresh_database(args.database_url) as database_url:
            return await run_on(api, database_url, args)
    finally:
        await api.stop()


async def run_on(api, database_url: str, args) -> dict[str, Any]:
    random.seed(args.seed)
    n_tech = args.people // 5
    n_cust = args.people - n_tech
    print(f"seeding {args.reminders} people owed a reminder and {n_tech} technicians ...",
          flush=True)
    await seed(database_url, args.reminders, n_tech, args.reminder_kind)
    reminded = [api.user(FIRST_REMINDED + n, f"R{n}", started=True)
                for n in range(args.reminders)]
    for user in reminded:
        _instrument(user)
    port = free_port()
    bot = BotProcess(dict(
        kind="ours", token=TOKEN, base_url=api.base_url, base_file_url=api.base_file_url,
        database_url=database_url, port=port,
        webhook_url=f"http://127.0.0.1:{port}{WEBHOOK_PATH}", secret=SECRET,
        telegram_rate_limit=True, limiter=args.limiter, profile=None))
    print(f"starting the bot (limiter: {args.limiter}) ...", flush=True)
    await bot.start(timeout=120)
    latencies: list[float] = []
    by_step: dict[str, list[float]] = {}
    failures: list[str] = []

    def record(label: str, latency: float) -> None:
        latencies.append(latency)
        by_step.setdefault(label, []).append(latency)

    try:
        memory_idle = bot.resident_memory()
        others = OtherProcesses({os.getpid(), bot.proc.pid})
        cpu_bot0, (busy0, _) = _proc_cpu_seconds(bot.proc.pid), _machine_cpu()
        cpu_me0 = time.process_time()
        errors_before = len(api.errors)
        print(f"rush: {n_cust} customers and {n_tech} technicians over {args.spread:.0f}s, "
              f"thinking {args.think[0]:g}-{args.think[1]:g}s a step; "
              f"{args.reminders} reminders due now", flush=True)
        t0 = time.perf_counter()
        await make_due(database_url)
        crowd = [person(api, FIRST_CUSTOMER + n, CUSTOMER, args, record, failures)
                 for n in range(n_cust)]
        crowd += [person(api, FIRST_TECHNICIAN + n, TECHNICIAN, args, record, failures)
                  for n in range(n_tech)]
        await asyncio.wait_for(asyncio.gather(*crowd), args.timeout)
        rush_end = time.perf_counter()
        print(f"people done in {rush_end - t0:.1f}s; waiting for the reminders ...", flush=True)
        deadline = time.perf_counter() + args.timeout
        while sum(1 for u in reminded if u.arrivals) < args.reminders:
            if time.perf_counter() > deadline or bot.proc.returncode is not None:
                break
            others.sample()
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # anything doubled would arrive now
        wall = time.perf_counter() - t0
        cpu_bot = _proc_cpu_seconds(bot.proc.pid) - cpu_bot0
        cpu_me = time.process_time() - cpu_me0
        busy = _machine_cpu()[0] - busy0
        others.sample()
        _, others_s, busiest = others.used()
        memory = bot.resident_memory()
        metrics = await scrape_metrics(port)
    finally:
        await bot.stop(timeout=60)
    left = await unsent(database_url)

    arrivals = sorted(t for u in reminded for t in u.arrivals)
    per_chat = [len(u._events) for u in reminded]
    in_rush = [t for t in arrivals if t <= rush_end]
    first = arrivals[0] if arrivals else t0
    ordered = sorted(latencies)
    ms = lambda s: round(s * 1000, 1)  # noqa: E731
    api_errors = [f"{m} -> {e.error_code} {e.description}" for m, _, e in api.errors[errors_before:]]
    expected_steps = n_cust * len(CUSTOMER) + n_tech * len(TECHNICIAN)
    result = {
        "limiter": args.limiter,
        "database": _db_label(database_url),
        "people": args.people, "customers": n_cust, "technicians": n_tech,
        "steps": len(latencies), "steps_expected": expected_steps,
        "latency_ms": {"p50": ms(percentile(ordered, 50)), "p90": ms(percentile(ordered, 90)),
                       "p99": ms(percentile(ordered, 99)),
                       "max": ms(ordered[-1]) if ordered else None},
        "latency_p99_ms_by_step": {k: ms(percentile(sorted(v), 99)) for k, v in by_step.items()},
        "rush_s": round(rush_end - t0, 1),
        "updates_per_s_in_rush": round(len(latencies) / (rush_end - t0), 1),
        "reminders": {
            "due": args.reminders,
            "delivered_chats": sum(1 for n in per_chat if n),
            "doubled_chats": sum(1 for n in per_chat if n > 1),
            "unsent_rows": left,
            "first_after_due_s": round(first - t0, 2),
            "per_s": round((len(arrivals) - 1) / (arrivals[-1] - first), 1)
            if len(arrivals) > 1 else None,
            # while both went on: from the first reminder to the end of the rush or the last
            "per_s_during_rush": round(len(in_rush) / (min(rush_end, arrivals[-1]) - first), 1)
            if len(in_rush) > 1 else None,
        },
        "memory_mb": {"idle_before": memory_idle.get("rss_mb"), "after_rush": memory.get("rss_mb"),
                      "peak": memory.get("peak_rss_mb")},
        "cpu": {"bot_s": round(cpu_bot, 1), "bot_cores": round(cpu_bot / wall, 2),
                "harness_s": round(cpu_me, 1), "harness_cores": round(cpu_me / wall, 2),
                "machine_busy_cores": round(busy / wall, 2),
                "other_processes_s": round(others_s, 1), "busiest_other_processes": busiest},
        "bot_metrics": metrics,
        "bot_api_errors": api_errors[:10],
        "bot_error_log_records": bot.final.get("error_log_records"),
        "failures": failures[:5],
    }
    result["ok"] = (not failures and len(latencies) == expected_steps and not api_errors
                    and not bot.final.get("error_log_records")
                    and result["reminders"]["delivered_chats"] == args.reminders
                    and not result["reminders"]["doubled_chats"] and left == 0)
    return result


def report(r: dict[str, Any]) -> None:
    lat, rem, mem = r["latency_ms"], r["reminders"], r["memory_mb"]
    print()
    print(f"limiter {r['limiter']}, {r['database']}: {r['steps']}/{r['steps_expected']} steps "
          f"of {r['people']} people in {r['rush_s']}s ({r['updates_per_s_in_rush']} updates/s)")
    print(f"  update -> reply   p50 {lat['p50']} ms   p90 {lat['p90']} ms   "
          f"p99 {lat['p99']} ms   max {lat['max']} ms")
    print("  p99 by step (ms): " + ", ".join(f"{k} {v}" for k, v in
                                            r["latency_p99_ms_by_step"].items()))
    print(f"  reminders: {rem['delivered_chats']}/{rem['due']} delivered, "
          f"{rem['doubled_chats']} doubled, {rem['unsent_rows']} rows unsent; "
          f"{rem['per_s']}/s overall, {rem['per_s_during_rush']}/s while people acted; "
          f"first {rem['first_after_due_s']}s after due")
    print(f"  bot memory: {mem['after_rush']} MB resident after the rush "
          f"(peak {mem['peak']} MB, {mem['idle_before']} MB before)")
    c = r["cpu"]
    print(f"  CPU: bot {c['bot_s']}s ({c['bot_cores']} cores), harness (Bot API server and "
          f"people) {c['harness_s']}s ({c['harness_cores']} cores), machine {c['machine_busy_cores']} "
          f"cores busy, other processes {c['other_processes_s']}s")
    m = r["bot_metrics"]
    if m:
        count = m.get("desk_update_reply_seconds_count") or 1
        print(f"  the bot's /metrics: {m.get('desk_update_reply_seconds_count', 0):.0f} replies, "
              f"mean {1000 * m.get('desk_update_reply_seconds_sum', 0) / count:.0f} ms from "
              f"arrival; database {1000 * m.get('desk_update_database_seconds_sum', 0) / max(m.get('desk_update_database_seconds_count', 1), 1):.1f} ms "
              f"an update; {m.get('desk_telegram_429_total', 0):.0f} 429s; "
              f"{m.get('desk_reminders_sent_total', 0):.0f} reminders sent; "
              f"{m.get('process_resident_memory_bytes', 0) / 2 ** 20:.0f} MB resident")
    if c["other_processes_s"] > 0.1 * r["rush_s"]:
        print("WARNING: other processes used CPU during the run; the figures are disturbed: "
              + "; ".join(c["busiest_other_processes"]))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limiter", choices=("ours", "aio"), default="ours",
                        help="ours: bot/rate_limit.py; aio: PTB's AIORateLimiter as before")
    parser.add_argument("--people", type=int, default=None, help="people acting (200; a fifth "
                        "of them technicians)")
    parser.add_argument("--reminders", type=int, default=None, help="reminders due (2,000)")
    parser.add_argument("--reminder-kind", choices=("morning_list", "digest"),
                        default="morning_list", help="what the reminders are: technicians' "
                        "07:30 job lists (default) or managers' 08:00 digests (5 company-wide "
                        "counts each)")
    parser.add_argument("--spread", type=float, default=10.0,
                        help="people start within this many seconds (10)")
    parser.add_argument("--think", type=float, nargs=2, default=(3.0, 8.0),
                        metavar=("MIN", "MAX"), help="seconds a person takes between steps: "
                        "reading the answer, typing, finding the button (3 8)")
    parser.add_argument("--quick", action="store_true", help="40 people, 300 reminders")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--step-timeout", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    quick = args.quick
    args.people = args.people if args.people is not None else (40 if quick else 200)
    args.reminders = args.reminders if args.reminders is not None else (300 if quick else 2000)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args))
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = Path(args.output or RESULTS / f"morning_rush_{args.limiter}.json")
    output.write_text(json.dumps({"benchmark": "morning_rush", "config": vars(args) | {
        "think": list(args.think)}, "code": _git_state(), "result": result}, indent=2) + "\n")
    report(result)
    print(f"\nwritten: {output}")
    if not result["ok"]:
        print("FAILED: " + json.dumps({k: result[k] for k in (
            "steps", "steps_expected", "reminders", "bot_api_errors", "bot_error_log_records",
            "failures")}, indent=1), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
