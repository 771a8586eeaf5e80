"""Settlement (订单的结算: 核实订单与实际产出, 差异及时沟通解决).

The bill check: a completed job's bill is compared with what was agreed and what left the
stock for it, part by part:
- quoted: the quantity of each part on the approved quote (core.quotes: the approved version);
- issued: the parts the stock ledger issued to the order (core.stock: "issue" rows, from the
  van or the main warehouse, at completion or before it);
- billed: the parts on the bill (core.models.ReplacedPart, what the repair report lists);
and the bill's amount with the approved quote's total. Any of these differing is a difference:
a part issued and not billed (left in the van? fitted and not charged?), billed below the quote
(a part quoted and not used), and so on. A manager resolves it with a reason; until then the
order cannot be closed (paid/settled, core.jobs.settle refuses with BillDifferenceOpen). A
resolution covers the differences it saw (their fingerprint): different ones found later (a
part issued after it) are open again.

Cash: each technician's payments of a local day (the orders of theirs marked paid that day,
by the "settle" event, cash or transfer; waived orders bring no money). A manager confirms the
cash handed in (typed), the difference against the cash collected recorded with a reason
(required when they differ); transfers go to the company directly and are listed for the
record. Payments that come in for a day after it was confirmed open it again. The settlements
are exported as CSV.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select

from . import lifecycle
from .desk import UnitOfWork
from .errors import DomainError, InvalidInput, NotFound
from .models import (
    BillCheck,
    CashSettlement,
    OrderEvent,
    Part,
    Quote,
    QuoteLine,
    ReplacedPart,
    ServiceOrder,
    StockMovement,
    User,
)
from .orders import record
from .periods import local_midnight
from .roles import require_manager

REASON_MIN, REASON_MAX = 2, 300
CASH, TRANSFER = "cash", "transfer"
DAYS_BACK = 31  # how far back /settle looks for days to confirm
PAGE_SIZE = 6


class BillDifferenceOpen(DomainError):
    """The order's bill differs from its quote or the parts issued, and no manager has
    resolved it yet: it cannot be closed."""

    code = "bill_difference"


# --- the bill check ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PartDifference:
    sku: str
    name: str
    quoted: int
    issued: int
    billed: int


@dataclass(frozen=True)
class Check:
    order_id: int
    number: str
    status: str
    technician_name: str | None
    completed_at: datetime | None
    quoted: int | None  # the approved quote's total, fen (None: no quote, e.g. installation)
    billed: int  # the bill, fen
    parts: tuple[PartDifference, ...]  # only the parts whose figures differ
    resolved_reason: str | None  # the resolution covering exactly these differences
    resolved_at: datetime | None

    @property
    def differs(self) -> bool:
        return bool(self.parts) or (self.quoted is not None and self.quoted != self.billed)

    @property
    def open(self) -> bool:
        return self.differs and self.resolved_reason is None

    @property
    def fingerprint(self) -> str:
        parts = ";".join(f"{p.sku}:{p.quoted}/{p.issued}/{p.billed}" for p in self.parts)
        return f"quote={self.quoted};bill={self.billed};{parts}"[:500]


async def check(uow: UnitOfWork, order: ServiceOrder) -> Check:
    """The order's bill against its approved quote and the parts issued for it."""
    return (await checks(uow, [order]))[0]


async def checks(uow: UnitOfWork, orders: list[ServiceOrder]) -> list[Check]:
    """`check` of many orders at once: a few grouped queries per 500 orders, not per order."""
    found: list[Check] = []
    for start in range(0, len(orders), 500):
        found += await _checks(uow, orders[start:start + 500])
    return found


async def _checks(uow: UnitOfWork, orders: list[ServiceOrder]) -> list[Check]:
    ids = [o.id for o in orders]
    run = uow.session.execute
    counts: dict[int, dict[int, list[int]]] = {}  # order -> part -> [quoted, issued, billed]

    def add(order_id, part_id, at, quantity):
        counts.setdefault(order_id, {}).setdefault(part_id, [0, 0, 0])[at] += int(quantity or 0)

    approved: dict[int, tuple[int, int]] = {}  # order -> (version, quote id), the latest
    for order_id, quote_id, version in await run(
            select(Quote.order_id, Quote.id, Quote.version)
            .where(Quote.order_id.in_(ids), Quote.status == "approved")):
        if order_id not in approved or version > approved[order_id][0]:
            approved[order_id] = (version, quote_id)
    order_of_quote = {quote_id: order_id for order_id, (_, quote_id) in approved.items()}
    if order_of_quote:
        for quote_id, part_id, quantity in await run(
                select(QuoteLine.quote_id, QuoteLine.part_id, func.sum(QuoteLine.quantity))
                .where(QuoteLine.quote_id.in_(list(order_of_quote)),
                       QuoteLine.part_id.is_not(None))
                .group_by(QuoteLine.quote_id, QuoteLine.part_id)):
            add(order_of_quote[quote_id], part_id, 0, quantity)
    for order_id, part_id, quantity in await run(
            select(StockMovement.order_id, StockMovement.part_id,
                   -func.sum(StockMovement.quantity))
            .where(StockMovement.order_id.in_(ids), StockMovement.kind == "issue")
            .group_by(StockMovement.order_id, StockMovement.part_id)):
        add(order_id, part_id, 1, quantity)
    for order_id, part_id, quantity in await run(
            select(ReplacedPart.order_id, ReplacedPart.part_id, func.sum(ReplacedPart.quantity))
            .where(ReplacedPart.order_id.in_(ids))
            .group_by(ReplacedPart.order_id, ReplacedPart.part_id)):
        add(order_id, part_id, 2, quantity)
    differing = {order_id: {i: c for i, c in parts.items() if len(set(c)) > 1}
                 for order_id, parts in counts.items()}
    part_ids = {i for parts in differing.values() for i in parts}
    parts = {p.id: p for p in await uow.session.scalars(
        select(Part).where(Part.id.in_(list(part_ids))))} if part_ids else {}
    technician_ids = {o.technician_id for o in orders if o.technician_id}
    names = dict((await run(select(User.id, User.name).where(
        User.id.in_(list(technician_ids))))).all()) if technician_ids else {}
    resolutions = {r.order_id: r for r in await uow.session.scalars(
        select(BillCheck).where(BillCheck.order_id.in_(ids)))}
    found = []
    for order in orders:
        part_list = tuple(sorted((PartDifference(parts[i].sku, parts[i].name, *c)
                                  for i, c in differing.get(order.id, {}).items()),
                                 key=lambda p: p.sku))
        draft = Check(order.id, order.number, order.status, names.get(order.technician_id),
                      order.completed_at,
                      order.quote_total if order.id in approved else None,
                      order.final_amount or 0, part_list, None, None)
        resolution = resolutions.get(order.id)
        if resolution is not None and resolution.fingerprint == draft.fingerprint:
            draft = Check(**{**vars(draft), "resolved_reason": resolution.reason,
                             "resolved_at": resolution.resolved_at})
        found.append(draft)
    return found


async def require_checked(uow: UnitOfWork, order: ServiceOrder) -> None:
    """Refuses (BillDifferenceOpen) closing a completed order whose bill has an open
    difference."""
    if order.status != lifecycle.COMPLETED:
        return
    found = await check(uow, order)
    if found.open:
        raise BillDifferenceOpen(order=order.number)


async def open_checks(uow: UnitOfWork, manager: User) -> list[Check]:
    """The completed (not yet closed) orders whose bills have an open difference, oldest
    completion first."""
    require_manager(manager)
    completed = await uow.session.scalars(
        select(ServiceOrder).where(ServiceOrder.status == lifecycle.COMPLETED)
        .order_by(ServiceOrder.completed_at, ServiceOrder.id))
    return [c for c in await checks(uow, list(completed)) if c.open]


async def order_check(uow: UnitOfWork, manager: User, order_id: int) -> Check:
    require_manager(manager)
    order = await uow.session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(what="order")
    return await check(uow, order)


def clean_reason(text: str | None) -> str:
    reason = " ".join((text or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise InvalidInput(field="reason", reason="length", minimum=REASON_MIN,
                           maximum=REASON_MAX)
    return reason


async def resolve(uow: UnitOfWork, manager: User, order_id: int, reason: str) -> Check:
    """A manager resolves the order's open difference, saying why; the event is on the order's
    timeline."""
    require_manager(manager)
    reason = clean_reason(reason)
    order = await uow.session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(what="order")
    found = await check(uow, order)
    if not found.open:
        raise InvalidInput(field="difference", reason="none_open", order=order.number)
    row = await uow.session.get(BillCheck, order.id)
    if row is None:
        row = BillCheck(order_id=order.id)
        uow.session.add(row)
    row.fingerprint, row.reason = found.fingerprint, reason
    row.resolved_by_id, row.resolved_at = manager.id, uow.now()
    record(uow, order, "bill_difference_resolved", manager, note=reason)
    await uow.session.flush()
    return await check(uow, order)


# --- cash ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Payment:
    number: str
    method: str  # cash or transfer
    amount: int
    at: datetime


@dataclass(frozen=True)
class CashDay:
    technician_id: int
    technician_name: str | None
    day: date  # local
    payments: tuple[Payment, ...]
    settled: CashSettlement | None  # the confirmation covering exactly these payments

    @property
    def cash(self) -> int:
        return sum(p.amount for p in self.payments if p.method == CASH)

    @property
    def transfers(self) -> int:
        return sum(p.amount for p in self.payments if p.method == TRANSFER)

    earlier: CashSettlement | None = None  # a confirmation of other figures (paid since)

    @property
    def reopened(self) -> bool:
        return self.settled is None and self.earlier is not None


async def _payments(uow: UnitOfWork, start: datetime, end: datetime,
                    technician_id: int | None = None):
    """(technician, local day, payment) of the orders marked paid in [start, end)."""
    zone = uow.company.timezone
    where = [OrderEvent.action == "settle", OrderEvent.at >= start, OrderEvent.at < end,
             ServiceOrder.payment_method.in_((CASH, TRANSFER)),
             ServiceOrder.technician_id.is_not(None)]
    if technician_id is not None:
        where.append(ServiceOrder.technician_id == technician_id)
    rows = await uow.session.execute(
        select(ServiceOrder.technician_id, ServiceOrder.number, ServiceOrder.payment_method,
               ServiceOrder.final_amount, OrderEvent.at)
        .join(OrderEvent, OrderEvent.order_id == ServiceOrder.id).where(*where)
        .order_by(OrderEvent.at, OrderEvent.id))
    return [(tech, at.astimezone(zone).date(), Payment(number, method, amount or 0, at))
            for tech, number, method, amount, at in rows]


async def _days(uow: UnitOfWork, first: date, last: date,
                technician_id: int | None = None) -> list[CashDay]:
    zone = uow.company.timezone
    grouped: dict[tuple[int, date], list[Payment]] = {}
    for tech, day, payment in await _payments(uow, local_midnight(first, zone),
                                              local_midnight(last + timedelta(days=1), zone),
                                              technician_id):
        grouped.setdefault((tech, day), []).append(payment)
    if not grouped:
        return []
    names = dict((await uow.session.execute(select(User.id, User.name).where(
        User.id.in_({t for t, _ in grouped})))).all())
    rows = {(r.technician_id, r.day): r for r in await uow.session.scalars(
        select(CashSettlement).where(CashSettlement.day >= first, CashSettlement.day <= last))}
    days = []
    for (tech, day), payments in sorted(grouped.items(), key=lambda item: (item[0][1],
                                                                         item[0][0])):
        row = rows.get((tech, day))
        cash = sum(p.amount for p in payments if p.method == CASH)
        transfers = sum(p.amount for p in payments if p.method == TRANSFER)
        matches = row is not None and (row.cash_expected, row.transfers, row.payments) == (
            cash, transfers, len(payments))
        days.append(CashDay(tech, names.get(tech), day, tuple(payments),
                            row if matches else None, None if matches else row))
    return days


async def days_to_confirm(uow: UnitOfWork, manager: User) -> list[CashDay]:
    """The technicians' days of payments (the last DAYS_BACK days) not confirmed yet, or with
    payments since their confirmation; oldest first."""
    require_manager(manager)
    today = uow.now().astimezone(uow.company.timezone).date()
    return [d for d in await _days(uow, today - timedelta(days=DAYS_BACK), today)
            if d.settled is None]


async def cash_day(uow: UnitOfWork, manager: User, technician_id: int, day: date) -> CashDay:
    require_manager(manager)
    found = await _days(uow, day, day, technician_id)
    if not found:
        raise NotFound(what="payments")
    return found[0]


async def confirm_day(uow: UnitOfWork, manager: User, technician_id: int, day: date,
                      handed_in: int, reason: str | None = None) -> CashSettlement:
    """A manager confirms the cash a technician handed in for a day. A difference from the cash
    collected needs a reason (InvalidInput field "reason"); a day already confirmed with these
    very payments is refused (InvalidInput "already")."""
    require_manager(manager)
    if handed_in < 0:
        raise InvalidInput(field="amount", reason="negative")
    found = await cash_day(uow, manager, technician_id, day)
    if found.settled is not None:
        raise InvalidInput(field="day", reason="already")
    if handed_in != found.cash:
        reason = clean_reason(reason)
    else:
        reason = " ".join(reason.split()) if reason else None
    row = found.earlier
    if row is None:
        row = CashSettlement(technician_id=technician_id, day=day)
        uow.session.add(row)
    row.cash_expected, row.transfers, row.payments = found.cash, found.transfers, \
        len(found.payments)
    row.handed_in, row.reason = handed_in, reason
    row.confirmed_by_id, row.confirmed_at = manager.id, uow.now()
    await uow.session.flush()
    return row


# --- the CSV ------------------------------------------------------------------------------------

COLUMNS = ("day", "technician", "payments", "cash_collected", "transfers", "handed_in",
           "difference", "reason", "confirmed_by", "confirmed_at")


@dataclass(frozen=True)
class Exported:
    filename: str
    data: bytes
    rows: int


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


async def export(uow: UnitOfWork, manager: User, first: date, last: date,
                 header: dict[str, str]) -> Exported:
    """The confirmed days from `first` to `last` (local) as CSV (UTF-8 with BOM, for Excel);
    `header` names the columns in the manager's language. Amounts in yuan."""
    require_manager(manager)
    confirmer = select(User.id, User.name).subquery()
    technician = select(User.id, User.name).subquery()
    rows = await uow.session.execute(
        select(CashSettlement, technician.c.name, confirmer.c.name)
        .join(technician, technician.c.id == CashSettlement.technician_id)
        .join(confirmer, confirmer.c.id == CashSettlement.confirmed_by_id)
        .where(and_(CashSettlement.day >= first, CashSettlement.day <= last))
        .order_by(CashSettlement.day, technician.c.name, CashSettlement.id))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header.get(c, c) for c in COLUMNS])
    count = 0
    zone = uow.company.timezone
    for row, tech_name, confirmed_by in rows:
        writer.writerow([row.day.isoformat(), _safe(tech_name), row.payments,
                         _yuan(row.cash_expected), _yuan(row.transfers), _yuan(row.handed_in),
                         _yuan(row.difference), _safe(row.reason), _safe(confirmed_by),
                         row.confirmed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")])
        count += 1
    return Exported(f"settlements_{first.isoformat()}_{last.isoformat()}.csv",
                    ("\ufeff" + out.getvalue()).encode("utf-8"), count)


def _safe(text: str | None) -> str:
    """A typed text as a CSV cell a spreadsheet will not run as a formula."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
