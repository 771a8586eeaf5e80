"""Spare-parts stock: warehouses, the ledger of every movement, and the levels.

Warehouses. The main one (key "main") and one van per technician (key "van:<user id>"),
each created the first time it is needed.

The ledger (`stock_movements`) has one row per movement and is never changed. `quantity` is
signed, as seen from the row's warehouse: positive in, negative out. Kinds:
  receive           goods in (to the main warehouse unless another is named), with a note
  issue             out to an order (negative; `order_id` set)
  transfer_out/_in  a transfer is two rows, out of the source and into the destination, each
                    naming the other warehouse in `other_warehouse_id`
  scrap             out, with the reason as the note
  count_adjustment  counted minus expected, after a stock count
Every row names who (`actor_id`), when (`at`) and the warehouse's level after it (`balance`).

Levels (`stock_levels`) are kept in the same transaction as the rows, so a level is always
the sum of its warehouse's rows for that part (tests check it after random moves), and a CHECK
constraint keeps it at zero or more.

Concurrency. Every movement first locks the level rows it reads, then checks, then writes:
missing rows are inserted (quantity 0, ON CONFLICT DO NOTHING), then the rows are read with
SELECT ... FOR UPDATE in (warehouse, part) order. On PostgreSQL the rows stay locked to the
end of the transaction, so two issues of the last unit run one after the other and the second
sees 0 (READ COMMITTED: it reads what the first committed) and is refused; the fixed order
means two movements of the same rows cannot deadlock. On SQLite the insert takes the
database's single write lock until commit (SQLite renders no FOR UPDATE and needs none), the
same as core.booking's window lock. A refusal comes before any ledger row is added.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from . import lifecycle
from .access import locked
from .catalogue import get_part, whole_number
from .desk import UnitOfWork
from .errors import DomainError, InvalidInput, NotFound, TransitionRefused
from .models import Part, ServiceOrder, StockLevel, StockMovement, User, Warehouse
from .parsing import clean_text
from .roles import require_manager

log = logging.getLogger(__name__)

MAIN, VAN = "main", "van"
RECEIVE, ISSUE, SCRAP, COUNT_ADJUSTMENT = "receive", "issue", "scrap", "count_adjustment"
TRANSFER_OUT, TRANSFER_IN = "transfer_out", "transfer_in"
KINDS = (RECEIVE, ISSUE, TRANSFER_OUT, TRANSFER_IN, SCRAP, COUNT_ADJUSTMENT)
QUANTITY_MAX = 100_000
NOTE_MAX = 300
REASON_MIN = 2
PAGE_SIZE = 20
# An order takes parts while the technician works on it.
ISSUE_STATUSES = (lifecycle.ON_SITE, lifecycle.IN_PROGRESS)


class NotEnoughStock(DomainError):
    """Fewer units than asked for: details name the part (`sku`), `requested`, `available`,
    and for an issue to an order how many the `van` and the `main` warehouse hold."""

    code = "not_enough_stock"


@dataclass(frozen=True)
class WarehouseInfo:
    id: int
    key: str  # "main" or "van:<user id>"
    kind: str  # main, van
    technician_id: int | None
    technician_name: str | None


@dataclass(frozen=True)
class LevelLine:
    part_id: int
    sku: str
    name: str
    quantity: int
    min_level: int
    under_minimum: bool  # main warehouse only: fewer than the part's minimum level
    active: bool


@dataclass(frozen=True)
class CountLine:
    part_id: int
    sku: str
    name: str
    expected: int  # the level before the count
    counted: int
    difference: int  # counted - expected: the adjustment recorded


@dataclass(frozen=True)
class LedgerLine:
    id: int
    at: datetime  # aware UTC
    kind: str
    part_id: int
    sku: str
    name: str
    warehouse_id: int
    quantity: int  # signed: + into the warehouse, - out of it
    balance: int  # the warehouse's level after this row
    other_warehouse_id: int | None
    order_number: str | None
    actor_id: int | None
    actor_name: str | None
    note: str | None
    van_request_id: int | None = None  # the document the row belongs to (issue 15)
    count_sheet_id: int | None = None


# --- warehouses -------------------------------------------------------------------------------

def _insert(dialect: str):
    return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]


async def _dialect(uow: UnitOfWork) -> str:
    return (await uow.session.connection()).dialect.name


async def _warehouse(uow: UnitOfWork, key: str, kind: str,
                     technician_id: int | None) -> Warehouse:
    found = await uow.session.scalar(select(Warehouse).where(Warehouse.key == key))
    if found is not None:
        return found
    insert = _insert(await _dialect(uow))
    await uow.session.execute(
        insert(Warehouse).values(key=key, kind=kind, technician_id=technician_id,
                                 created_at=uow.now())
        .on_conflict_do_nothing(index_elements=["key"]))
    return await uow.session.scalar(select(Warehouse).where(Warehouse.key == key))


async def main_warehouse(uow: UnitOfWork) -> Warehouse:
    """The main warehouse, created the first time it is needed."""
    return await _warehouse(uow, MAIN, MAIN, None)


async def van(uow: UnitOfWork, technician: User) -> Warehouse:
    """The technician's van, created the first time it is needed."""
    if technician is None or technician.role != lifecycle.TECHNICIAN:
        raise NotFound(what="warehouse")
    return await _warehouse(uow, f"{VAN}:{technician.id}", VAN, technician.id)


async def get_warehouse(uow: UnitOfWork, warehouse: Warehouse | int | str) -> Warehouse:
    """A warehouse by itself, its id, or "main"; NotFound(what="warehouse") otherwise."""
    if isinstance(warehouse, Warehouse):
        return warehouse
    if warehouse == MAIN:
        return await main_warehouse(uow)
    found = (await uow.session.get(Warehouse, warehouse)
             if isinstance(warehouse, int) and not isinstance(warehouse, bool) else None)
    if found is None:
        raise NotFound(what="warehouse")
    return found


async def warehouse_choices(uow: UnitOfWork) -> list[WarehouseInfo]:
    """The main warehouse, then a van for every active technician (created if missing), then
    any other van that still holds stock (a deactivated technician's), by name."""
    await main_warehouse(uow)
    technicians = (await uow.session.scalars(
        select(User).where(User.role == lifecycle.TECHNICIAN, User.active.is_(True))
        .order_by(User.id))).all()
    for technician in technicians:
        await van(uow, technician)
    holding = select(StockLevel.warehouse_id).where(StockLevel.quantity > 0)
    rows = await uow.session.execute(
        select(Warehouse, User)
        .outerjoin(User, User.id == Warehouse.technician_id)
        .where(or_(Warehouse.kind == MAIN,
                   and_(User.role == lifecycle.TECHNICIAN, User.active.is_(True)),
                   Warehouse.id.in_(holding)))
        .order_by((Warehouse.kind != MAIN), User.name, Warehouse.id))
    return [_info(w, u) for w, u in rows]


def _info(warehouse: Warehouse, technician: User | None) -> WarehouseInfo:
    return WarehouseInfo(warehouse.id, warehouse.key, warehouse.kind, warehouse.technician_id,
                         technician.name if technician else None)


async def warehouse_info(uow: UnitOfWork, warehouse: Warehouse | int | str) -> WarehouseInfo:
    warehouse = await get_warehouse(uow, warehouse)
    technician = (await uow.session.get(User, warehouse.technician_id)
                  if warehouse.technician_id else None)
    return _info(warehouse, technician)


# --- locking levels and writing rows ----------------------------------------------------------

async def lock_levels(uow: UnitOfWork, keys) -> dict[tuple[int, int], int]:
    """Locks the level rows of these (warehouse id, part id) pairs, creating missing ones at
    0, and returns their quantities as they are now."""
    keys = sorted(set(keys))
    session, now = uow.session, uow.now()
    insert = _insert(await _dialect(uow))
    for warehouse_id, part_id in keys:
        await session.execute(
            insert(StockLevel).values(warehouse_id=warehouse_id, part_id=part_id, quantity=0,
                                      updated_at=now)
            .on_conflict_do_nothing(index_elements=["warehouse_id", "part_id"]))
    rows = await session.execute(
        select(StockLevel.warehouse_id, StockLevel.part_id, StockLevel.quantity)
        .where(or_(*(and_(StockLevel.warehouse_id == w, StockLevel.part_id == p)
                     for w, p in keys)))
        .order_by(StockLevel.warehouse_id, StockLevel.part_id)
        .with_for_update())
    return {(w, p): q for w, p, q in rows}


async def move(uow: UnitOfWork, levels: dict[tuple[int, int], int], kind: str, part: Part,
                warehouse_id: int, quantity: int, actor: User | None, *,
                other_warehouse_id: int | None = None, order_id: int | None = None,
                note: str | None = None, van_request_id: int | None = None,
                count_sheet_id: int | None = None,
                purchase_order_id: int | None = None) -> StockMovement:
    """One ledger row and its level change; `levels` holds the locked quantities."""
    key = (warehouse_id, part.id)
    balance = levels[key] + quantity
    if balance < 0:  # callers check first; this holds under `python -O` too
        raise NotEnoughStock(sku=part.sku, requested=-quantity, available=levels[key],
                             warehouse=None)
    levels[key] = balance
    now = uow.now()
    await uow.session.execute(
        update(StockLevel)
        .where(StockLevel.warehouse_id == warehouse_id, StockLevel.part_id == part.id)
        .values(quantity=StockLevel.quantity + quantity, updated_at=now)
        .execution_options(synchronize_session=False))
    movement = StockMovement(at=now, kind=kind, part_id=part.id, warehouse_id=warehouse_id,
                             quantity=quantity, balance=balance,
                             other_warehouse_id=other_warehouse_id, order_id=order_id,
                             actor_id=actor.id if actor else None, note=note,
                             van_request_id=van_request_id, count_sheet_id=count_sheet_id,
                             purchase_order_id=purchase_order_id)
    uow.session.add(movement)
    uow.stock_moved(part.id)  # managers hear of a part now under its minimum (reminder_queue)
    return movement


def _quantity(value) -> int:
    return whole_number(value, "quantity", 1, QUANTITY_MAX)


def _note(text: str | None) -> str | None:
    return clean_text(text, "note", maximum=NOTE_MAX, multiline=True)


def short_of(part: Part, requested: int, available: int, warehouse: Warehouse) -> NotEnoughStock:
    return NotEnoughStock(sku=part.sku, requested=requested, available=available,
                          warehouse=warehouse.key)


# --- a manager's movements --------------------------------------------------------------------

async def receive(uow: UnitOfWork, manager: User, part: Part | int | str, quantity: int,
                  note: str | None = None,
                  warehouse: Warehouse | int | str | None = None) -> StockMovement:
    """Goods in, to the main warehouse unless another is named; `note` e.g. the supplier."""
    require_manager(manager)
    part = await get_part(uow, part, include_inactive=True)
    quantity = _quantity(quantity)
    note = _note(note)
    target = await get_warehouse(uow, warehouse if warehouse is not None else MAIN)
    levels = await lock_levels(uow, [(target.id, part.id)])
    movement = await move(uow, levels, RECEIVE, part, target.id, quantity, manager, note=note)
    await uow.session.flush()
    log.info("stock: %s × %s received into %s", quantity, part.sku, target.key)
    return movement


async def transfer(uow: UnitOfWork, manager: User, part: Part | int | str, quantity: int,
                   source: Warehouse | int | str, destination: Warehouse | int | str,
                   note: str | None = None) -> tuple[StockMovement, StockMovement]:
    """Moves units between warehouses (main ↔ a van, or van to van): two rows."""
    require_manager(manager)
    part = await get_part(uow, part, include_inactive=True)
    quantity = _quantity(quantity)
    note = _note(note)
    source = await get_warehouse(uow, source)
    destination = await get_warehouse(uow, destination)
    if source.id == destination.id:
        raise InvalidInput(field="destination", reason="same_warehouse")
    levels = await lock_levels(uow, [(source.id, part.id), (destination.id, part.id)])
    if levels[(source.id, part.id)] < quantity:
        raise short_of(part, quantity, levels[(source.id, part.id)], source)
    out = await move(uow, levels, TRANSFER_OUT, part, source.id, -quantity, manager,
                      other_warehouse_id=destination.id, note=note)
    into = await move(uow, levels, TRANSFER_IN, part, destination.id, quantity, manager,
                       other_warehouse_id=source.id, note=note)
    await uow.session.flush()
    log.info("stock: %s × %s moved %s → %s", quantity, part.sku, source.key, destination.key)
    return out, into


async def scrap(uow: UnitOfWork, manager: User, part: Part | int | str, quantity: int,
                warehouse: Warehouse | int | str, reason: str) -> StockMovement:
    """Writes units off (damaged, expired...): the reason (2 to 300 characters) is required."""
    require_manager(manager)
    part = await get_part(uow, part, include_inactive=True)
    quantity = _quantity(quantity)
    reason = clean_text(reason, "reason", minimum=REASON_MIN, maximum=NOTE_MAX,
                        multiline=True)
    warehouse = await get_warehouse(uow, warehouse)
    levels = await lock_levels(uow, [(warehouse.id, part.id)])
    if levels[(warehouse.id, part.id)] < quantity:
        raise short_of(part, quantity, levels[(warehouse.id, part.id)], warehouse)
    movement = await move(uow, levels, SCRAP, part, warehouse.id, -quantity, manager,
                           note=reason)
    await uow.session.flush()
    return movement


async def _counted(uow: UnitOfWork, counted) -> dict[int, tuple[Part, int]]:
    if not isinstance(counted, dict) or not counted:
        raise InvalidInput(field="counted", reason="empty")
    result: dict[int, tuple[Part, int]] = {}
    for key, value in counted.items():
        part = await get_part(uow, key, include_inactive=True)
        result[part.id] = (part, whole_number(value, "counted", 0, QUANTITY_MAX))
    return result


async def count_preview(uow: UnitOfWork, manager: User, warehouse: Warehouse | int | str,
                        counted: dict) -> list[CountLine]:
    """The differences a count would record, writing nothing: to show before confirming.
    `counted` maps parts (objects, ids or SKUs) to the quantities found; parts left out are
    not counted."""
    require_manager(manager)
    warehouse = await get_warehouse(uow, warehouse)
    wanted = await _counted(uow, counted)
    rows = dict((await uow.session.execute(
        select(StockLevel.part_id, StockLevel.quantity)
        .where(StockLevel.warehouse_id == warehouse.id,
               StockLevel.part_id.in_(list(wanted))))).all())
    return [CountLine(p.id, p.sku, p.name, rows.get(p.id, 0), n, n - rows.get(p.id, 0))
            for p, n in sorted(wanted.values(), key=lambda pn: pn[0].sku)]


async def count(uow: UnitOfWork, manager: User, warehouse: Warehouse | int | str,
                counted: dict, note: str | None = None) -> list[CountLine]:
    """Records a stock count: for each counted part whose level differs, a count_adjustment
    row of counted minus expected (against the level at this moment, locked), after which the
    level is what was counted. Returns every counted part's line, differences or not."""
    require_manager(manager)
    warehouse = await get_warehouse(uow, warehouse)
    wanted = await _counted(uow, counted)
    note = _note(note)
    levels = await lock_levels(uow, [(warehouse.id, part_id) for part_id in wanted])
    lines = []
    for part, number in sorted(wanted.values(), key=lambda pn: pn[0].sku):
        expected = levels[(warehouse.id, part.id)]
        if number != expected:
            await move(uow, levels, COUNT_ADJUSTMENT, part, warehouse.id, number - expected,
                        manager, note=note)
        lines.append(CountLine(part.id, part.sku, part.name, expected, number,
                               number - expected))
    await uow.session.flush()
    log.info("stock: %s counted, %s differences", warehouse.key,
             sum(1 for line in lines if line.difference))
    return lines


# --- issuing parts to an order ----------------------------------------------------------------

async def issue_to_order(uow: UnitOfWork, part: Part | int | str, quantity: int,
                         order: ServiceOrder | int | str, technician: User,
                         note: str | None = None) -> list[StockMovement]:
    """Issues parts to the technician's own order (on site or in progress), taking from their
    van first, then from the main warehouse: one or two rows. NotEnoughStock when both
    together hold too few; nothing is written then."""
    if technician is None or technician.role != lifecycle.TECHNICIAN:
        raise NotFound(what="order")
    order = await locked(uow, technician, order)
    if order.status not in ISSUE_STATUSES:
        raise TransitionRefused(action="issue", status=order.status, reason="status",
                                order=order.number)
    part = await get_part(uow, part, include_inactive=True)
    quantity = _quantity(quantity)
    return await issue_parts(uow, technician, order, [(part, quantity)], note=_note(note))


async def issue_parts(uow: UnitOfWork, technician: User, order: ServiceOrder,
                      wanted: list[tuple[Part, int]],
                      note: str | None = None) -> list[StockMovement]:
    """Issues several parts at once, all or nothing (for completing a job); the caller has
    checked who and what. Each part comes from the van first, then the main warehouse."""
    totals: dict[int, int] = {}
    parts: dict[int, Part] = {}
    for part, quantity in wanted:
        totals[part.id] = totals.get(part.id, 0) + quantity
        parts[part.id] = part
    if not totals:
        return []
    own_van = await van(uow, technician)
    main = await main_warehouse(uow)
    levels = await lock_levels(
        uow, [(w.id, p) for p in totals for w in (own_van, main)])
    for part_id, quantity in totals.items():
        in_van, in_main = levels[(own_van.id, part_id)], levels[(main.id, part_id)]
        if in_van + in_main < quantity:
            raise NotEnoughStock(sku=parts[part_id].sku, requested=quantity,
                                 available=in_van + in_main, van=in_van, main=in_main)
    movements = []
    for part_id, quantity in totals.items():
        from_van = min(quantity, levels[(own_van.id, part_id)])
        for warehouse, taken in ((own_van, from_van), (main, quantity - from_van)):
            if taken:
                movements.append(await move(uow, levels, ISSUE, parts[part_id], warehouse.id,
                                             -taken, technician, order_id=order.id,
                                             note=note))
    await uow.session.flush()
    log.info("stock: order %s took %s", order.number,
             ", ".join(f"{q} × {parts[p].sku}" for p, q in totals.items()))
    return movements


