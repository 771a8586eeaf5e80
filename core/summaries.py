"""The managers' summary kept as daily figures, so that /summary reads a few hundred small rows
instead of a month of orders (core.reports computes the very same figures from the orders
directly; a test proves both agree).

How the figures stay right:
- every order has a mark (SummaryMark): what it adds to the figures now (the day it was made
  and its status, its technician and booked day, the day it was completed and what it billed,
  the day of its last arrival and whether on time, its rating). `contribute` turns a mark
  into figures, one function for keeping and for building on SQLite (on PostgreSQL the build
  is the same rules in SQL, two statements in the server; the tests check both agree);
- the ORM tells us which orders a unit of work wrote (mapper events on orders, completions,
  ratings and events, whoever wrote them), and which counted events (quote decisions,
  cancellations) it added. On commit (core.desk), each such order's new state is read back
  from the database, its mark locked, and the figures moved by the difference between the old
  mark and the new one; counted events add one each. All in the transaction of the change:
  the figures and the orders commit, or fail, together. Moves are increments (`value + d`),
  taken in one order, so concurrent commits neither lose a move nor deadlock;
- `rebuild` makes everything again from the orders (`python -m bot rebuild-summaries`), e.g.
  after TIMEZONE changes: days are local days, and the state row names the zone they are in.
  Until a rebuild for the company's zone has run, nothing is kept and the summary falls back
  to the direct queries; the bot runs one at start when needed.
"""
from __future__ import annotations

import logging
import time as timer
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import delete, event, exists, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, object_session

from . import lifecycle
from .models import (
    Completion,
    OrderEvent,
    Rating,
    ServiceOrder,
    SummaryDay,
    SummaryMark,
    SummaryState,
)

log = logging.getLogger(__name__)

COMPANY = 0  # technician_id of the company's own figures
APPROVALS = ("approve_quote",)
DECLINES = ("decline_quote", "decline_revision")
CANCELS = ("cancel",)
COUNTED_ACTIONS = APPROVALS + DECLINES + CANCELS
PARTS_MISSING = "parts_missing"  # the one act that takes an order to waiting_parts
# Figures kept by local day for the chart; the others are summed per technician.
DAY_METRICS = tuple(f"created:{s}" for s in lifecycle.STATUSES) + ("arrivals", "on_time")
CREATED = {s: f"created:{s}" for s in lifecycle.STATUSES}
MARK_COLUMNS = tuple(c.name for c in SummaryMark.__table__.columns)
BATCH = 5000

_ORDERS = "summary_orders"  # session.info keys: orders written, counted events added
_EVENTS = "summary_events"


# --- what the unit of work wrote --------------------------------------------------------------

def _touched(target, order_id) -> None:
    session = object_session(target)
    if session is not None and order_id is not None:
        session.info.setdefault(_ORDERS, set()).add(order_id)


@event.listens_for(ServiceOrder, "after_insert")
@event.listens_for(ServiceOrder, "after_update")
def _order_written(mapper, connection, target):
    _touched(target, target.id)


@event.listens_for(Completion, "after_insert")
@event.listens_for(Completion, "after_update")
@event.listens_for(Rating, "after_insert")
@event.listens_for(Rating, "after_update")
def _order_part_written(mapper, connection, target):
    _touched(target, target.order_id)


@event.listens_for(OrderEvent, "after_insert")
def _event_added(mapper, connection, target):
    _touched(target, target.order_id)  # a parts_missing event changes "first visit"
    if target.action in COUNTED_ACTIONS:
        session = object_session(target)
        if session is not None:
            session.info.setdefault(_EVENTS, []).append((target.at, target.action))


# --- an order's mark and what it adds ---------------------------------------------------------

def _state_query():
    """Each order's columns that the figures depend on, read fresh from the database."""
    waited = exists().where(OrderEvent.order_id == ServiceOrder.id,
                            OrderEvent.action == PARTS_MISSING)
    return (select(ServiceOrder.id, ServiceOrder.status, ServiceOrder.kind,
                   ServiceOrder.technician_id, ServiceOrder.created_at, ServiceOrder.booked_date,
                   ServiceOrder.completed_at, ServiceOrder.final_amount,
                   ServiceOrder.arrived_at, ServiceOrder.window_start, ServiceOrder.window_end,
                   Completion.order_id.is_not(None), Completion.parts_amount,
                   Completion.labour_amount, Rating.at, Rating.technician_id, Rating.stars,
                   waited)
            .outerjoin(Completion, Completion.order_id == ServiceOrder.id)
            .outerjoin(Rating, Rating.order_id == ServiceOrder.id))


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _seconds(moment: datetime) -> int:
    """Whole seconds since 1970, as core.reports.epoch_seconds counts them (exactly: a float
    timestamp can round x.9999995 up)."""
    return (moment - EPOCH) // timedelta(seconds=1)


def mark_of(row, zone: ZoneInfo) -> tuple:
    """An order's mark (MARK_COLUMNS, in order) from a row of `_state_query`."""
    (order_id, status, kind, technician_id, created_at, booked_date, completed_at, final_amount,
     arrived_at, window_start, window_end, has_completion, parts, labour, rated_at,
     rating_technician_id, stars, waited) = row
    paid = kind != lifecycle.WARRANTY
    completed_day = arrived_day = rated_day = None
    seconds = revenue = 0
    revenue_parts = revenue_labour = None
    if completed_at is not None:
        completed_day = completed_at.astimezone(zone).date()
        seconds = _seconds(completed_at) - _seconds(created_at)
        revenue = (final_amount or 0) if paid else 0
        if has_completion and paid:
            revenue_parts, revenue_labour = parts, labour
    on_time = False
    if arrived_at is not None and window_end is not None:
        arrived_day = arrived_at.astimezone(zone).date()
        # Inside the booked window: neither early nor late (core.jobs.is_on_time).
        on_time = window_start is not None and window_start <= arrived_at <= window_end
    if rated_at is not None:
        rated_day = rated_at.astimezone(zone).date()
    return (order_id, created_at.astimezone(zone).date(), status, technician_id, booked_date,
            completed_day, bool(completed_day and not waited), seconds, revenue, revenue_parts,
            revenue_labour, arrived_day, on_time, rated_day, rating_technician_id, stars or 0)


def contribution(mark) -> Counter:
    """What an order with this mark adds to the figures: {(day, technician or 0, metric): n}."""
    adds: Counter = Counter()
    contribute(mark, adds)
    return adds


def contribute(mark, into: dict, sign: int = 1) -> None:
    """Adds (sign 1) or takes away (-1) what an order with this mark adds to the figures."""
    (_, created_day, status, technician_id, booked_day, completed_day, first_visit, seconds,
     revenue, revenue_parts, revenue_labour, arrived_day, on_time, rated_day,
     rating_technician_id, stars) = mark
    get = into.get

    def add(key, n):
        into[key] = get(key, 0) + sign * n

    add((created_day, COMPANY, CREATED.get(status) or f"created:{status}"), 1)
    if booked_day is not None and technician_id and status != lifecycle.CANCELLED:
        add((booked_day, technician_id, "booked"), 1)
    if completed_day is not None:
        by = technician_id or COMPANY
        add((completed_day, by, "completed"), 1)
        add((completed_day, by, "first_visit"), int(first_visit))
        add((completed_day, by, "completion_seconds"), seconds)
        add((completed_day, by, "revenue"), revenue)
        if revenue_parts is not None:
            add((completed_day, COMPANY, "revenue_parts"), revenue_parts)
            add((completed_day, COMPANY, "revenue_labour"), revenue_labour or 0)
    if arrived_day is not None:
        add((arrived_day, COMPANY, "arrivals"), 1)
        add((arrived_day, COMPANY, "on_time"), int(on_time))
    if rated_day is not None:
        by = rating_technician_id or COMPANY
        add((rated_day, by, "ratings"), 1)
        add((rated_day, by, "stars"), stars)


# --- keeping them on commit -------------------------------------------------------------------

def _insert(session):
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


async def _zone_kept(session) -> str | None:
    """The zone the figures are kept in, or None. Read with a share lock, so that a rebuild
    under way (which holds its tables exclusively) is waited for, never half seen."""
    return await session.scalar(select(SummaryState.zone).where(SummaryState.id == 1)
                                .with_for_update(read=True, key_share=True))


async def _move(session, moves: Counter) -> None:
    """Adds each move to its figure (made if missing), in key order (no deadlocks)."""
    rows = [dict(day=day, technician_id=tech, metric=metric, value=value)
            for (day, tech, metric), value in sorted(moves.items()) if value]
    if not rows:
        return
    insert = _insert(session)(SummaryDay)
    await session.execute(insert.on_conflict_do_update(
        index_elements=["day", "technician_id", "metric"],
        set_={"value": SummaryDay.value + insert.excluded.value}), rows)


async def keep(uow) -> None:
    """Moves the figures by what this unit of work changed (core.desk calls it on commit)."""
    session = uow.session
    await session.flush()
    order_ids = session.info.pop(_ORDERS, set())
    added = session.info.pop(_EVENTS, [])
    if not order_ids and not added:
        return
    zone = uow.company.timezone
    if await _zone_kept(session) != zone.key:
        return
    moves: Counter = Counter()
    for at, action in added:
        moves[(at.astimezone(zone).date(), COMPANY, action)] += 1
    ids = sorted(order_ids)
    marks = SummaryMark.__table__
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        old = {row[0]: tuple(row) for row in await session.execute(
            select(marks).where(marks.c.order_id.in_(chunk)).order_by(marks.c.order_id)
            .with_for_update())}
        new = {row[0]: mark_of(row, zone) for row in await session.execute(
            _state_query().where(ServiceOrder.id.in_(chunk)))}
        changed = []
        for order_id, mark in new.items():
            before = old.get(order_id)
            if before == mark:
                continue
            contribute(mark, moves)
            if before is not None:
                contribute(before, moves, -1)
            changed.append(dict(zip(MARK_COLUMNS, mark)))
        if changed:
            insert = _insert(session)(SummaryMark)
            await session.execute(insert.on_conflict_do_update(
                index_elements=["order_id"],
                set_={c: insert.excluded[c] for c in MARK_COLUMNS if c != "order_id"}),
                changed)
    await _move(session, moves)


# --- building them from the orders ------------------------------------------------------------

@dataclass(frozen=True)
class Rebuilt:
    zone: str
    orders: int
    figures: int
    seconds: float


async def _rebuild_in_python(session, zone: ZoneInfo) -> tuple[int, int]:
    """Marks by mark_of and figures by contribute, the very code that keeps them."""
    totals: dict = {}
    orders = 0
    batch: list[tuple] = []

    async def write(rows):
        if not rows:
            return
        # The driver's executemany: SQLite stores dates as text, booleans as 0/1.
        raw = await (await session.connection()).get_raw_connection()
        await raw.driver_connection.executemany(
            f"INSERT INTO summary_marks ({', '.join(MARK_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(MARK_COLUMNS))})",
            [tuple(v.isoformat() if isinstance(v, date) else v for v in r) for r in rows])

    connection = await session.connection()  # Core rows: no ORM work per row
    result = await connection.stream(_state_query())
    async for partition in result.partitions(BATCH):
        for row in partition:
            mark = mark_of(row, zone)
            contribute(mark, totals)
            batch.append(mark)
        orders += len(partition)
        if len(batch) >= BATCH:
            await write(batch)
            batch = []
    await write(batch)
    events = await connection.stream(
        select(OrderEvent.at, OrderEvent.action).where(OrderEvent.action.in_(COUNTED_ACTIONS)))
    async for partition in events.partitions(BATCH):
        for at, action in partition:
            key = (at.astimezone(zone).date(), COMPANY, action)
            totals[key] = totals.get(key, 0) + 1
    figures = [dict(day=day, technician_id=tech, metric=metric, value=value)
               for (day, tech, metric), value in sorted(totals.items()) if value]
    for start in range(0, len(figures), BATCH):
        await session.execute(SummaryDay.__table__.insert(), figures[start:start + BATCH])
    return orders, len(figures)


def _local_day(column: str) -> str:
    return f"({column} AT TIME ZONE 'UTC' AT TIME ZONE :zone)::date"


async def _rebuild_in_postgresql(session, zone: ZoneInfo) -> tuple[int, int]:
    """The same marks and figures as mark_of and contribute make, by two statements in the
    server (a million orders in seconds, not minutes); the tests check both agree."""
    paid = "o.kind <> 'warranty'"
    done = "o.completed_at IS NOT NULL"
    marks = await session.execute(text(f"""
        INSERT INTO summary_marks ({', '.join(MARK_COLUMNS)})
        SELECT o.id, {_local_day('o.created_at')}, o.status, o.technician_id, o.booked_date,
               {_local_day('o.completed_at')},
               {done} AND w.order_id IS NULL,
               CASE WHEN {done} THEN floor(extract(epoch FROM o.completed_at))::bigint
                                     - floor(extract(epoch FROM o.created_at))::bigint
                    ELSE 0 END,
               CASE WHEN {done} AND {paid} THEN coalesce(o.final_amount, 0) ELSE 0 END,
               CASE WHEN {done} AND {paid} AND c.order_id IS NOT NULL THEN c.parts_amount END,
               CASE WHEN {done} AND {paid} AND c.order_id IS NOT NULL THEN c.labour_amount END,
               CASE WHEN o.window_end IS NOT NULL THEN {_local_day('o.arrived_at')} END,
               coalesce(o.arrived_at <= o.window_end
                        AND o.arrived_at >= o.window_start, false),
               {_local_day('r.at')}, r.technician_id, coalesce(r.stars, 0)
        FROM service_orders o
        LEFT JOIN completions c ON c.order_id = o.id
        LEFT JOIN ratings r ON r.order_id = o.id
        LEFT JOIN (SELECT DISTINCT order_id FROM order_events WHERE action = :parts_missing) w
               ON w.order_id = o.id"""),
        {"zone": zone.key, "parts_missing": PARTS_MISSING})
    # What each mark adds (contribute), one row per figure it moves, summed by figure.
    done = "m.completed_day IS NOT NULL"
    by = "coalesce(m.technician_id, 0)"
    figures = await session.execute(text(f"""
        INSERT INTO summary_days (day, technician_id, metric, value)
        SELECT day, technician_id, metric, sum(value) FROM (
            SELECT f.* FROM summary_marks m CROSS JOIN LATERAL (VALUES
                (m.created_day, 0, 'created:' || m.status, 1::bigint),
                (CASE WHEN m.booked_day IS NOT NULL AND coalesce(m.technician_id, 0) <> 0
                           AND m.status <> 'cancelled' THEN m.booked_day END,
                 {by}, 'booked', 1),
                (m.completed_day, {by}, 'completed', 1),
                (m.completed_day, {by}, 'first_visit', m.first_visit::int),
                (m.completed_day, {by}, 'completion_seconds', m.completion_seconds),
                (m.completed_day, {by}, 'revenue', m.revenue),
                (CASE WHEN m.revenue_parts IS NOT NULL THEN m.completed_day END, 0,
                 'revenue_parts', m.revenue_parts),
                (CASE WHEN m.revenue_parts IS NOT NULL THEN m.completed_day END, 0,
                 'revenue_labour', coalesce(m.revenue_labour, 0)),
                (m.arrived_day, 0, 'arrivals', 1),
                (m.arrived_day, 0, 'on_time', m.on_time::int),
                (m.rated_day, coalesce(m.rating_technician_id, 0), 'ratings', 1),
                (m.rated_day, coalesce(m.rating_technician_id, 0), 'stars', m.stars)
            ) AS f(day, technician_id, metric, value)
            UNION ALL
            SELECT {_local_day('e.at')}, 0, e.action, 1 FROM order_events e
            WHERE e.action IN ({', '.join(f"'{a}'" for a in COUNTED_ACTIONS)})
        ) moves
        WHERE day IS NOT NULL
        GROUP BY day, technician_id, metric
        HAVING sum(value) <> 0"""), {"zone": zone.key})
    return marks.rowcount, figures.rowcount


async def rebuild(uow) -> Rebuilt:
    """Makes every mark and figure again from the orders, in the company's zone, and commits.
    Changes committed meanwhile wait for it (the tables are locked), then move the new
    figures as usual."""
    started = timer.perf_counter()
    session = uow.session
    zone = uow.company.timezone
    postgres = session.bind.dialect.name == "postgresql"
    session.info.pop(_ORDERS, None)
    session.info.pop(_EVENTS, None)
    if postgres:
        await session.execute(text(
            "LOCK TABLE summary_state, summary_marks, summary_days IN EXCLUSIVE MODE"))
    for table in (SummaryState, SummaryMark, SummaryDay):
        await session.execute(delete(table))
    if postgres:
        orders, figures = await _rebuild_in_postgresql(session, zone)
    else:
        orders, figures = await _rebuild_in_python(session, zone)
    session.add(SummaryState(id=1, zone=zone.key, built_at=uow.now()))
    await session.commit()
    done = Rebuilt(zone.key, orders, figures, round(timer.perf_counter() - started, 1))
    log.info("summary figures rebuilt in %s: %s orders, %s figures, %.1f s",
             done.zone, done.orders, done.figures, done.seconds)
    return done


async def ensure(desk) -> Rebuilt | None:
    """Rebuilds the figures if they are not kept in the company's zone (a new database, an
    upgrade, a changed TIMEZONE); None when they already are."""
    async with desk.uow() as uow:
        if await uow.session.scalar(select(SummaryState.zone)) == uow.company.timezone.key:
            return None
        return await rebuild(uow)


# --- reading them -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    by_day: dict[tuple[date, str], int]  # DAY_METRICS by local day
    by_technician: dict[tuple[int, str], int]  # the others, summed over the period


async def figures(uow, first_day: date, last_day: date) -> Figures | None:
    """The kept figures of the days first_day..last_day, or None if none are kept in the
    company's zone."""
    session = uow.session
    if await session.scalar(select(SummaryState.zone)) != uow.company.timezone.key:
        return None
    in_period = (SummaryDay.day >= first_day, SummaryDay.day <= last_day)
    per_day = SummaryDay.metric.in_(DAY_METRICS)
    by_day = {(day, metric): int(value) for day, metric, value in await session.execute(
        select(SummaryDay.day, SummaryDay.metric, func.sum(SummaryDay.value))
        .where(*in_period, per_day).group_by(SummaryDay.day, SummaryDay.metric))}
    by_technician = {(tech, metric): int(value) for tech, metric, value in await session.execute(
        select(SummaryDay.technician_id, SummaryDay.metric, func.sum(SummaryDay.value))
        .where(*in_period, ~per_day)
        .group_by(SummaryDay.technician_id, SummaryDay.metric))}
    return Figures(by_day, by_technician)


@event.listens_for(Session, "after_rollback")
def _forget_events(session):
    """Events rolled back were never added: they must not be counted on a later commit."""
    session.info.pop(_EVENTS, None)
