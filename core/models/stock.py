"""Parts, labour items, warehouses, stock levels and the ledger; van requests and count
sheets, the documents stock moves for."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime

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
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"),
                                                          index=True)

    __table_args__ = (Index("ix_stock_movements_warehouse_part", "warehouse_id", "part_id"),)


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


# --- purchasing and receiving against the purchase order (issue 15) ---------------------------

class Supplier(Base):
    """A company the parts are bought from (供应商)."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(Text)  # phone, person, WeChat: as typed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SupplierPart(Base):
    """A part a supplier supplies: its price (fen) and lead time (days)."""

    __tablename__ = "supplier_parts"

    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), primary_key=True, index=True)
    price: Mapped[int] = mapped_column(Integer)
    lead_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("price >= 0", name="price_not_negative"),
                      CheckConstraint("lead_days >= 0", name="lead_not_negative"))


class PurchaseOrder(Base):
    """A purchase order to one supplier (采购订单), numbered P-1001...; its status moves only as
    core.purchasing allows, each change a PurchaseOrderEvent."""

    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    # draft, sent, partly_received, received, cancelled
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        order_by="PurchaseOrderLine.id", cascade="all, delete-orphan", lazy="selectin"
    )


class PurchaseOrderLine(Base):
    """One part of a purchase order: ordered, and so far received (passed inspection, in
    stock) and failed (refused at inspection)."""

    __tablename__ = "purchase_order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)  # fen
    received: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      CheckConstraint("received >= 0 AND failed >= 0", name="counts_not_negative"),
                      UniqueConstraint("order_id", "part_id"))


class PurchaseOrderEvent(Base):
    """A purchase order's status change: who, when, from, to, note."""

    __tablename__ = "purchase_order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class PurchaseReceipt(Base):
    """One line of one delivery checked against its purchase order (收货单): how many arrived,
    how many failed inspection and why (a photo if taken). Passed units went into stock."""

    __tablename__ = "purchase_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    arrived: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)  # why they failed
    photo_file_id: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (CheckConstraint("arrived >= 0 AND failed >= 0 AND failed <= arrived",
                                      name="counts_valid"),)
