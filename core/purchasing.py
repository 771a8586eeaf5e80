"""Purchasing (采购: 根据销售预测和库存情况确定采购计划, 向供应商发出采购订单).

Suppliers and the parts they supply (price in fen, lead time in days), kept by a manager.

A purchase order (P-1001, numbered from its id like service orders) goes to one supplier and
moves only along TRANSITIONS; every change is a PurchaseOrderEvent (who, when, from, to, note):

  draft ──send──▶ sent ──receive──▶ partly_received ──receive──▶ received
  draft / sent / partly_received ──cancel──▶ cancelled

Only a draft's quantities change. Receiving is core.receiving's.

The suggested purchase list (`suggestions`): for each active part, on hand in all warehouses,
the likely use (issues to orders in the last 30 days, scaled to the longest lead time of its
suppliers, or 30 days when it has none), its minimum, what open purchase orders (draft, sent,
partly received) still bring, and max(0, minimum + likely use − on hand − on order).
`make_drafts` turns it into one draft per supplier (each part from its cheapest supplier).
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from .catalogue import clean_name, clean_price, get_part, whole_number
from .desk import UnitOfWork
from .errors import InvalidInput, NotFound, TransitionRefused
from .models import (
    Part,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierPart,
    User,
)
from .parsing import clean_text
from .roles import require_manager

log = logging.getLogger(__name__)

DRAFT, SENT, PARTLY, RECEIVED, CANCELLED = (
    "draft", "sent", "partly_received", "received", "cancelled")
STATUSES = (DRAFT, SENT, PARTLY, RECEIVED, CANCELLED)
TRANSITIONS = {
    DRAFT: {SENT, CANCELLED},
    SENT: {PARTLY, RECEIVED, CANCELLED},
    PARTLY: {PARTLY, RECEIVED, CANCELLED},
    RECEIVED: set(),
    CANCELLED: set(),
}
OPEN = (DRAFT, SENT, PARTLY)  # what is still on order
RECEIVABLE = (SENT, PARTLY)
NUMBER_OFFSET = 1000
CONTACT_MAX = 200
LEAD_MAX = 365
QUANTITY_MAX = 99_999
USAGE_DAYS = 30
PAGE_SIZE = 20


@dataclass(frozen=True)
class SupplierView:
    id: int
    name: str
    contact: str | None
    parts: tuple[tuple[str, str, int, int], ...]  # (sku, name, price fen, lead days)


@dataclass(frozen=True)
class Suggestion:
    part_id: int
    sku: str
    name: str
    on_hand: int
    likely_use: int
    minimum: int
    on_order: int
    suggested: int
    supplier_id: int | None  # the cheapest supplier, None when none supplies it
    supplier: str | None


@dataclass(frozen=True)
class POLine:
    id: int
    part_id: int
    sku: str
    name: str
    quantity: int
    unit_price: int
    received: int
    failed: int

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    @property
    def outstanding(self) -> int:
        return max(0, self.quantity - self.received)


@dataclass(frozen=True)
class POView:
    id: int
    number: str
    status: str
    supplier_id: int
    supplier: str
    contact: str | None
    created_at: datetime
    lines: tuple[POLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def po_number(order_id: int) -> str:
    return f"P-{NUMBER_OFFSET + order_id}"


# --- suppliers --------------------------------------------------------------------------------

async def add_supplier(uow: UnitOfWork, manager: User, name: str,
                       contact: str | None = None) -> Supplier:
    require_manager(manager)
    supplier = Supplier(name=clean_name(name), active=True, created_at=uow.now(),
                        contact=clean_text(contact, "contact", maximum=CONTACT_MAX,
                                           multiline=True) or None)
    uow.session.add(supplier)
    await uow.session.flush()
    log.info("supplier %s added", supplier.id)
    return supplier


async def get_supplier(uow: UnitOfWork, supplier_id) -> Supplier:
    found = (await uow.session.get(Supplier, supplier_id)
             if isinstance(supplier_id, int) and not isinstance(supplier_id, bool) else None)
    if found is None or not found.active:
        raise NotFound(what="supplier")
    return found


async def supply_part(uow: UnitOfWork, manager: User, supplier_id: int, part, price: int,
                      lead_days: int) -> SupplierPart:
    """The supplier supplies this part at `price` fen in `lead_days` days (again: updated)."""
    require_manager(manager)
    supplier = await get_supplier(uow, supplier_id)
    part = await get_part(uow, part)
    price = clean_price(price)
    lead_days = whole_number(lead_days, "lead_days", 0, LEAD_MAX)
    row = await uow.session.get(SupplierPart, (supplier.id, part.id))
    if row is None:
        row = SupplierPart(supplier_id=supplier.id, part_id=part.id)
        uow.session.add(row)
    row.price, row.lead_days, row.updated_at = price, lead_days, uow.now()
    await uow.session.flush()
    return row


async def suppliers(uow: UnitOfWork, manager: User) -> list[SupplierView]:
    require_manager(manager)
    found = (await uow.session.scalars(
        select(Supplier).where(Supplier.active.is_(True)).order_by(Supplier.name, Supplier.id)
    )).all()
    return [await supplier_view(uow, manager, s.id) for s in found]


async def supplier_view(uow: UnitOfWork, manager: User, supplier_id) -> SupplierView:
    require_manager(manager)
    supplier = await get_supplier(uow, supplier_id)
    rows = await uow.session.execute(
        select(Part.sku, Part.name, SupplierPart.price, SupplierPart.lead_days)
        .join(Part, Part.id == SupplierPart.part_id)
        .where(SupplierPart.supplier_id == supplier.id).order_by(Part.sku))
    return SupplierView(supplier.id, supplier.name, supplier.contact,
                        tuple(tuple(r) for r in rows))


# --- the status, once -------------------------------------------------------------------------

async def transition(uow: UnitOfWork, actor: User | None, order: PurchaseOrder, to: str,
                     note: str | None = None) -> None:
    """Moves a purchase order to `to` if TRANSITIONS allows it, with its event row."""
    if to not in TRANSITIONS.get(order.status, ()):
        raise TransitionRefused(action=to, status=order.status, reason="purchase_order",
                                order=order.number)
    uow.session.add(PurchaseOrderEvent(order_id=order.id, at=uow.now(),
                                       actor_id=actor.id if actor else None,
                                       from_status=order.status, to_status=to, note=note))
    order.status, order.updated_at = to, uow.now()


async def create_order(uow: UnitOfWork, manager: User, supplier_id: int,
                       lines) -> PurchaseOrder:
    """A draft purchase order: `lines` are (part, quantity) pairs, priced from the supplier's
    list (the part's catalogue price when the supplier has none for it)."""
    require_manager(manager)
    supplier = await get_supplier(uow, supplier_id)
    wanted: dict[int, int] = {}
    for part, quantity in lines or ():
        found = await get_part(uow, part)
        wanted[found.id] = wanted.get(found.id, 0) + whole_number(quantity, "quantity", 1,
                                                                  QUANTITY_MAX)
    if not wanted:
        raise InvalidInput(field="lines", reason="empty")
    now = uow.now()
    order = PurchaseOrder(supplier_id=supplier.id, status=DRAFT, created_by_id=manager.id,
                          created_at=now, updated_at=now)
    uow.session.add(order)
    await uow.session.flush()
    order.number = po_number(order.id)
    prices = dict((await uow.session.execute(
        select(SupplierPart.part_id, SupplierPart.price)
        .where(SupplierPart.supplier_id == supplier.id,
               SupplierPart.part_id.in_(list(wanted))))).all())
    for part_id, quantity in sorted(wanted.items()):
        price = prices.get(part_id)
        if price is None:
            price = (await uow.session.get(Part, part_id)).price
        uow.session.add(PurchaseOrderLine(order_id=order.id, part_id=part_id, quantity=quantity,
                                          unit_price=price, received=0, failed=0))
    uow.session.add(PurchaseOrderEvent(order_id=order.id, at=now, actor_id=manager.id,
                                       from_status=None, to_status=DRAFT))
    await uow.session.flush()
    await uow.session.refresh(order, ["lines"])
    log.info("purchase order %s drafted", order.number)
    return order


async def get_order(uow: UnitOfWork, manager: User, order_id, *,
                    lock: bool = False) -> PurchaseOrder:
    require_manager(manager)
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise NotFound(what="purchase_order")
    query = select(PurchaseOrder).where(PurchaseOrder.id == order_id) \
        .execution_options(populate_existing=True)
    order = await uow.session.scalar(query.with_for_update() if lock else query)
    if order is None:
        raise NotFound(what="purchase_order")
    return order


async def send(uow: UnitOfWork, manager: User, order_id: int) -> PurchaseOrder:
    """Marks a draft sent to its supplier."""
    order = await get_order(uow, manager, order_id, lock=True)
    await transition(uow, manager, order, SENT)
    await uow.session.flush()
    return order


async def cancel(uow: UnitOfWork, manager: User, order_id: int,
                 note: str | None = None) -> PurchaseOrder:
    order = await get_order(uow, manager, order_id, lock=True)
    await transition(uow, manager, order, CANCELLED, clean_text(note, "note", maximum=300))
    await uow.session.flush()
    return order


async def editable_line(uow: UnitOfWork, manager: User, order_id: int, line_id: int, *,
                        lock: bool = False) -> tuple[PurchaseOrder, PurchaseOrderLine]:
    """A line of a draft (only a draft's quantities change): TransitionRefused otherwise."""
    order = await get_order(uow, manager, order_id, lock=lock)
    if order.status != DRAFT:
        raise TransitionRefused(action="edit", status=order.status, reason="purchase_order",
                                order=order.number)
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound(what="purchase_order")
    return order, line


async def set_quantity(uow: UnitOfWork, manager: User, order_id: int, line_id: int,
                       quantity: int) -> PurchaseOrder:
    """A draft line's new quantity (1 to QUANTITY_MAX); only a draft changes."""
    order, line = await editable_line(uow, manager, order_id, line_id, lock=True)
    line.quantity = whole_number(quantity, "quantity", 1, QUANTITY_MAX)
    order.updated_at = uow.now()
    await uow.session.flush()
    return order


async def view(uow: UnitOfWork, manager: User, order_id) -> POView:
    order = await get_order(uow, manager, order_id)
    supplier = await uow.session.get(Supplier, order.supplier_id)
    ids = [line.part_id for line in order.lines]
    parts = {p.id: p for p in await uow.session.scalars(select(Part).where(Part.id.in_(ids)))}
    lines = tuple(sorted((POLine(line.id, line.part_id, parts[line.part_id].sku,
                                 parts[line.part_id].name, line.quantity, line.unit_price,
                                 line.received, line.failed) for line in order.lines),
                         key=lambda line: line.sku))
    return POView(order.id, order.number, order.status, supplier.id, supplier.name,
                  supplier.contact, order.created_at, lines)


async def orders(uow: UnitOfWork, manager: User, statuses=OPEN,
                 limit: int = PAGE_SIZE) -> list[POView]:
    """Purchase orders in these statuses, oldest first."""
    require_manager(manager)
    ids = (await uow.session.scalars(
        select(PurchaseOrder.id).where(PurchaseOrder.status.in_(statuses))
        .order_by(PurchaseOrder.id).limit(limit))).all()
    return [await view(uow, manager, i) for i in ids]


# --- the suggested purchase list ----------------------------------------------------------------

async def suggestions(uow: UnitOfWork, manager: User) -> list[Suggestion]:
    """Every active part, by SKU (see the module's docstring)."""
    require_manager(manager)
    session = uow.session
    parts = (await session.scalars(
        select(Part).where(Part.active.is_(True)).order_by(Part.sku))).all()
    on_hand = dict((await session.execute(
        select(StockLevel.part_id, func.sum(StockLevel.quantity))
        .group_by(StockLevel.part_id))).all())
    since = uow.now() - timedelta(days=USAGE_DAYS)
    used = dict((await session.execute(
        select(StockMovement.part_id, -func.sum(StockMovement.quantity))
        .where(StockMovement.kind == "issue", StockMovement.at >= since)
        .group_by(StockMovement.part_id))).all())
    on_order: dict[int, int] = {}
    for part_id, quantity, received in await session.execute(
            select(PurchaseOrderLine.part_id, PurchaseOrderLine.quantity,
                   PurchaseOrderLine.received)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
            .where(PurchaseOrder.status.in_(OPEN))):
        on_order[part_id] = on_order.get(part_id, 0) + max(0, quantity - received)
    offers: dict[int, list] = {}
    for part_id, supplier_id, name, price, lead in await session.execute(
            select(SupplierPart.part_id, Supplier.id, Supplier.name, SupplierPart.price,
                   SupplierPart.lead_days)
            .join(Supplier, Supplier.id == SupplierPart.supplier_id)
            .where(Supplier.active.is_(True))):
        offers.setdefault(part_id, []).append((price, lead, supplier_id, name))
    result = []
    for part in parts:
        offered = sorted(offers.get(part.id, []))
        lead = max((o[1] for o in offered), default=USAGE_DAYS)
        use = int(used.get(part.id) or 0)
        likely = -(-use * lead // USAGE_DAYS)  # rounded up
        have, coming = int(on_hand.get(part.id) or 0), on_order.get(part.id, 0)
        suggested = max(0, part.min_level + likely - have - coming)
        result.append(Suggestion(part.id, part.sku, part.name, have, likely, part.min_level,
                                 coming, suggested, offered[0][2] if offered else None,
                                 offered[0][3] if offered else None))
    return result


async def make_drafts(uow: UnitOfWork, manager: User) -> tuple[list[PurchaseOrder],
                                                               list[Suggestion]]:
    """One draft per supplier from the suggested list; and the parts to buy that no supplier
    supplies (left out)."""
    listed = await suggestions(uow, manager)
    by_supplier: dict[int, list] = {}
    unsupplied = []
    for s in listed:
        if not s.suggested:
            continue
        if s.supplier_id is None:
            unsupplied.append(s)
        else:
            by_supplier.setdefault(s.supplier_id, []).append((s.part_id, s.suggested))
    made = [await create_order(uow, manager, supplier_id, lines)
            for supplier_id, lines in sorted(by_supplier.items())]
    return made, unsupplied


# --- the document for the supplier --------------------------------------------------------------

def _cell(text: str | None) -> str:
    text = (text or "").strip()
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def export_csv(order: POView, words) -> tuple[bytes, str]:
    """The purchase order as CSV (UTF-8 with a BOM, for Excel): `words(key)` gives the
    column titles in the manager's language."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([words("number"), order.number])
    writer.writerow([words("supplier"), _cell(order.supplier)])
    writer.writerow([words("contact"), _cell(order.contact)])
    writer.writerow([])
    writer.writerow([words(k) for k in ("sku", "name", "quantity", "unit_price", "amount")])
    for line in order.lines:
        writer.writerow([_cell(line.sku), _cell(line.name), line.quantity,
                         yuan(line.unit_price), yuan(line.amount)])
    writer.writerow(["", words("total"), "", "", yuan(order.total)])
    return out.getvalue().encode("utf-8-sig"), f"{order.number}.csv"


def suggestions_csv(listed: list[Suggestion], words, day: str) -> tuple[bytes, str]:
    """The whole suggested purchase list, every active part, as CSV (UTF-8 with a BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([words(k) for k in ("sku", "name", "on_hand", "likely_use", "minimum",
                                        "on_order", "suggested", "supplier")])
    for s in listed:
        writer.writerow([_cell(s.sku), _cell(s.name), s.on_hand, s.likely_use, s.minimum,
                         s.on_order, s.suggested, _cell(s.supplier)])
    return out.getvalue().encode("utf-8-sig"), f"purchase_list_{day}.csv"
