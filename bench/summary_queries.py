#!/usr/bin/env python
"""The managers' summary at scale: seeds 1,000,000 orders into a fresh database, then times
what managers and technicians wait for at that size: /summary (today, this week, this month),
/status of an order, a technician's /jobs, the /orders menu (six counts) and each filter's
first page; before and after this change (the summary kept as daily figures, the new index).

    .venv/bin/python bench/summary_queries.py                      # PostgreSQL, 1,000,000 orders
    .venv/bin/python bench/summary_queries.py --orders 100000      # a quicker run
    .venv/bin/python bench/summary_queries.py \
        --database-url sqlite+aiosqlite:///data/bench.db --orders 100000   # SQLite

Two versions of the code on the same rows (PostgreSQL): keep a database, then measure it as it
is with each checkout, dropping for the older one the indexes it did not have yet:

    .venv/bin/python bench/summary_queries.py --keep        # prints bench_summary_<random>
    git worktree add /tmp/before <older commit>
    BENCH_CODE=/tmp/before .venv/bin/python bench/summary_queries.py --reuse bench_summary_<random> \
        --without ix_order_events_entered --without ix_service_orders_day_status
    .venv/bin/python bench/summary_queries.py --reuse bench_summary_<random>

On PostgreSQL the database (bench_summary_<random>) is created under the server of
--database-url, brought to the schema with the project's migrations, seeded server-side with
INSERT ... SELECT generate_series (a year of orders, ids in time order, about 2,700 a day;
their events, completions and ratings), analysed, measured, and dropped at the end (unless
--keep). On SQLite the same shapes are made in Python and inserted with executemany into the
file given (deleted at the end unless --keep).

"Before": migration 0008's index dropped, /summary by the direct queries (and, on PostgreSQL,
the plan of each of them). Then `rebuild-summaries` (timed) and the index are made, and "after"
is measured: /summary from the kept figures, each checked equal to the direct queries (the
run fails otherwise). Every time is the best of --repeat calls after a warm-up, through the
same core functions the handlers call. Results: bench/results/summary_queries_<database>.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# BENCH_CODE=<another checkout>: time that checkout's code (an older commit, say) on a
# database kept with --keep (see --reuse), to compare two versions on the same rows.
CODE = Path(os.environ.get("BENCH_CODE") or ROOT).resolve()
if str(CODE) not in sys.path:
    sys.path.insert(0, str(CODE))

import asyncpg  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.compiler import compiles  # noqa: E402
from sqlalchemy.sql.base import Executable  # noqa: E402
from sqlalchemy.sql.elements import ClauseElement  # noqa: E402

from bot.bootstrap import make_desk  # noqa: E402
from core import (  # noqa: E402
    customer_orders,
    exports,
    jobs,
    order_lists,
    periods,
    reports,
    summaries,
)
from core.clock import FixedClock  # noqa: E402
from core.db import make_engine, make_session_factory  # noqa: E402
from core.desk import CompanySettings, Desk  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import ServiceOrder, User  # noqa: E402

RESULTS = ROOT / "bench" / "results"
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)  # Wed 18:00 in Shanghai
TECHNICIANS = 40
CUSTOMERS = 20_000
DAYS = 365

# The indexes migration 0008 adds for /jobs and /orders: (name, table, columns). The "before"
# run drops them, the "after" run has them.
NEW_INDEXES = (
    ("ix_service_orders_technician_status", "service_orders", "technician_id, status"),
    ("ix_service_orders_technician_day", "service_orders",
     "technician_id, booked_date, window_start, id"),
)


class Explain(Executable, ClauseElement):
    """EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of a statement, run through SQLAlchemy so its
    parameters are bound exactly as when the bot runs it."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element, compiler, **kw):
    return ("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) "
            + compiler.process(element.statement, **kw))


# --- seeding ----------------------------------------------------------------------------------

def seed_sql(orders: int) -> list[tuple[str, str]]:
    """(what, SQL) steps that fill the database server-side. Times are naive UTC, as stored.
    An order's local booking day is the day after it was made (or the one after); windows
    09-12, 13-17, 17-20 local are 01-04, 05-09, 09-12 UTC."""
    n = orders
    now = NOW.strftime("%Y-%m-%d %H:%M:%S")
    return [
        ("users", f"""
            INSERT INTO users (id, telegram_id, role, active, unreachable, name, phone, language,
                               registered_at, created_at)
            SELECT i, 100000 + i,
                   CASE WHEN i = 1 THEN 'manager' WHEN i <= {1 + TECHNICIANS} THEN 'technician'
                        ELSE 'customer' END,
                   true, false, 'Person ' || i, '+86138' || lpad(i::text, 8, '0'), 'zh',
                   TIMESTAMP '2025-01-01', TIMESTAMP '2025-01-01'
            FROM generate_series(1, {1 + TECHNICIANS + CUSTOMERS}) i"""),
        ("addresses and appliances", f"""
            INSERT INTO addresses (id, customer_id, text, created_at)
            SELECT i, i, 'Xuhui, Road ' || i || ', flat ' || (i % 900), TIMESTAMP '2025-01-01'
            FROM generate_series({2 + TECHNICIANS}, {1 + TECHNICIANS + CUSTOMERS}) i;
            INSERT INTO appliances (id, owner_id, category, brand, model)
            SELECT i, i, (ARRAY['refrigerator','washing_machine','air_conditioner','tv',
                                'water_heater'])[1 + i % 5], 'Haier', 'M-' || i
            FROM generate_series({2 + TECHNICIANS}, {1 + TECHNICIANS + CUSTOMERS}) i"""),
        ("service orders", f"""
            INSERT INTO service_orders (
                id, number, kind, status, customer_id, appliance_id, address_id, phone,
                description, photos, booked_date, "window", window_start, window_end,
                technician_id, category, created_at, updated_at, arrived_at, completed_at,
                quote_total, final_amount)
            SELECT i,
                   (CASE kind WHEN 'repair' THEN 'R-' WHEN 'installation' THEN 'I-' ELSE 'W-' END)
                       || (1000 + i),
                   kind,
                   CASE state WHEN 'declined' THEN 'closed' WHEN 'settled' THEN 'closed'
                        ELSE state END,
                   customer, customer, customer, '+8613800138000', 'Not cooling', '[]',
                   booked, w, wstart, wend,
                   CASE WHEN state IN ('new', 'cancelled') THEN NULL ELSE tech END,
                   'refrigerator', created, created,
                   CASE WHEN state IN ('new', 'scheduled', 'en_route', 'cancelled') THEN NULL
                        ELSE arrived END,
                   CASE WHEN state IN ('completed', 'settled') THEN arrived + interval '90 min'
                        END,
                   CASE WHEN state IN ('completed', 'settled', 'in_progress', 'waiting_parts')
                             AND kind <> 'installation' THEN amount END,
                   CASE WHEN state IN ('completed', 'settled') THEN
                        CASE WHEN kind = 'repair' THEN amount ELSE 0 END END
            FROM (
                SELECT *, wstart + (wend - wstart + interval '1 hour') * r3 AS arrived
                FROM (
                    SELECT *,
                           booked + (ARRAY[time '01:00', time '05:00', time '09:00'])[w_i]
                               AS wstart,
                           booked + (ARRAY[time '04:00', time '09:00', time '12:00'])[w_i]
                               AS wend,
                           (ARRAY['09-12', '13-17', '17-20'])[w_i] AS w,
                           CASE WHEN NOW_ - created < interval '3 days' AND r1 < 0.5 THEN
                                    (ARRAY['new', 'scheduled', 'en_route', 'on_site',
                                           'awaiting_approval', 'in_progress', 'waiting_parts'
                                           ])[1 + floor(r2 * 7)::int]
                                WHEN r1 < 0.08 THEN 'cancelled'
                                WHEN r1 < 0.14 AND kind <> 'installation' THEN 'declined'
                                WHEN r1 < 0.40 THEN 'completed'
                                ELSE 'settled' END AS state
                    FROM (
                        SELECT i, TIMESTAMP '{now}' AS NOW_,
                               TIMESTAMP '{now}'
                                   - interval '{DAYS} days' * (({n} - i)::float8 / {n}) AS created,
                               (date (TIMESTAMP '{now}' - interval '{DAYS} days'
                                      * (({n} - i)::float8 / {n}) + interval '8 hours')
                                + 1 + floor(random() * 2)::int) AS booked,
                               1 + floor(random() * 3)::int AS w_i,
                               CASE WHEN random() < 0.9 THEN 'repair'
                                    WHEN random() < 0.7 THEN 'installation'
                                    ELSE 'warranty' END AS kind,
                               {2 + TECHNICIANS} + floor(random() * {CUSTOMERS})::int AS customer,
                               2 + floor(random() * {TECHNICIANS})::int AS tech,
                               random() AS r1, random() AS r2, random() AS r3,
                               (5000 + floor(random() * 95000))::int AS amount
                        FROM generate_series(1, {n}) i
                    ) raw
                ) shaped
            ) o"""),
        ("completions", """
            INSERT INTO completions (order_id, technician_id, at, parts_amount, labour_amount,
                                     amount, photos, workmanship_until)
            SELECT id, technician_id, completed_at, final_amount * 6 / 10,
                   final_amount - final_amount * 6 / 10, final_amount, '[]',
                   date (completed_at + interval '3 months')
            FROM service_orders WHERE completed_at IS NOT NULL"""),
        ("ratings", """
            INSERT INTO ratings (order_id, customer_id, technician_id, stars, at)
            SELECT id, customer_id, technician_id, 1 + (id::bigint * 7919) % 5,
                   completed_at + interval '2 hours'
            FROM service_orders WHERE completed_at IS NOT NULL AND id % 5 < 2
              AND completed_at + interval '2 hours' < TIMESTAMP '""" + now + "'"),
        ("events", """
            INSERT INTO order_events (order_id, actor_id, at, action, from_status, to_status)
            SELECT id, customer_id, created_at, 'create', NULL, 'new' FROM service_orders;
            INSERT INTO order_events (order_id, actor_id, at, action, from_status, to_status)
            SELECT id, 1, created_at + interval '1 hour', 'assign', 'new', 'scheduled'
            FROM service_orders WHERE technician_id IS NOT NULL;
            INSERT INTO order_events (order_id, actor_id, at, action, from_status, to_status)
            SELECT id, technician_id, arrived_at, 'arrive', 'en_route', 'on_site'
            FROM service_orders WHERE arrived_at IS NOT NULL;
            INSERT INTO order_events (order_id, actor_id, at, action, from_status, to_status)
            SELECT id, technician_id, arrived_at + interval '20 min', 'send_quote', 'on_site',
                   'awaiting_approval'
            FROM service_orders WHERE arrived_at IS NOT NULL AND kind <> 'installation'
              AND status NOT IN ('on_site', 'waiting_parts');
            INSERT INTO order_events (order_id, actor_id, at, action, from_status, to_status)
            SELECT id, customer_id, arrived_at + interval '30 min',
                   CASE WHEN completed_at IS NULL AND status = 'closed' THEN 'decline_quote'
                        ELSE 'approve_quote' END,
                   'awaiting_approval',
                   CASE WHEN completed_at IS NULL AND status = 'closed' THEN 'closed'
                        ELSE 'in_progress' END
            FROM service_orders WHERE arrived_at IS NOT NULL AND kind <> 'installation'
              AND status NOT IN ('on_site', 'waiting_parts', 'awaiting_approval');
            INSERT INTO order_events (order_id, actor_id, at, action, from_status, to_status)
            SELECT id, technician_id, arrived_at + interval '40 min', 'parts_missing',
                   'in_progress', 'waiting_parts'
            FROM service_orders
            WHERE status = 'waiting_parts' OR (completed_at IS NOT NULL AND id % 17 = 0);
            INSERT INTO order_events (order_id, actor_id, at, action, from_status, to_status)
            SELECT id, technician_id, completed_at, 'complete', 'in_progress', 'completed'
            FROM service_orders WHERE completed_at IS NOT NULL;
            INSERT INTO order_events (order_id, actor_id, at, action, from_status, to_status)
            SELECT id, customer_id, created_at + interval '6 hours', 'cancel', 'new', 'cancelled'
            FROM service_orders WHERE status = 'cancelled'
              AND created_at + interval '6 hours' < TIMESTAMP '""" + now + "'"),
    ]


async def seed(connection: asyncpg.Connection, orders: int) -> dict[str, float]:
    took = {}
    await connection.execute("SET synchronous_commit = off")
    # The rows are made consistent by construction: skip the foreign-key triggers while
    # loading (a superuser's session setting; the checks are back for every other session).
    await connection.execute("SET session_replication_role = replica")
    await connection.execute("SET maintenance_work_mem = '256MB'")
    await connection.execute("SELECT setseed(0.42)")
    # Loading into tables without their secondary indexes, then building each index once,
    # is about twice as fast as keeping them up to date row by row.
    indexes = await connection.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)")
    for index in indexes:
        await connection.execute(f'DROP INDEX "{index["indexname"]}"')
    for what, sql in seed_sql(orders):
        started = time.perf_counter()
        await connection.execute(sql)
        took[what] = round(time.perf_counter() - started, 1)
        print(f"  seeded {what:<26} {took[what]:6.1f} s", flush=True)
    started = time.perf_counter()
    for index in indexes:
        await connection.execute(index["indexdef"])
    took["indexes"] = round(time.perf_counter() - started, 1)
    print(f"  built {len(indexes)} indexes {'':<17} {took['indexes']:6.1f} s", flush=True)
    started = time.perf_counter()
    await connection.execute("VACUUM ANALYZE")
    took["vacuum analyze"] = round(time.perf_counter() - started, 1)
    return took


# --- seeding SQLite (the same shapes, made in Python: SQLite has no generate_series) --------

def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores a naive time


def seed_sqlite(path: str, orders: int) -> dict[str, float]:
    """Fills the SQLite database at `path` with rows shaped like seed_sql's, through the
    sqlite3 module's executemany in one transaction."""
    import random
    import sqlite3
    from datetime import timedelta

    rng = random.Random(42)
    now = NOW.replace(tzinfo=None)
    took, started = {}, time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    people = 1 + TECHNICIANS + CUSTOMERS
    first_customer = 2 + TECHNICIANS
    start = _stamp(datetime(2025, 1, 1))
    db.executemany(
        "INSERT INTO users (id, telegram_id, role, active, unreachable, name, phone, language, "
        "registered_at, created_at) VALUES (?, ?, ?, 1, 0, ?, ?, 'zh', ?, ?)",
        ((i, 100000 + i, "manager" if i == 1 else "technician" if i <= 1 + TECHNICIANS
          else "customer", f"Person {i}", f"+86138{i:08d}", start, start)
         for i in range(1, people + 1)))
    db.executemany("INSERT INTO addresses (id, customer_id, text, created_at) VALUES (?,?,?,?)",
                   ((i, i, f"Xuhui, Road {i}, flat {i % 900}", start)
                    for i in range(first_customer, people + 1)))
    categories = ("refrigerator", "washing_machine", "air_conditioner", "tv", "water_heater")
    db.executemany("INSERT INTO appliances (id, owner_id, category, brand, model) "
                   "VALUES (?, ?, ?, 'Haier', ?)",
                   ((i, i, categories[i % 5], f"M-{i}") for i in range(first_customer, people + 1)))
    opening = (("01:00", "04:00", "09-12"), ("05:00", "09:00", "13-17"),
               ("09:00", "12:00", "17-20"))
    open_states = ("new", "scheduled", "en_route", "on_site", "awaiting_approval",
                   "in_progress", "waiting_parts")
    rows, completions, rates, events = [], [], [], []
    for i in range(1, orders + 1):
        created = now - timedelta(days=DAYS) * ((orders - i) / orders)
        booked = (created + timedelta(hours=8)).date() + timedelta(days=1 + rng.randrange(2))
        w_start, w_end, window = opening[rng.randrange(3)]
        wstart = datetime.combine(booked, datetime.strptime(w_start, "%H:%M").time())
        wend = datetime.combine(booked, datetime.strptime(w_end, "%H:%M").time())
        kind = ("repair" if rng.random() < 0.9 else
                "installation" if rng.random() < 0.7 else "warranty")
        customer = first_customer + rng.randrange(CUSTOMERS)
        tech = 2 + rng.randrange(TECHNICIANS)
        r1, r2, r3 = rng.random(), rng.random(), rng.random()
        amount = 5000 + rng.randrange(95000)
        if now - created < timedelta(days=3) and r1 < 0.5:
            state = open_states[int(r2 * 7)]
        elif r1 < 0.08:
            state = "cancelled"
        elif r1 < 0.14 and kind != "installation":
            state = "declined"
        elif r1 < 0.40:
            state = "completed"
        else:
            state = "settled"
        status = "closed" if state in ("declined", "settled") else state
        arrived = wstart + (wend - wstart + timedelta(hours=1)) * r3
        tech_id = None if state in ("new", "cancelled") else tech
        arrived_at = (None if state in ("new", "scheduled", "en_route", "cancelled")
                      else arrived)
        done = state in ("completed", "settled")
        completed_at = arrived + timedelta(minutes=90) if done else None
        quote = (amount if state in ("completed", "settled", "in_progress", "waiting_parts")
                 and kind != "installation" else None)
        final = (amount if kind == "repair" else 0) if done else None
        prefix = {"repair": "R-", "installation": "I-", "warranty": "W-"}[kind]
        rows.append((i, f"{prefix}{1000 + i}", kind, status, customer, customer, customer,
                     "+8613800138000", "Not cooling", "[]", booked.isoformat(), window,
                     _stamp(wstart), _stamp(wend), tech_id, "refrigerator", _stamp(created),
                     _stamp(created), arrived_at and _stamp(arrived_at),
                     completed_at and _stamp(completed_at), quote, final))
        add = events.append
        add((i, customer, _stamp(created), "create", None, "new"))
        if tech_id is not None:
            add((i, 1, _stamp(created + timedelta(hours=1)), "assign", "new", "scheduled"))
        if arrived_at is not None:
            add((i, tech, _stamp(arrived_at), "arrive", "en_route", "on_site"))
            if kind != "installation" and status not in ("on_site", "waiting_parts"):
                add((i, tech, _stamp(arrived_at + timedelta(minutes=20)), "send_quote",
                     "on_site", "awaiting_approval"))
                if status != "awaiting_approval":
                    declined = completed_at is None and status == "closed"
                    add((i, customer, _stamp(arrived_at + timedelta(minutes=30)),
                         "decline_quote" if declined else "approve_quote", "awaiting_approval",
                         "closed" if declined else "in_progress"))
        if status == "waiting_parts" or (done and i % 17 == 0):
            add((i, tech, _stamp(arrived + timedelta(minutes=40)), "parts_missing",
                 "in_progress", "waiting_parts"))
        if done:
            add((i, tech, _stamp(completed_at), "complete", "in_progress", "completed"))
            parts = final * 6 // 10
            completions.append((i, tech, _stamp(completed_at), parts, final - parts, final,
                                "[]", (completed_at + timedelta(days=91)).date().isoformat()))
            if i % 5 < 2 and completed_at + timedelta(hours=2) < now:
                rates.append((i, customer, tech, 1 + (i * 7919) % 5,
                              _stamp(completed_at + timedelta(hours=2))))
        if status == "cancelled" and created + timedelta(hours=6) < now:
            add((i, customer, _stamp(created + timedelta(hours=6)), "cancel", "new",
                 "cancelled"))
    took["generate"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    db.executemany(
        'INSERT INTO service_orders (id, number, kind, status, customer_id, appliance_id, '
        'address_id, phone, description, photos, booked_date, "window", window_start, '
        'window_end, technician_id, category, created_at, updated_at, arrived_at, completed_at, '
        'quote_total, final_amount) VALUES (' + ", ".join("?" * 22) + ")", rows)
    db.executemany("INSERT INTO completions (order_id, technician_id, at, parts_amount, "
                   "labour_amount, amount, photos, workmanship_until) VALUES (?,?,?,?,?,?,?,?)",
                   completions)
    db.executemany("INSERT INTO ratings (order_id, customer_id, technician_id, stars, at) "
                   "VALUES (?,?,?,?,?)", rates)
    events.sort(key=lambda e: e[2])  # ids in time order, as the bot writes them
    db.executemany("INSERT INTO order_events (order_id, actor_id, at, action, from_status, "
                   "to_status) VALUES (?,?,?,?,?,?)", events)
    db.commit()
    took["insert"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    db.execute("ANALYZE")
    db.close()
    took["analyze"] = round(time.perf_counter() - started, 1)
    for what, seconds in took.items():
        print(f"  seeded ({what}) {seconds:6.1f} s", flush=True)
    return took


# --- measuring --------------------------------------------------------------------------------

def plan_summary(plan: dict) -> tuple[list[str], bool]:
    """The scans of a plan ("Index Scan ix_…", "Seq Scan service_orders") and whether a big
    table is read whole."""
    scans, whole = [], False

    def walk(node):
        nonlocal whole
        kind = node.get("Node Type", "")
        if "Scan" in kind and kind not in ("Subquery Scan", "CTE Scan", "Function Scan"):
            target = node.get("Index Name") or node.get("Relation Name") or ""
            scans.append(f"{kind} {target}".strip())
            if kind == "Seq Scan" and node.get("Relation Name") in (
                    "service_orders", "order_events", "ratings", "completions"):
                whole = True
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    return list(dict.fromkeys(scans)), whole


async def explain(session, statement) -> dict:
    raw = (await session.execute(Explain(statement))).scalar_one()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    scans, whole = plan_summary(plan)
    return {"ms": round(plan["Execution Time"], 2), "scans": scans, "reads_whole_table": whole,
            "buffers": plan["Plan"].get("Shared Hit Blocks", 0)
            + plan["Plan"].get("Shared Read Blocks", 0)}


# Statements sent to the database, counted by a listener on the engine (see `count_statements`).
SENT = {"statements": 0}


def count_statements(engine) -> None:
    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _sent(*_):
        SENT["statements"] += 1


async def statements_of(run) -> int:
    """How many statements one call sends (besides the unit of work's begin and rollback)."""
    before = SENT["statements"]
    await run()
    return SENT["statements"] - before


async def best_of(repeat: int, run) -> float:
    """The best of `repeat` runs, in milliseconds (after one warm-up run)."""
    await run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        times.append((time.perf_counter() - started) * 1000)
    return round(min(times), 1)


async def measure(desk: Desk, repeat: int, *, kept: bool, explain_plans: bool) -> dict:
    """Every figure a manager or technician waits for: /summary of each period (from the kept
    figures when `kept`, else by the direct queries), /status of an order, a technician's
    /jobs, the /orders menu (six counts) and each filter's first page."""
    results: dict = {"periods": {}}
    async with desk.uow() as uow:
        session = uow.session
        manager = await session.scalar(select(User).where(User.role == "manager"))
        # The busiest technician (most open jobs) and a recent order with a long timeline.
        busiest = (await session.execute(
            select(ServiceOrder.technician_id, func.count())
            .where(ServiceOrder.technician_id.is_not(None),
                   ServiceOrder.status.in_(jobs.JOB_STATUSES))
            .group_by(ServiceOrder.technician_id).order_by(func.count().desc()).limit(1))).first()
        technician = await session.get(User, busiest[0])
        number = await session.scalar(
            select(ServiceOrder.number).where(ServiceOrder.completed_at.is_not(None))
            .order_by(ServiceOrder.id.desc()).limit(1))
    make = reports.summary if kept else reports.summary_from_orders
    for name in periods.PERIODS:
        entry: dict = {}
        if explain_plans and not kept:
            span = periods.period_of(name, NOW, ZONE)
            entry["queries"] = {}
            async with desk.uow() as uow:
                for query, statement in reports.summary_statements(span).items():
                    entry["queries"][query] = await explain(uow.session, statement)

        async def run_summary(name=name):
            async with desk.uow() as uow:
                return await make(uow, manager, name)

        entry["summary_ms"] = await best_of(repeat, run_summary)
        figures = await run_summary()
        entry["figures"] = {"new": figures.new, "completed": figures.completed,
                            "cancelled": figures.cancelled, "arrivals": figures.arrivals,
                            "on_time_percent": figures.on_time_percent,
                            "first_visit_percent": figures.first_visit_percent,
                            "approval_percent": figures.approval_percent,
                            "ratings": figures.ratings, "revenue_yuan": figures.revenue // 100}
        if kept:
            async with desk.uow() as uow:
                direct = await reports.summary_from_orders(uow, manager, name)
            entry["same_as_direct_queries"] = figures == direct
        results["periods"][name] = entry

    async def run_status():
        async with desk.uow() as uow:
            return await customer_orders.order_card(uow, manager, number)

    async def run_jobs():
        async with desk.uow() as uow:
            return await jobs.my_jobs(uow, technician)

    async def run_counts():
        async with desk.uow() as uow:
            return await order_lists.filter_counts(uow, manager)

    results["status_ms"] = await best_of(repeat, run_status)
    results["jobs_ms"] = await best_of(repeat, run_jobs)
    results["jobs_total"] = (await run_jobs()).total
    results["filter_counts_ms"] = await best_of(repeat, run_counts)
    results["filter_counts"] = await run_counts()
    results["statements"] = {"status": await statements_of(run_status),
                             "jobs": await statements_of(run_jobs),
                             "counts": await statements_of(run_counts)}
    results["filter_pages_ms"] = {}
    for name in order_lists.FILTERS:
        async def run_page(name=name):
            async with desk.uow() as uow:
                return await order_lists.filtered_orders(uow, manager, name)

        results["filter_pages_ms"][name] = await best_of(repeat, run_page)
        results["statements"][name] = await statements_of(run_page)
    if explain_plans:
        async with desk.uow() as uow:
            results["plans"] = {"jobs": await explain(uow.session, select(ServiceOrder.id).where(
                ServiceOrder.technician_id == technician.id,
                ServiceOrder.status.in_(jobs.JOB_STATUSES)).order_by(
                ServiceOrder.booked_date.asc().nulls_last(),
                ServiceOrder.window_start.asc().nulls_last(), ServiceOrder.id)
                .limit(order_lists.PAGE_SIZE))}
            for name in order_lists.FILTERS:
                where, _ = order_lists.order_filter(uow, name)
                results["plans"][f"orders:{name}"] = await explain(
                    uow.session, select(func.count(ServiceOrder.id)).where(where))
    return results


async def export_month(desk: Desk) -> dict:
    async with desk.uow() as uow:
        manager = await uow.session.scalar(select(User).where(User.role == "manager"))
    started = time.perf_counter()
    async with desk.uow() as uow:
        exported = await exports.export_orders(uow, manager, "month", lambda group, key: key)
        exported.file.close()
    return {"rows": exported.rows, "ms": round((time.perf_counter() - started) * 1000, 1)}


def print_results(label: str, results: dict) -> None:
    print(f"\n== {label}")
    for name, entry in results["periods"].items():
        same = entry.get("same_as_direct_queries")
        print(f"  /summary {name:<5} {entry['summary_ms']:8.1f} ms"
              + ("" if same is None else f"  same figures as the direct queries: {same}")
              + f"  {entry['figures']}")
        for query, found in entry.get("queries", {}).items():
            flag = "  <- reads a whole table" if found["reads_whole_table"] else ""
            print(f"      {query:<10} {found['ms']:8.1f} ms  {', '.join(found['scans'])}{flag}")
    sent = results["statements"]
    print(f"  /status           {results['status_ms']:8.1f} ms, {sent['status']} statements")
    print(f"  /jobs             {results['jobs_ms']:8.1f} ms, {sent['jobs']} statements "
          f"({results['jobs_total']} open jobs)")
    print(f"  /orders (counts)  {results['filter_counts_ms']:8.1f} ms, {sent['counts']} "
          f"statements {results['filter_counts']}")
    for name, ms in results["filter_pages_ms"].items():
        print(f"    {name:<18} {ms:8.1f} ms, {sent[name]} statements (first page)")
    for name, found in results.get("plans", {}).items():
        flag = "  <- reads a whole table" if found["reads_whole_table"] else ""
        print(f"    plan {name:<22} {found['ms']:7.2f} ms  {', '.join(found['scans'])}{flag}")


def comparison(before: dict, after: dict) -> list[tuple[str, float, float]]:
    rows = [(f"/summary {name}", before["periods"][name]["summary_ms"],
             after["periods"][name]["summary_ms"]) for name in periods.PERIODS]
    rows += [(what, before[key], after[key]) for what, key in (
        ("/status", "status_ms"), ("/jobs", "jobs_ms"), ("/orders (six counts)",
                                                          "filter_counts_ms"))]
    rows += [(f"/orders {name} (page)", before["filter_pages_ms"][name],
              after["filter_pages_ms"][name]) for name in order_lists.FILTERS]
    return rows


async def run(args, report: dict) -> None:
    url = report["url"]
    postgres = url.startswith("postgresql")
    engine = make_engine(url)
    count_statements(engine)
    try:
        await upgrade(engine)
        started = time.perf_counter()
        if postgres:
            seeder = await asyncpg.connect(make_url(url).set(drivername="postgresql")
                                           .render_as_string(hide_password=False))
            try:
                report["seed_seconds"] = await seed(seeder, args.orders)
            finally:
                await seeder.close()
        else:
            report["seed_seconds"] = await asyncio.to_thread(
                seed_sqlite, make_url(url).database, args.orders)
        report["seed_total_seconds"] = round(time.perf_counter() - started, 1)
        print(f"  seeded in {report['seed_total_seconds']} s")

        async def ddl(*statements):
            async with engine.begin() as connection:
                for statement in statements:
                    await connection.execute(text(statement))
                await connection.execute(text("ANALYZE"))
            await engine.dispose()  # no statement prepared before is reused

        # Before: the schema without this change's indexes, the summary by direct queries.
        await ddl(*(f"DROP INDEX {index}" for index, _, _ in NEW_INDEXES))
        desk = make_desk(make_session_factory(engine), CompanySettings(timezone=ZONE),
                    FixedClock(NOW))
        report["before"] = await measure(desk, args.repeat, kept=False, explain_plans=postgres)
        print_results("before: summary by direct queries, without the new indexes",
                      report["before"])

        started = time.perf_counter()
        async with desk.uow() as uow:
            rebuilt = await summaries.rebuild(uow)
        report["rebuild_summaries_seconds"] = round(time.perf_counter() - started, 1)
        report["summary_figures"] = rebuilt.figures
        started = time.perf_counter()
        await ddl(*(f"CREATE INDEX {index} ON {table} ({columns})"
                    for index, table, columns in NEW_INDEXES))
        report["index_build_seconds"] = round(time.perf_counter() - started, 1)
        if postgres:
            # A million new marks: vacuumed now, not by autovacuum while "after" is measured.
            vacuum = await asyncpg.connect(make_url(url).set(drivername="postgresql")
                                           .render_as_string(hide_password=False))
            try:
                await vacuum.execute("VACUUM ANALYZE")
            finally:
                await vacuum.close()
        print(f"\n  rebuild-summaries: {rebuilt.orders:,} orders -> {rebuilt.figures:,} daily "
              f"figures in {report['rebuild_summaries_seconds']} s; new indexes built in "
              f"{report['index_build_seconds']} s")
        report["after"] = await measure(desk, args.repeat, kept=True, explain_plans=postgres)
        print_results("after: summary from the kept daily figures, with the new indexes",
                      report["after"])
        report["export_month"] = await export_month(desk)
        print(f"  /export of the month: {report['export_month']['rows']} rows in "
              f"{report['export_month']['ms']} ms")
        report["comparison_ms"] = comparison(report["before"], report["after"])
        print(f"\n{'':<30} {'before':>9} {'after':>9}  (ms, best of {args.repeat})")
        for what, before, after in report["comparison_ms"]:
            print(f"{what:<30} {before:9.1f} {after:9.1f}")
        if not all(e["same_as_direct_queries"] for e in report["after"]["periods"].values()):
            raise SystemExit("FAILED: the kept figures differ from the direct queries")
    finally:
        await engine.dispose()


async def reuse(args, report: dict) -> None:
    """Measures a PostgreSQL database kept by an earlier --keep run, as it is (the "after"
    figures only), with the code of BENCH_CODE if set; each index named by --without is
    dropped for the measurement and made again after it."""
    url = report["url"]
    admin_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_url)
    engine = make_engine(url)
    count_statements(engine)
    dropped = []
    try:
        for index in args.without:
            definition = await admin.fetchval(
                "SELECT indexdef FROM pg_indexes WHERE indexname = $1", index)
            if definition is None:
                raise SystemExit(f"no index {index}")
            await admin.execute(f'DROP INDEX "{index}"')
            dropped.append(definition)
        desk = make_desk(make_session_factory(engine), CompanySettings(timezone=ZONE),
                         FixedClock(NOW))
        report["code"] = str(CODE)
        report["without"] = list(args.without)
        report["after"] = await measure(desk, args.repeat, kept=True, explain_plans=True)
        print_results(f"{args.reuse} as kept, the code of {CODE}"
                      + (f", without {', '.join(args.without)}" if args.without else ""),
                      report["after"])
    finally:
        await engine.dispose()
        for definition in dropped:
            await admin.execute(definition)
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--database-url",
                        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server (a database of the bench's own is made "
                             "there), or sqlite+aiosqlite:///<file> (made anew)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs, after a warm-up")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--reuse", metavar="DATABASE",
                        help="measure a PostgreSQL database kept by --keep, nothing else")
    parser.add_argument("--without", metavar="INDEX", action="append", default=[],
                        help="with --reuse: drop this index while measuring, make it again "
                             "after (to measure code from before the index)")
    args = parser.parse_args()

    base = make_url(args.database_url)
    report = {"orders": args.orders, "machine": f"{platform.machine()}, "
              f"{os.cpu_count()} cores", "now": NOW.isoformat(),
              "database": base.get_backend_name()}
    if args.reuse:
        report["url"] = base.set(database=args.reuse).render_as_string(hide_password=False)
        print(f"database {args.reuse}, as kept")
        await reuse(args, report)
    elif base.get_backend_name() == "sqlite":
        path = Path(base.database)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        report["url"] = args.database_url
        print(f"database {path}: {args.orders:,} orders")
        try:
            await run(args, report)
        finally:
            if not args.keep:
                for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    leftover.unlink(missing_ok=True)
    else:
        name = f"bench_summary_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(base.set(drivername="postgresql")
                                      .render_as_string(hide_password=False))
        await admin.execute(f'CREATE DATABASE "{name}"')
        print(f"database {name}: {args.orders:,} orders")
        report["url"] = base.set(database=name).render_as_string(hide_password=False)
        try:
            await run(args, report)
        finally:
            if not args.keep:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    del report["url"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / (f"summary_queries_{report['database']}"
                     + ("_reuse" if args.reuse else "") + ".json")
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"\nwritten {out.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
