"""What the stock holds: a part's level in a warehouse, a warehouse's levels, the ledger, parts
under their minimum (in the main warehouse, after movements, after a count), and checks for a
manager typing a quantity. Movements themselves are core.stock."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select

from .catalogue import get_part, parse_number
from .desk import UnitOfWork
from .models import Part, ServiceOrder, StockLevel, StockMovement, User, Warehouse
from .paging import Page, page_bounds
from .stock import (
    MAIN,
    PAGE_SIZE,
    QUANTITY_MAX,
    CountLine,
    LedgerLine,
    LevelLine,
    get_warehouse,
    main_warehouse,
    short_of,
)


async def level(uow: UnitOfWork, warehouse: Warehouse | int | str,
                part: Part | int | str) -> int:
    warehouse = await get_warehouse(uow, warehouse)
    part = await get_part(uow, part, include_inactive=True)
    return await uow.session.scalar(
        select(StockLevel.quantity).where(StockLevel.warehouse_id == warehouse.id,
                                          StockLevel.part_id == part.id)) or 0


async def levels(uow: UnitOfWork, warehouse: Warehouse | int | str, page: int = 1,
                 page_size: int = PAGE_SIZE, *,
                 under_minimum_only: bool = False) -> Page[LevelLine]:
    """A warehouse's levels by SKU. The main warehouse lists every active part (those it has
    none of too, since they may be under their minimum) and any inactive part it still holds;
    a van lists the parts it holds. Only the main warehouse has minimum levels."""
    warehouse = await get_warehouse(uow, warehouse)
    quantity = func.coalesce(StockLevel.quantity, 0)
    main = warehouse.kind == MAIN
    joined = (select(Part, quantity.label("quantity"))
              .outerjoin(StockLevel, and_(StockLevel.part_id == Part.id,
                                          StockLevel.warehouse_id == warehouse.id)))
    conditions = [or_(Part.active.is_(True), quantity > 0)] if main else [quantity > 0]
    if under_minimum_only:
        conditions.append(quantity < Part.min_level if main else false())
    total = await uow.session.scalar(
        select(func.count()).select_from(joined.where(*conditions).subquery())) or 0
    page, page_size, offset = page_bounds(page, page_size, total, PAGE_SIZE)
    rows = await uow.session.execute(
        joined.where(*conditions).order_by(Part.sku).offset(offset).limit(page_size))
    items = tuple(
        LevelLine(part.id, part.sku, part.name, number, part.min_level,
                  main and number < part.min_level, part.active)
        for part, number in rows)
    return Page(items, page, page_size, total)


async def low_stock(uow: UnitOfWork) -> list[LevelLine]:
    """Active parts the main warehouse holds fewer of than their minimum level, by SKU."""
    main = await main_warehouse(uow)
    quantity = func.coalesce(StockLevel.quantity, 0)
    rows = await uow.session.execute(
        select(Part, quantity)
        .outerjoin(StockLevel, and_(StockLevel.part_id == Part.id,
                                    StockLevel.warehouse_id == main.id))
        .where(Part.active.is_(True), quantity < Part.min_level)
        .order_by(Part.sku))
    return [LevelLine(p.id, p.sku, p.name, n, p.min_level, True, p.active) for p, n in rows]


async def ledger(uow: UnitOfWork, *, warehouse: Warehouse | int | str | None = None,
                 part: Part | int | str | None = None, order: ServiceOrder | None = None,
                 page: int = 1, page_size: int = PAGE_SIZE) -> Page[LedgerLine]:
    """Ledger rows, newest first, of a warehouse, a part and/or an order."""
    conditions = []
    if warehouse is not None:
        conditions.append(StockMovement.warehouse_id == (await get_warehouse(uow, warehouse)).id)
    if part is not None:
        conditions.append(StockMovement.part_id == (await get_part(
            uow, part, include_inactive=True)).id)
    if order is not None:
        conditions.append(StockMovement.order_id == order.id)
    total = await uow.session.scalar(
        select(func.count(StockMovement.id)).where(*conditions)) or 0
    page, page_size, offset = page_bounds(page, page_size, total, PAGE_SIZE)
    rows = await uow.session.execute(
        select(StockMovement, Part, ServiceOrder.number, User.name)
        .join(Part, Part.id == StockMovement.part_id)
        .outerjoin(ServiceOrder, ServiceOrder.id == StockMovement.order_id)
        .outerjoin(User, User.id == StockMovement.actor_id)
        .where(*conditions)
        .order_by(StockMovement.id.desc()).offset(offset).limit(page_size))
    items = tuple(
        LedgerLine(m.id, m.at, m.kind, p.id, p.sku, p.name, m.warehouse_id, m.quantity,
                   m.balance, m.other_warehouse_id, number, m.actor_id, actor_name, m.note,
                   m.van_request_id, m.count_sheet_id)
        for m, p, number, actor_name in rows)
    return Page(items, page, page_size, total)


# --- added for the managers' chat (issue 5): levels of chosen parts, falling under minimum ----

async def quantities(uow: UnitOfWork, warehouse: Warehouse | int | str,
                     part_ids) -> dict[int, int]:
    """How many of each of these parts a warehouse holds (0 for none), in one query: for
    showing levels beside a page of parts."""
    warehouse = await get_warehouse(uow, warehouse)
    wanted = [p for p in dict.fromkeys(part_ids)
              if isinstance(p, int) and not isinstance(p, bool)]
    if not wanted:
        return {}
    rows = dict((await uow.session.execute(
        select(StockLevel.part_id, StockLevel.quantity)
        .where(StockLevel.warehouse_id == warehouse.id,
               StockLevel.part_id.in_(wanted)))).all())
    return {p: rows.get(p, 0) for p in wanted}


@dataclass(frozen=True)
class UnderMinimum:
    part_id: int
    sku: str
    name: str
    quantity: int  # the main warehouse's level after the movements
    min_level: int
    crossed: bool  # these movements took it from its minimum or above to below it


async def under_minimum_after(uow: UnitOfWork, movements) -> list[UnderMinimum]:
    """The active parts that these movements (ledger rows just written, in this unit of work,
    or anything with `warehouse_id`, `part_id` and a signed `quantity`, such as a count's
    differences) leave under their minimum level in the main warehouse, by SKU. `crossed`
    tells whether it was these movements that took the part below its minimum (the moment
    to alert managers), rather than it being low already."""
    main = await main_warehouse(uow)
    taken: dict[int, int] = {}
    for movement in movements or ():
        if movement.warehouse_id == main.id:
            taken[movement.part_id] = taken.get(movement.part_id, 0) + movement.quantity
    if not taken:
        return []
    levels_now = await quantities(uow, main, list(taken))
    parts = (await uow.session.scalars(
        select(Part).where(Part.id.in_(list(taken)), Part.active.is_(True))
        .order_by(Part.sku))).all()
    result = []
    for part in parts:
        now = levels_now.get(part.id, 0)
        if now < part.min_level:
            before = now - taken[part.id]
            result.append(UnderMinimum(part.id, part.sku, part.name, now, part.min_level,
                                       before >= part.min_level))
    return result


# --- for a manager typing a quantity, and a count's outcome -----------------------------------

async def require_available(uow: UnitOfWork, warehouse: Warehouse | int | str,
                            part: Part | int | str, quantity: int) -> None:
    """NotEnoughStock when the warehouse holds fewer than `quantity` of the part now: to refuse
    a typed quantity at once. (The movement checks again, locked, when it is recorded.)"""
    warehouse = await get_warehouse(uow, warehouse)
    part = await get_part(uow, part, include_inactive=True)
    available = await level(uow, warehouse, part)
    if available < quantity:
        raise short_of(part, quantity, available, warehouse)


def parse_counted(text) -> int:
    """How many a manager counted, as typed: 0 to QUANTITY_MAX (core.parsing's digits)."""
    return parse_number(text, "counted", QUANTITY_MAX)


@dataclass(frozen=True)
class _Adjustment:
    warehouse_id: int
    part_id: int
    quantity: int


async def count_under_minimum(uow: UnitOfWork, warehouse: Warehouse | int | str,
                              lines: list[CountLine]) -> list[UnderMinimum]:
    """The parts a recorded count (its lines, from `count`) leaves under their minimum level
    in the main warehouse: its adjustments taken as movements."""
    warehouse = await get_warehouse(uow, warehouse)
    return await under_minimum_after(uow, [
        _Adjustment(warehouse.id, line.part_id, line.difference)
        for line in lines if line.difference])


async def parts_to_count(uow: UnitOfWork, warehouse: Warehouse | int | str) -> list[int]:
    """The parts a count of this warehouse goes through, one by one: those its levels list
    (see `levels`), by SKU, as ids."""
    warehouse = await get_warehouse(uow, warehouse)
    parts, page = [], 1
    while True:
        listing = await levels(uow, warehouse, page, 50)
        parts += [line.part_id for line in listing.items]
        if not listing.has_next:
            return parts
        page += 1
