"""People, their addresses and appliances, orders and their events, sales orders, and what
the chat keeps (conversations, handled updates)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime


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

    # Loaded when asked for (awaitable_attrs, selectinload): every update reads its person,
    # and only technicians' lists and staff screens need these.
    skills: Mapped[list[TechnicianSkill]] = relationship(
        cascade="all, delete-orphan", lazy="select"
    )
    areas: Mapped[list[TechnicianArea]] = relationship(
        cascade="all, delete-orphan", lazy="select"
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
                            "window_start", "id"),
                      # A day's orders by status: /orders today, counted and paged.
                      Index("ix_service_orders_day_status", "booked_date", "status",
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

    __table_args__ = (Index("ix_order_events_action_at", "action", "at"),
                      # When an order last went in progress (the overdue filter).
                      Index("ix_order_events_entered", "order_id", "to_status", "at",
                            postgresql_include=["from_status"]))


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
