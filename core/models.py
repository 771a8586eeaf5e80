"""The database tables, in the business's words."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC everywhere (SQLite keeps no zone), always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; times are aware UTC in core")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    """Anyone who wrote to the bot. `role` is customer, technician or manager."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    role: Mapped[str] = mapped_column(String(16), default="customer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(8))  # chosen in the bot
    # Telegram's language_code, last seen: the language until they choose one.
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    # Set once a customer has given name and phone, or staff joined.
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The person blocked the bot: messages to them are not retried.
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    # A customer a manager marked important (a business account, say): their bookings are
    # important orders (core.priority).
    important: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    skills: Mapped[list[TechnicianSkill]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    areas: Mapped[list[TechnicianArea]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class TechnicianSkill(Base):
    __tablename__ = "technician_skills"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)


class TechnicianArea(Base):
    __tablename__ = "technician_areas"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    area: Mapped[str] = mapped_column(String(64), primary_key=True)


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Appliance(Base):
    __tablename__ = "appliances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64))
    serial: Mapped[str | None] = mapped_column(String(64))
    purchase_date: Mapped[date | None] = mapped_column(Date)


class ServiceOrder(Base):
    """One visit-worthy job. `number` is what people say on the phone."""

    __tablename__ = "service_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    appliance_id: Mapped[int | None] = mapped_column(ForeignKey("appliances.id"))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"))
    phone: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSON, default=list)  # Telegram file ids
    booked_date: Mapped[date | None] = mapped_column(Date)
    window: Mapped[str | None] = mapped_column(String(8))  # e.g. "09-12", local time
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The appliance's category, copied here so a window's capacity is one indexed query.
    category: Mapped[str | None] = mapped_column(String(32))
    # An installation order delivers and installs what this sales order sold.
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    # A warranty order points at the order whose warranty it claims.
    parent_order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the technician last said "arrived" (on time: at or before window_end).
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Money in fen: the approved quote's total, and what the completed job billed.
    quote_total: Mapped[int | None] = mapped_column(Integer)
    final_amount: Mapped[int | None] = mapped_column(Integer)
    payment_method: Mapped[str | None] = mapped_column(String(16))  # cash, transfer, waived
    # normal, urgent (no heating, no water, a leak: said by the customer or a manager) or
    # important (a manager's call): see core.priority.
    priority: Mapped[str] = mapped_column(String(12), default="normal",
                                          server_default="normal")

    events: Mapped[list[OrderEvent]] = relationship(
        order_by="OrderEvent.id", back_populates="order", lazy="selectin"
    )

    __table_args__ = (Index("ix_service_orders_window", "booked_date", "window"),
                      # A technician's open jobs: how many, and a page of them in order.
                      Index("ix_service_orders_technician_status", "technician_id", "status"),
                      Index("ix_service_orders_technician_day", "technician_id", "booked_date",
                            "window_start", "id"))


class OrderEvent(Base):
    """The audit trail: every status change and every other act on an order."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[ServiceOrder] = relationship(back_populates="events")

    __table_args__ = (Index("ix_order_events_action_at", "action", "at"),)


class BookingWindow(Base):
    """One row per booked day and window, locked while a booking checks the window's capacity,
    so that two customers can never both take its last place (see core.booking)."""

    __tablename__ = "booking_windows"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    window: Mapped[str] = mapped_column(String(8), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every booking
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SalesOrder(Base):
    """An appliance the company sold, registered by a manager from the printed receipt,
    so that its buyer can book delivery and installation in chat."""

    __tablename__ = "sales_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))  # as printed, e.g. S-2026-0042
    # The number's letters and digits only, upper case: what a typed number is matched by.
    number_key: Mapped[str] = mapped_column(String(32), unique=True)
    customer_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    address: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class SalesLookup(Base):
    """A customer's try at proving a sales order is theirs (number and phone); wrong tries
    are limited per hour, and a right one lets that customer book its installation."""

    __tablename__ = "sales_lookups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    typed_number: Mapped[str] = mapped_column(String(32))
    # The sales order proved, or None for a wrong try.
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"))

    __table_args__ = (Index("ix_sales_lookups_customer_at", "customer_id", "at"),)


class Invite(Base):
    """A one-time code a manager hands out to make someone staff."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Brand(Base):
    """An appliance brand the company offers as a button, with its name in each language."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  # as English speakers write it
    name_zh: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Conversation(Base):
    """Where one chat stands in a conversation with the bot, as one row: the flow and step, the
    answers so far (the draft), the question message the next answer must answer, and what the
    step still has to send (the outbox). Written in the same transaction as whatever the step
    changed; `version` counts the writes, so a delivery is recorded only against its own."""

    __tablename__ = "conversations"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    draft: Mapped[dict] = mapped_column(JSON, default=dict)
    question_id: Mapped[int | None] = mapped_column(BigInteger)
    # The first message sent with the question (a note, a reply keyboard): what the person
    # sends after it answers the question.
    question_from: Mapped[int | None] = mapped_column(BigInteger)
    outbox: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HandledUpdate(Base):
    """An update the bot has handled, so a redelivery (webhook retry, restart, another
    instance) is handled once. Pruned after a day."""

    __tablename__ = "handled_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# --- parts, labour and stock ------------------------------------------------------------------

class Part(Base):
    """A spare part in the catalogue. Prices are integer fen."""

    __tablename__ = "parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)  # upper case, as shown
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100))  # casefolded name, for searching
    price: Mapped[int] = mapped_column(Integer)
    warranty_months: Mapped[int] = mapped_column(Integer, default=0)
    min_level: Mapped[int] = mapped_column(Integer, default=0)  # in the main warehouse
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LabourItem(Base):
    """A priced piece of work a quote may list: call-out, an hour of repair labour..."""

    __tablename__ = "labour_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[int] = mapped_column(Integer)
    # The appliance category it is for (e.g. air_conditioner), None for any appliance.
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Warehouse(Base):
    """The main warehouse (key "main") or a technician's van (key "van:<user id>")."""

    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # main, van
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StockLevel(Base):
    """How many of a part a warehouse holds: the sum of its ledger rows, kept in the same
    transaction as each row and never below zero (see core.stock)."""

    __tablename__ = "stock_levels"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)


class StockMovement(Base):
    """The stock ledger: one row per movement, never changed. `quantity` is signed: positive
    into `warehouse_id`, negative out of it. A transfer is two rows (transfer_out at the
    source, transfer_in at the destination), each naming the other warehouse."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # receive, issue, transfer_out, transfer_in, scrap, count_adjustment
    kind: Mapped[str] = mapped_column(String(24))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    balance: Mapped[int] = mapped_column(Integer)  # the warehouse's level after this row
    other_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # The document a movement belongs to (issue 15): a van request, a count sheet.
    van_request_id: Mapped[int | None] = mapped_column(ForeignKey("van_requests.id"), index=True)
    count_sheet_id: Mapped[int | None] = mapped_column(ForeignKey("count_sheets.id"), index=True)

    __table_args__ = (Index("ix_stock_movements_warehouse_part", "warehouse_id", "part_id"),)


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


# --- van replenishment and the monthly count (issue 15) ---------------------------------------

class VanRequest(Base):
    """A technician asking for parts from the main warehouse for their van (调拨申请): pending
    until a manager approves it (the stock moves, ledger rows point here) or refuses it."""

    __tablename__ = "van_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, approved, refused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was refused

    lines: Mapped[list[VanRequestLine]] = relationship(
        order_by="VanRequestLine.id", cascade="all, delete-orphan", lazy="selectin"
    )


class VanRequestLine(Base):
    """One part of a van request: how many were asked for, and how many were approved."""

    __tablename__ = "van_request_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("van_requests.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)  # asked for
    approved: Mapped[int | None] = mapped_column(Integer)  # moved, once approved (0: dropped)

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      UniqueConstraint("request_id", "part_id"))


class CountSheet(Base):
    """A stock count of one warehouse (盘点表): system and counted quantity per part, who
    counted and who confirmed. Its differences become ledger rows when it is confirmed."""

    __tablename__ = "count_sheets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # awaiting, confirmed
    counted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[CountSheetLine]] = relationship(
        order_by="CountSheetLine.id", cascade="all, delete-orphan", lazy="selectin"
    )


class CountSheetLine(Base):
    """One counted part of a count sheet."""

    __tablename__ = "count_sheet_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("count_sheets.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    system: Mapped[int] = mapped_column(Integer)  # the books when counted
    counted: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("counted >= 0", name="counted_not_negative"),
                      UniqueConstraint("sheet_id", "part_id"))

    @property
    def difference(self) -> int:
        return self.counted - self.system


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
