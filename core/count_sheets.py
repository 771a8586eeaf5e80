"""The monthly count (盘点: 每月盘点, 盘点表记录实际库存和系统库存, 签字确认).

A count of a warehouse is kept as a count sheet: per part the system quantity (the books when
it was counted) and the counted one, who counted and when, who confirmed and when. The
differences are written to the ledger (count_adjustment rows naming the sheet) only when the
sheet is confirmed:
- no differences: the sheet is confirmed as it is recorded (nothing to adjust);
- the company has one active manager: they confirm their own count, as it is recorded;
- two or more: another manager must confirm (the other managers are told, with the sheet);
  the one who counted cannot.
A confirmation adjusts each level by the sheet's difference (what the count found missing or
extra), so what moved between the count and its confirmation stays recorded; it is refused,
changing nothing, if that would take a level below zero.

Also here: the last working day of the month, when managers are reminded to count.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import func, select, update

from . import lifecycle, stock
from .catalogue import get_part, whole_number
from .desk import UnitOfWork
from .errors import DomainError, InvalidInput, NotAllowed, NotFound
from .exports import typed
from .models import CountSheet, CountSheetLine, Part, Reminder, User
from .paging import Page, page_bounds
from .reminder_queue import add_daily
from .roles import require_manager

log = logging.getLogger(__name__)

AWAITING, CONFIRMED = "awaiting", "confirmed"
COLUMNS = ("sku", "name", "system", "counted", "difference")


class AlreadyConfirmed(DomainError):
    """Confirmed before: details `by` (a name) and `number`."""

    code = "count_confirmed_already"


@dataclass(frozen=True)
class SheetLine:
    part_id: int
    sku: str
    name: str
    system: int
    counted: int
    difference: int


@dataclass(frozen=True)
class SheetView:
    id: int
    warehouse_id: int
    status: str
    counted_by_id: int
    counted_by: str
    counted_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None
    lines: tuple[SheetLine, ...]

    @property
    def differences(self) -> tuple[SheetLine, ...]:
        return tuple(line for line in self.lines if line.difference)


async def _managers(uow: UnitOfWork) -> list[int]:
    return list(await uow.session.scalars(
        select(User.id).where(User.role == lifecycle.MANAGER, User.active.is_(True))
        .order_by(User.id)))


def sheet_id_of(reminder: Reminder) -> int | None:
    """The sheet a count-sheet notice is about (its key names it)."""
    parts = (reminder.key or "").split(":")
    return int(parts[1]) if len(parts) > 1 and parts[0] == "count_sheet" \
        and parts[1].isdecimal() else None


async def record(uow: UnitOfWork, manager: User, warehouse, counted: dict) -> CountSheet:
    """Records a count sheet of `warehouse`: `counted` maps parts (objects, ids or SKUs) to
    the quantities found (0 or more). Confirmed at once when nothing differs or the counter is
    the only manager; otherwise it waits for another manager, who is told."""
    require_manager(manager)
    warehouse = await stock.get_warehouse(uow, warehouse)
    if not isinstance(counted, dict) or not counted:
        raise InvalidInput(field="counted", reason="empty")
    wanted: dict[int, int] = {}
    for key, value in counted.items():
        part = await get_part(uow, key, include_inactive=True)
        wanted[part.id] = whole_number(value, "counted", 0, stock.QUANTITY_MAX)
    levels = await stock.lock_levels(uow, [(warehouse.id, p) for p in wanted])
    sheet = CountSheet(warehouse_id=warehouse.id, status=AWAITING, counted_by_id=manager.id,
                       counted_at=uow.now())
    sheet.lines = [CountSheetLine(part_id=p, system=levels[(warehouse.id, p)], counted=n)
                   for p, n in wanted.items()]
    uow.session.add(sheet)
    await uow.session.flush()
    managers = await _managers(uow)
    others = [m for m in managers if m != manager.id]
    if not any(line.counted != line.system for line in sheet.lines) or not others:
        await _confirm(uow, manager, sheet)
    else:
        now = uow.now()
        for other in others:
            uow.session.add(Reminder(key=f"count_sheet:{sheet.id}:confirm:{other}",
                                     kind="count_sheet", recipient_id=other, due_at=now,
                                     created_at=now, attempts=0))
    await uow.session.flush()
    log.info("count sheet %s of %s: %s parts, %s", sheet.id, warehouse.key, len(wanted),
             sheet.status)
    return sheet


async def _confirm(uow: UnitOfWork, manager: User, sheet: CountSheet) -> None:
    differing = {line.part_id: line.counted - line.system for line in sheet.lines
                 if line.counted != line.system}
    if differing:
        levels = await stock.lock_levels(uow, [(sheet.warehouse_id, p) for p in differing])
        parts = {p.id: p for p in await uow.session.scalars(
            select(Part).where(Part.id.in_(list(differing))))}
        for part_id, difference in differing.items():
            have = levels[(sheet.warehouse_id, part_id)]
            if have + difference < 0:
                warehouse = await stock.get_warehouse(uow, sheet.warehouse_id)
                raise stock.NotEnoughStock(sku=parts[part_id].sku, requested=-difference,
                                           available=have, warehouse=warehouse.key)
        for part_id, difference in sorted(differing.items(), key=lambda pd: parts[pd[0]].sku):
            await stock.move(uow, levels, stock.COUNT_ADJUSTMENT, parts[part_id],
                              sheet.warehouse_id, difference, manager,
                              count_sheet_id=sheet.id)
    sheet.status, sheet.confirmed_by_id, sheet.confirmed_at = CONFIRMED, manager.id, uow.now()


async def confirm(uow: UnitOfWork, manager: User, sheet_id: int) -> CountSheet:
    """Another manager confirms a sheet that waits: its differences go into the ledger.
    The counter may not while another active manager exists (NotAllowed, reason
    "own_count"); a sheet confirmed already is refused saying by whom."""
    require_manager(manager)
    if not isinstance(sheet_id, int) or isinstance(sheet_id, bool):
        raise NotFound(what="count_sheet")
    # The confirmation is taken first, by a conditional UPDATE (as core.van_requests takes a
    # decision): of two managers confirming at once exactly one does; a refusal below rolls
    # it back.
    taken = await uow.session.execute(
        update(CountSheet).where(CountSheet.id == sheet_id, CountSheet.status == AWAITING)
        .values(status=CONFIRMED, confirmed_by_id=manager.id, confirmed_at=uow.now())
        .execution_options(synchronize_session=False))
    sheet = await uow.session.get(CountSheet, sheet_id, populate_existing=True)
    if sheet is None:
        raise NotFound(what="count_sheet")
    if taken.rowcount != 1:
        by = await uow.session.get(User, sheet.confirmed_by_id)
        raise AlreadyConfirmed(by=(by.name or "?") if by else "?", number=sheet.id)
    if sheet.counted_by_id == manager.id and [m for m in await _managers(uow)
                                              if m != manager.id]:
        raise NotAllowed(reason="own_count")
    await _confirm(uow, manager, sheet)
    await uow.session.flush()
    log.info("count sheet %s confirmed by manager %s", sheet.id, manager.id)
    return sheet


async def view(uow: UnitOfWork, manager: User, sheet_id: int) -> SheetView:
    require_manager(manager)
    sheet = await uow.session.get(CountSheet, sheet_id, populate_existing=True) \
        if isinstance(sheet_id, int) and not isinstance(sheet_id, bool) else None
    if sheet is None:
        raise NotFound(what="count_sheet")
    counter = await uow.session.get(User, sheet.counted_by_id)
    confirmer = (await uow.session.get(User, sheet.confirmed_by_id)
                 if sheet.confirmed_by_id else None)
    parts = {p.id: p for p in await uow.session.scalars(
        select(Part).where(Part.id.in_([line.part_id for line in sheet.lines])))}
    lines = tuple(sorted((SheetLine(line.part_id, parts[line.part_id].sku,
                                    parts[line.part_id].name, line.system, line.counted,
                                    line.counted - line.system) for line in sheet.lines),
                         key=lambda line: line.sku))
    return SheetView(sheet.id, sheet.warehouse_id, sheet.status, sheet.counted_by_id,
                     (counter.name or "?") if counter else "?", sheet.counted_at,
                     (confirmer.name or "?") if confirmer else None, sheet.confirmed_at,
                     lines)


def export_csv(uow: UnitOfWork, sheet: SheetView, place: str,
               words: Callable[[str], str]) -> tuple[bytes, str]:
    """The sheet as a CSV file for Excel (UTF-8 with a byte-order mark): a heading block
    (warehouse, counted by and when, confirmed by and when), then a row per part. `words`
    gives a column title or heading in the reader's language; `place` the warehouse's name."""
    zone = uow.company.timezone

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([words("warehouse"), typed(place)])
    writer.writerow([words("counted_by"), typed(sheet.counted_by), local(sheet.counted_at)])
    writer.writerow([words("confirmed_by"), typed(sheet.confirmed_by or ""),
                     local(sheet.confirmed_at)])
    writer.writerow([])
    writer.writerow([words(c) for c in COLUMNS])
    for line in sheet.lines:
        writer.writerow([line.sku, typed(line.name), line.system, line.counted,
                         f"{line.difference:+d}" if line.difference else "0"])
    day = sheet.counted_at.astimezone(zone).date().isoformat()
    return out.getvalue().encode("utf-8-sig"), f"count_{sheet.id}_{day}.csv"


async def needs_another(uow: UnitOfWork, manager: User) -> bool:
    """Whether a count of this manager's with differences waits for another manager."""
    require_manager(manager)
    return any(m != manager.id for m in await _managers(uow))


async def awaiting(uow: UnitOfWork, manager: User) -> int:
    require_manager(manager)
    return await uow.session.scalar(
        select(func.count(CountSheet.id)).where(CountSheet.status == AWAITING)) or 0


# --- the reminder to count --------------------------------------------------------------------

def last_working_day(day: date) -> date:
    """The last Monday-to-Friday of `day`'s month."""
    first_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = first_next - timedelta(days=1)
    while last.weekday() >= 5:
        last -= timedelta(days=1)
    return last


async def plan_count_reminder(uow: UnitOfWork, due_at: datetime) -> int:
    """On the month's last working day, each active manager is reminded to count, once."""
    today = uow.now().astimezone(uow.company.timezone).date()
    if today != last_working_day(today):
        return 0
    written = 0
    for manager_id in await _managers(uow):
        written += await add_daily(uow, "count_due", manager_id, today.isoformat(), due_at)
    return written


@dataclass(frozen=True)
class SheetSummary:
    id: int
    warehouse_id: int
    status: str
    counted_at: datetime
    counted_by: str
    differences: int


async def listing(uow: UnitOfWork, manager: User, page: int = 1,
                  page_size: int = 10) -> Page[SheetSummary]:
    """The count sheets kept, for a manager: waiting ones first, then newest first."""
    require_manager(manager)
    total = await uow.session.scalar(select(func.count(CountSheet.id))) or 0
    page, page_size, offset = page_bounds(page, page_size, total, 10)
    differing = (select(func.count(CountSheetLine.id))
                 .where(CountSheetLine.sheet_id == CountSheet.id,
                        CountSheetLine.counted != CountSheetLine.system).scalar_subquery())
    rows = await uow.session.execute(
        select(CountSheet, User.name, differing)
        .join(User, User.id == CountSheet.counted_by_id)
        .order_by((CountSheet.status != AWAITING), CountSheet.id.desc())
        .offset(offset).limit(page_size))
    items = tuple(SheetSummary(s.id, s.warehouse_id, s.status, s.counted_at, name or "?", n)
                  for s, name, n in rows)
    return Page(items, page, page_size, total)
