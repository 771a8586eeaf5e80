"""What the company learns and keeps from the work: triage history and parts requests, the
summary's daily figures, bill checks and cash settlements, complaints."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

# --- triage: what past jobs teach about the next one ------------------------------------------

class TriageHistory(Base):
    """A finished job from before the company used the bot, imported from its records
    (`python -m bot import-history`): what the customer wrote, what the technician found, the
    parts used and whether the first visit fixed it. Jobs finished in the bot need no row here:
    core.triage reads them from the orders themselves."""

    __tablename__ = "triage_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)  # the company's job no.
    closed_on: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(32), index=True)
    brand: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    diagnosis: Mapped[str | None] = mapped_column(Text)
    parts: Mapped[list] = mapped_column(JSON, default=list)  # [[sku, quantity], ...]
    first_visit_fixed: Mapped[bool | None] = mapped_column(Boolean)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartsRequest(Base):
    """A technician asking the managers for the parts a job will likely need and their van
    lacks (until van replenishment requests exist): the managers are told by a notice."""

    __tablename__ = "parts_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    parts: Mapped[list] = mapped_column(JSON, default=list)  # [[sku, quantity], ...]


# --- the managers' summary, kept as daily figures ---------------------------------------------

class SummaryDay(Base):
    """One figure of one local day (the company's time zone), for one technician or (0) for
    the company: e.g. (25 Nov, 0, "created:scheduled") = 31 orders made that day are scheduled
    now. Kept by core.summaries in the same transaction as each change that moves it."""

    __tablename__ = "summary_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    technician_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: the company
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SummaryMark(Base):
    """What one order adds to the daily figures now (core.summaries.contribution): when the
    order changes, the figures move by the difference between this and its new state."""

    __tablename__ = "summary_marks"

    order_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24))
    technician_id: Mapped[int | None] = mapped_column(Integer)
    booked_day: Mapped[date | None] = mapped_column(Date)
    completed_day: Mapped[date | None] = mapped_column(Date)
    first_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    completion_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue: Mapped[int] = mapped_column(BigInteger, default=0)  # fen, warranty orders: 0
    revenue_parts: Mapped[int | None] = mapped_column(BigInteger)  # None: not counted
    revenue_labour: Mapped[int | None] = mapped_column(BigInteger)
    arrived_day: Mapped[date | None] = mapped_column(Date)
    on_time: Mapped[bool] = mapped_column(Boolean, default=False)
    rated_day: Mapped[date | None] = mapped_column(Date)
    rating_technician_id: Mapped[int | None] = mapped_column(Integer)
    stars: Mapped[int] = mapped_column(Integer, default=0)


class SummaryState(Base):
    """One row once the daily figures are built: the time zone their days are in. Without it
    (or in another zone) the summary is computed from the orders directly."""

    __tablename__ = "summary_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    zone: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- settlement: bills checked against quote and stock, technicians' cash handed in ----------

class BillCheck(Base):
    """A manager's resolution of a completed job's bill differing from its approved quote or
    from the parts issued for it (core.settlement): the differences it resolved (their
    fingerprint) and why. Different differences found later are open again."""

    __tablename__ = "bill_checks"

    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(Text)
    resolved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CashSettlement(Base):
    """A technician's day of payments confirmed by a manager: the cash they collected (and the
    transfers, for the record), what they handed in, and why it differed (core.settlement)."""

    __tablename__ = "cash_settlements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date, index=True)  # local
    cash_expected: Mapped[int] = mapped_column(Integer)  # fen
    transfers: Mapped[int] = mapped_column(Integer)  # fen, paid to the company directly
    payments: Mapped[int] = mapped_column(Integer)  # how many orders were paid that day
    handed_in: Mapped[int] = mapped_column(Integer)  # fen, as the manager typed it
    reason: Mapped[str | None] = mapped_column(Text)  # when handed_in != cash_expected
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("technician_id", "day"),)

    @property
    def difference(self) -> int:
        return self.handed_in - self.cash_expected


# --- complaints and service recovery ----------------------------------------------------------

class Complaint(Base):
    """A customer's complaint about one of their orders: numbered like an order (C-1001), moved
    by core.complaints' table only, each change an event row."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The order's technician when the complaint was made (whom it is about).
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # late, not_fixed, damage, rude, price, other
    text: Mapped[str] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSON, default=list)  # Telegram file ids
    status: Mapped[str] = mapped_column(String(16), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who handles it
    # The latest resolution: apology, revisit, refund, discount, no_action.
    resolution: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[int | None] = mapped_column(Integer)  # fen: refund or discount
    resolution_note: Mapped[str | None] = mapped_column(Text)
    revisit_order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ComplaintEvent(Base):
    """A complaint's timeline: every change of its status and every other act on it."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
