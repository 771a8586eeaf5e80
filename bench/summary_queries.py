#!/usr/bin/env python
"""The managers' summary at scale: seeds 1,000,000 orders into a fresh PostgreSQL database,
then times every query of /summary (core.reports) for today, this week and this month, plus
/orders' filter counts and a month's /export, and shows whether each uses an index.

    .venv/bin/python bench/summary_queries.py                      # 1,000,000 orders
    .venv/bin/python bench/summary_queries.py --orders 100000      # a quicker run
    .venv/bin/python bench/summary_queries.py \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

The database (bench_summary_<random>) is created under the server of --database-url,
brought to the schema with the project's migrations, seeded server-side with
INSERT ... SELECT generate_series (a year of orders, ids in time order, about 2,700 a day;
their events, completions and ratings), analysed, measured, and dropped at the end (unless
--keep). The queries run are the very statements core/reports.py builds: EXPLAIN (ANALYZE,
BUFFERS) of each, then the whole `reports.summary()` call as the bot makes it, best of
--repeat. Then the indexes proposed in bench/SUMMARY.md are created and everything is measured
again, so the two columns show what they change. Results: bench/results/summary_queries.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.compiler import compiles  # noqa: E402
from sqlalchemy.sql.base import Executable  # noqa: E402
from sqlalchemy.sql.elements import ClauseElement  # noqa: E402

from core import exports, reports  # noqa: E402
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

# What bench/SUMMARY.md proposes for a migration: (name, table, columns).
PROPOSED = (
    ("ix_service_orders_created_at", "service_orders", "created_at"),
    ("ix_service_orders_arrived_at", "service_orders", "arrived_at"),
    ("ix_order_events_action_at", "order_events", "action, at"),
    ("ix_ratings_at", "ratings", "at"),
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
    for what, sql in seed_sql(orders):
        started = time.perf_counter()
        await connection.execute(sql)
        took[what] = round(time.perf_counter() - started, 1)
        print(f"  seeded {what:<26} {took[what]:6.1f} s", flush=True)
    started = time.perf_counter()
    await connection.execute("VACUUM ANALYZE")
    took["vacuum analyze"] = round(time.perf_counter() - started, 1)
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


async def best_of(repeat: int, run) -> float:
    """The best of `repeat` runs, in milliseconds (after one warm-up run)."""
    await run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        times.append((time.perf_counter() - started) * 1000)
    return round(min(times), 1)


async def measure(desk: Desk, repeat: int) -> dict:
    results: dict = {"periods": {}}
    async with desk.uow() as uow:
        manager = await uow.session.scalar(select(User).where(User.role == "manager"))
    for name in reports.PERIODS:
        span = reports.period_of(name, NOW, ZONE)
        entry = {"queries": {}}
        async with desk.uow() as uow:
            for query, statement in reports.summary_statements(span).items():
                found = await explain(uow.session, statement)

                async def run_query(statement=statement):
                    async with desk.uow() as uow:
                        return (await uow.session.execute(statement)).all()

                # EXPLAIN ANALYZE's own figure, and the query as the bot runs it (best of).
                found["explain_ms"], found["ms"] = found["ms"], await best_of(repeat, run_query)
                entry["queries"][query] = found

        async def run_summary():
            async with desk.uow() as uow:
                return await reports.summary(uow, manager, name)

        entry["summary_ms"] = await best_of(repeat, run_summary)
        figures = await run_summary()
        entry["figures"] = {"new": figures.new, "completed": figures.completed,
                            "cancelled": figures.cancelled, "arrivals": figures.arrivals,
                            "on_time_percent": figures.on_time_percent,
                            "first_visit_percent": figures.first_visit_percent,
                            "approval_percent": figures.approval_percent,
                            "ratings": figures.ratings, "revenue_yuan": figures.revenue // 100}
        results["periods"][name] = entry

    async def run_counts():
        async with desk.uow() as uow:
            return await reports.filter_counts(uow, manager)

    results["filter_counts_ms"] = await best_of(repeat, run_counts)
    results["filter_counts"] = await run_counts()
    async with desk.uow() as uow:
        results["filter_queries"] = {}
        for name in reports.FILTERS:
            where, order_by = reports.order_filter(uow, name)
            statement = (select(ServiceOrder.id).where(where).order_by(*order_by)
                         .limit(reports.PAGE_SIZE))
            results["filter_queries"][name] = await explain(uow.session, statement)

    async def run_export():
        async with desk.uow() as uow:
            exported = await exports.export_orders(uow, manager, "month",
                                                   lambda group, key: key)
            exported.file.close()
            return exported.rows

    started = time.perf_counter()
    results["export_month_rows"] = await run_export()
    results["export_month_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return results


def print_results(label: str, results: dict) -> None:
    print(f"\n== {label}")
    for name, entry in results["periods"].items():
        print(f"  {name}: reports.summary() {entry['summary_ms']} ms; "
              f"figures {entry['figures']}")
        for query, found in entry["queries"].items():
            flag = "  ← reads a whole table" if found["reads_whole_table"] else ""
            print(f"    {query:<10} {found['ms']:8.1f} ms (explain {found['explain_ms']:7.1f})  "
                  f"{', '.join(found['scans'])}{flag}")
    print(f"  /orders filter counts: {results['filter_counts_ms']} ms {results['filter_counts']}")
    for name, found in results["filter_queries"].items():
        flag = "  ← reads a whole table" if found["reads_whole_table"] else ""
        print(f"    {name:<18} {found['ms']:9.2f} ms  {', '.join(found['scans'])}{flag}")
    print(f"  /export of the month: {results['export_month_rows']} rows in "
          f"{results['export_month_ms']} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--database-url",
                        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server; a database of the bench's own is made there")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs, after a warm-up")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()

    base = make_url(args.database_url)
    name = f"bench_summary_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    url = base.set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    print(f"database {name}: {args.orders:,} orders")
    report = {"orders": args.orders, "machine": f"{platform.machine()}, "
              f"{__import__('os').cpu_count()} cores", "now": NOW.isoformat()}
    engine = make_engine(url)
    try:
        await upgrade(engine)
        seeder = await asyncpg.connect(base.set(drivername="postgresql", database=name)
                                       .render_as_string(hide_password=False))
        try:
            started = time.perf_counter()
            report["seed_seconds"] = await seed(seeder, args.orders)
            report["seed_total_seconds"] = round(time.perf_counter() - started, 1)
            sizes = await seeder.fetch(
                "SELECT relname, n_live_tup FROM pg_stat_user_tables "
                "WHERE relname IN ('service_orders', 'order_events', 'completions', 'ratings')")
            report["rows"] = {r["relname"]: r["n_live_tup"] for r in sizes}
            print(f"  rows: {report['rows']}")

            desk = Desk(make_session_factory(engine), CompanySettings(timezone=ZONE),
                        FixedClock(NOW))
            report["schema_now"] = await measure(desk, args.repeat)
            print_results("with the indexes the migrations make now", report["schema_now"])
            await engine.dispose()  # no statement prepared before the new indexes is reused

            started = time.perf_counter()
            for index, table, columns in PROPOSED:
                await seeder.execute(f"CREATE INDEX {index} ON {table} ({columns})")
            await seeder.execute("ANALYZE")
            report["proposed_index_build_seconds"] = round(time.perf_counter() - started, 1)
            report["with_proposed_indexes"] = await measure(desk, args.repeat)
            print_results("with the proposed indexes "
                          f"(built in {report['proposed_index_build_seconds']} s)",
                          report["with_proposed_indexes"])
        finally:
            await seeder.close()
    finally:
        await engine.dispose()
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "summary_queries.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"\nwritten {out.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
