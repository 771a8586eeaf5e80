"""The periods a manager asks about (today, this week, this month), local to the company.

Periods are local (the company's time zone; a week starts on Monday) but are turned into UTC
bounds here, in Python, so that the SQL only compares stored UTC times with bound parameters;
a day of a chart is found by a CASE over the period's local midnights (portable, and right
across a daylight-saving change). The only per-dialect piece is `epoch_seconds` (whole seconds
of a time, for durations).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, and_, case, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from .desk import UnitOfWork
from .errors import InvalidInput

PERIODS = ("today", "week", "month")


@dataclass(frozen=True)
class Period:
    name: str  # today, week, month
    first_day: date  # local
    last_day: date  # local, inclusive
    today: date  # local, the day the summary is made
    # The UTC start of each local day of the period, then the end of the period: day i is
    # [bounds[i], bounds[i + 1]).
    bounds: tuple[datetime, ...]

    @property
    def start(self) -> datetime:
        return self.bounds[0]

    @property
    def end(self) -> datetime:
        return self.bounds[-1]

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.first_day + timedelta(days=i) for i in range(len(self.bounds) - 1))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The moment a local day starts, as aware UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


def period_of(name: str, now: datetime, zone: ZoneInfo) -> Period:
    """Today, this week (from Monday) or this month, in `zone`, around `now`."""
    today = now.astimezone(zone).date()
    if name == "today":
        first, last = today, today
    elif name == "week":
        first = today - timedelta(days=today.weekday())
        last = first + timedelta(days=6)
    elif name == "month":
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        raise InvalidInput(field="period", reason="unknown")
    count = (last - first).days + 1
    bounds = tuple(local_midnight(first + timedelta(days=i), zone) for i in range(count + 1))
    return Period(name, first, last, today, bounds)


def period(uow: UnitOfWork, name: str) -> Period:
    return period_of(name, uow.now(), uow.company.timezone)


# --- the one per-dialect expression -----------------------------------------------------------

class epoch_seconds(GenericFunction):
    """Whole seconds since 1970 of a stored (naive UTC) time: integer on both databases, so
    sums of durations are exact and the same everywhere."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw):
    # Only the stored text's whole seconds ("YYYY-MM-DD HH:MM:SS"): SQLite rounds a time to
    # milliseconds first, so 10:00:00.9996 would count as 10:00:01 (PostgreSQL floors).
    stored = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('%s', substr({stored}, 1, 19)) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element, compiler, **kw):
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def day_of(column, period: Period):
    """Which day of the period (0, 1, ...) a time in the period falls on, in SQL."""
    bounds = period.bounds
    if len(bounds) == 2:
        return literal_column("0", Integer)
    return case(*[(column < bound, i) for i, bound in enumerate(bounds[1:-1])],
                else_=len(bounds) - 2)


def within(column, period: Period):
    return and_(column >= period.start, column < period.end)


