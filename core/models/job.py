"""On the job: diagnosis, quotes, parts missing and fitted, completion, rating, warranty
claims, and the reminders an order calls for."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime

# --- on the job: diagnosis, quotes, parts, completion, rating ---------------------------------

class Diagnosis(Base):
    """What the technician found; a later diagnosis of the same order refines it."""

    __tablename__ = "diagnoses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    fault: Mapped[str] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSON, default=list)  # Telegram file ids


class Quote(Base):
    """One version of an order's quote: a draft while built, then sent, and approved or
    declined by the customer; an approved version is superseded when a revision is approved."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # draft, sent, approved, declined, superseded
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lines: Mapped[list[QuoteLine]] = relationship(
        order_by="QuoteLine.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("order_id", "version"),)


class QuoteLine(Base):
    """A part (price and warranty months copied from the catalogue when added), a labour item,
    or typed labour. `unit_price` is what the customer pays (0 when covered by warranty);
    `list_price` what it would cost without the warranty."""

    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # part, labour, typed_labour
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id"))
    labour_item_id: Mapped[int | None] = mapped_column(ForeignKey("labour_items.id"))
    sku: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)
    list_price: Mapped[int] = mapped_column(Integer)
    warranty: Mapped[bool] = mapped_column(Boolean, default=False)
    warranty_months: Mapped[int | None] = mapped_column(Integer)
    # The earlier order whose warranty prices this line at zero.
    covered_by_order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price


class MissingPart(Base):
    """A part the technician needs and did not have: why an order waits for parts."""

    __tablename__ = "missing_parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class ReplacedPart(Base):
    """A part fitted on a completed job, with its serial and its own warranty end date."""

    __tablename__ = "replaced_parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    appliance_id: Mapped[int | None] = mapped_column(ForeignKey("appliances.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    sku: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    serial: Mapped[str | None] = mapped_column(String(64))
    unit_price: Mapped[int] = mapped_column(Integer)  # as billed; 0 under warranty
    warranty: Mapped[bool] = mapped_column(Boolean, default=False)  # fitted under warranty
    warranty_months: Mapped[int] = mapped_column(Integer)
    warranty_until: Mapped[date | None] = mapped_column(Date)  # local date; None: no warranty
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Completion(Base):
    """How a job ended: the amounts billed, the installation checklist and photos, and the
    workmanship warranty."""

    __tablename__ = "completions"

    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    parts_amount: Mapped[int] = mapped_column(Integer)
    labour_amount: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    checklist: Mapped[dict | None] = mapped_column(JSON)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    work_done: Mapped[str | None] = mapped_column(Text)
    workmanship_until: Mapped[date] = mapped_column(Date)  # local date


class Rating(Base):
    """The customer's stars for a finished order: one per order."""

    __tablename__ = "ratings"

    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)


class WarrantyClaimPart(Base):
    """Which replaced parts a warranty order claims for."""

    __tablename__ = "warranty_claim_parts"

    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), primary_key=True)
    replaced_part_id: Mapped[int] = mapped_column(ForeignKey("replaced_parts.id"),
                                                  primary_key=True)


class Reminder(Base):
    """A message the service owes someone at a time: written with the order change that
    causes it, claimed by one sender, sent once (see core.reminder_queue)."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What occasion this is, e.g. "order:12:day_before:2026-11-25T01:00": planning the same
    # occasion twice finds the row instead of writing a second one.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"), index=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id"))  # low stock
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A sender holds a claimed reminder until then; after a crash another may take it.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(32))  # the sender holding the claim
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # No longer wanted (order moved or cancelled) or impossible (the person blocked the bot).
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dropped_why: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_reminders_due", "sent_at", "dropped_at", "due_at"),)


class Handover(Base):
    """A delivery's handover (送货安装: 确认产品完好无损): the condition the technician found
    the box in, with photos; the customer's answer in chat; and, when either says damaged,
    the damage claim (a complaint) and the manager's decision on the installation."""

    __tablename__ = "handovers"

    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    condition: Mapped[str] = mapped_column(String(16))  # intact, damaged
    photos: Mapped[list] = mapped_column(JSON, default=list)  # Telegram file ids
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customer_answer: Mapped[str | None] = mapped_column(String(16))  # good, damaged
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    decision: Mapped[str | None] = mapped_column(String(16))  # install, hold
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
