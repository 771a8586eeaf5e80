"""Van replenishment with approval (调拨: 由相关部门提出申请, 经仓库管理员和经理确认).

A technician asks for parts for their van (`create`); the managers are told at once (a
notice, a reminder row due now). A manager approves it, with the quantities asked for or
changed ones (`approve`), or refuses it with a reason (`refuse`). Approval moves the parts from
the main warehouse into the technician's van in the same transaction: a transfer_out and a
transfer_in row per part, both naming the request (`van_request_id`), the approving manager as
their actor; the request names who asked. If the main warehouse holds too few of any part,
nothing moves and the refusal lists every part short. A request is decided once: the request
row is locked first, so of two managers pressing at once the second finds it decided (and by
whom). The technician hears of either decision.

Every evening (`plan_evening`) a technician whose van holds fewer of some part than their next
day's jobs' quotes list is told what is short (`shortfall`), with a request prefilled with it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from . import lifecycle, stock, stock_levels
from .catalogue import get_part, whole_number
from .desk import UnitOfWork
from .errors import DomainError, InvalidInput, NotFound
from .models import (
    Part,
    Quote,
    QuoteLine,
    Reminder,
    ReplacedPart,
    ServiceOrder,
    TriageHistory,
    User,
    VanRequest,
    VanRequestLine,
)
from .paging import Page, page_bounds
from .parsing import clean_text
from .reminder_queue import add_daily
from .roles import require_manager, require_technician

log = logging.getLogger(__name__)

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
LINES_MAX = 20
QUANTITY_MAX = 999
REASON_MIN, REASON_MAX = 2, 300
# Quotes whose parts a technician will likely fit on the visit.
QUOTED = ("sent", "approved")


class AlreadyDecided(DomainError):
    """The request was approved or refused already: details `status` and `by` (a name)."""

    code = "van_request_decided"


class MainShort(DomainError):
    """The main warehouse holds too few for an approval: details `lines`, each
    (sku, name, wanted, available)."""

    code = "van_request_short"


@dataclass(frozen=True)
class RequestLine:
    part_id: int
    sku: str
    name: str
    quantity: int  # asked for
    approved: int | None
    in_main: int
    in_van: int


@dataclass(frozen=True)
class RequestView:
    id: int
    technician_id: int
    technician: str
    status: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    lines: tuple[RequestLine, ...]


@dataclass(frozen=True)
class Short:
    part_id: int
    sku: str
    name: str
    needed: int  # on tomorrow's quotes
    in_van: int
    short: int


def _quantity(value, maximum: int = QUANTITY_MAX, low: int = 1) -> int:
    return whole_number(value, "quantity", low, maximum)


async def _managers(uow: UnitOfWork) -> list[int]:
    return list(await uow.session.scalars(
        select(User.id).where(User.role == lifecycle.MANAGER, User.active.is_(True))))


def _notice(uow: UnitOfWork, request: VanRequest, kind: str, recipient_id: int) -> None:
    now = uow.now()
    uow.session.add(Reminder(key=f"van_request:{request.id}:{kind}:{recipient_id}", kind=kind,
                             recipient_id=recipient_id, due_at=now, created_at=now, attempts=0))


def request_id_of(reminder: Reminder) -> int | None:
    """The request a van-request notice is about (its key names it)."""
    parts = (reminder.key or "").split(":")
    return int(parts[1]) if len(parts) > 1 and parts[0] == "van_request" \
        and parts[1].isdecimal() else None


async def create(uow: UnitOfWork, technician: User, lines) -> VanRequest:
    """A technician's request for parts for their van: `lines` are (part, quantity) pairs
    (objects, ids or SKUs); the same part twice is added up. The managers are told."""
    require_technician(technician)
    wanted: dict[int, int] = {}
    for part, quantity in lines or ():
        found = await get_part(uow, part)
        wanted[found.id] = wanted.get(found.id, 0) + _quantity(quantity)
    if not wanted:
        raise InvalidInput(field="lines", reason="empty")
    if len(wanted) > LINES_MAX:
        raise InvalidInput(field="lines", reason="too_many", maximum=LINES_MAX)
    for part_id, quantity in wanted.items():
        _quantity(quantity)  # the sum too
    request = VanRequest(technician_id=technician.id, status=PENDING, created_at=uow.now())
    request.lines = [VanRequestLine(part_id=p, quantity=q) for p, q in wanted.items()]
    uow.session.add(request)
    await uow.session.flush()
    for manager_id in await _managers(uow):
        _notice(uow, request, "van_request", manager_id)
    await uow.session.flush()
    log.info("van request %s by technician %s: %s", request.id, technician.id,
             ", ".join(f"{q} × part {p}" for p, q in wanted.items()))
    return request


async def _decide(uow: UnitOfWork, manager: User, request_id, status: str) -> VanRequest:
    """Takes the decision on a pending request first of all, by a conditional UPDATE: of two
    managers deciding at once exactly one changes the row (PostgreSQL makes the second wait
    for the first's commit and then finds it decided; on SQLite the UPDATE takes the single
    write lock). Whatever refuses later rolls this back with the rest."""
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise NotFound(what="van_request")
    taken = await uow.session.execute(
        update(VanRequest).where(VanRequest.id == request_id, VanRequest.status == PENDING)
        .values(status=status, decided_by_id=manager.id, decided_at=uow.now())
        .execution_options(synchronize_session=False))
    request = await uow.session.get(VanRequest, request_id, populate_existing=True)
    if request is None:
        raise NotFound(what="van_request")
    if taken.rowcount != 1:
        await _undecided(uow, request)
    return request


async def _undecided(uow: UnitOfWork, request: VanRequest) -> None:
    if request.status != PENDING:
        decider = (await uow.session.get(User, request.decided_by_id)
                   if request.decided_by_id else None)
        raise AlreadyDecided(status=request.status, by=(decider.name or "?") if decider else "?",
                             number=request.id)


async def approve(uow: UnitOfWork, manager: User, request_id: int,
                  quantities: dict | None = None) -> VanRequest:
    """Approves a pending request and moves the parts (main warehouse → the technician's van),
    all or nothing. `quantities` maps part ids to changed quantities (0 drops a part; parts
    left out keep what was asked). MainShort when the main warehouse lacks any of it."""
    require_manager(manager)
    request = await _decide(uow, manager, request_id, APPROVED)
    technician = await uow.session.get(User, request.technician_id)
    approved: dict[int, int] = {}
    for line in request.lines:
        quantity = line.quantity
        if quantities and line.part_id in quantities:
            quantity = _quantity(quantities[line.part_id], low=0)
        approved[line.part_id] = quantity
    if not any(approved.values()):
        raise InvalidInput(field="quantity", reason="nothing_approved")
    if technician is None or technician.role != lifecycle.TECHNICIAN or not technician.active:
        raise NotFound(what="van_request")  # they left: refuse it instead
    main = await stock.main_warehouse(uow)
    van = await stock.van(uow, technician)
    moving = {p: q for p, q in approved.items() if q}
    levels = await stock.lock_levels(uow, [(w.id, p) for p in moving for w in (main, van)])
    parts = {p.id: p for p in await uow.session.scalars(
        select(Part).where(Part.id.in_(list(moving))))}
    short = [(parts[p].sku, parts[p].name, q, levels[(main.id, p)])
             for p, q in moving.items() if levels[(main.id, p)] < q]
    if short:
        raise MainShort(lines=sorted(short), number=request.id)
    for part_id, quantity in sorted(moving.items(), key=lambda pq: parts[pq[0]].sku):
        part = parts[part_id]
        await stock.move(uow, levels, stock.TRANSFER_OUT, part, main.id, -quantity, manager,
                          other_warehouse_id=van.id, van_request_id=request.id)
        await stock.move(uow, levels, stock.TRANSFER_IN, part, van.id, quantity, manager,
                          other_warehouse_id=main.id, van_request_id=request.id)
    for line in request.lines:
        line.approved = approved[line.part_id]
    _notice(uow, request, "van_request_decided", request.technician_id)
    await uow.session.flush()
    log.info("van request %s approved by manager %s", request.id, manager.id)
    return request


async def refuse(uow: UnitOfWork, manager: User, request_id: int, reason: str) -> VanRequest:
    """Refuses a pending request with a reason (2 to 300 characters); the technician hears it."""
    require_manager(manager)
    reason = clean_text(reason, "reason", minimum=REASON_MIN, maximum=REASON_MAX,
                        multiline=True)
    request = await _decide(uow, manager, request_id, REFUSED)
    request.reason = reason
    _notice(uow, request, "van_request_decided", request.technician_id)
    await uow.session.flush()
    log.info("van request %s refused by manager %s", request.id, manager.id)
    return request


async def check_pending(uow: UnitOfWork, manager: User, request_id: int) -> None:
    """For a manager about to decide: NotFound, or AlreadyDecided (saying by whom)."""
    require_manager(manager)
    request = await uow.session.get(VanRequest, request_id) \
        if isinstance(request_id, int) else None
    if request is None:
        raise NotFound(what="van_request")
    await _undecided(uow, request)


async def view(uow: UnitOfWork, viewer: User, request_id: int) -> RequestView:
    """A request as its technician or any manager sees it (NotFound for anyone else)."""
    request = await uow.session.get(VanRequest, request_id, populate_existing=True) \
        if isinstance(request_id, int) and not isinstance(request_id, bool) else None
    allowed = viewer is not None and viewer.active and (
        viewer.role == lifecycle.MANAGER
        or (request is not None and viewer.id == request.technician_id))
    if request is None or not allowed:
        raise NotFound(what="van_request")
    technician = await uow.session.get(User, request.technician_id)
    decider = (await uow.session.get(User, request.decided_by_id)
               if request.decided_by_id else None)
    main = await stock.main_warehouse(uow)
    van = await stock.van(uow, technician) if technician.role == lifecycle.TECHNICIAN else None
    ids = [line.part_id for line in request.lines]
    in_main = await stock_levels.quantities(uow, main, ids)
    in_van = await stock_levels.quantities(uow, van, ids) if van else {}
    parts = {p.id: p for p in await uow.session.scalars(select(Part).where(Part.id.in_(ids)))}
    lines = tuple(sorted((RequestLine(line.part_id, parts[line.part_id].sku,
                                      parts[line.part_id].name, line.quantity, line.approved,
                                      in_main.get(line.part_id, 0), in_van.get(line.part_id, 0))
                          for line in request.lines), key=lambda line: line.sku))
    return RequestView(request.id, technician.id, technician.name or "?", request.status,
                       request.created_at, (decider.name or "?") if decider else None,
                       request.decided_at, request.reason, lines)


async def pending(uow: UnitOfWork, manager: User, limit: int = 20) -> list[int]:
    """The oldest pending requests' ids, for a manager."""
    require_manager(manager)
    return list(await uow.session.scalars(
        select(VanRequest.id).where(VanRequest.status == PENDING)
        .order_by(VanRequest.id).limit(limit)))


# --- the evening's look at tomorrow -----------------------------------------------------------

async def shortfall(uow: UnitOfWork, technician: User, day: date) -> list[Short]:
    """The parts the technician's jobs booked on `day` were quoted with (each order's latest
    sent or approved quote) that their van holds fewer of, by SKU."""
    require_technician(technician)
    orders = list(await uow.session.scalars(
        select(ServiceOrder.id).where(ServiceOrder.technician_id == technician.id,
                                      ServiceOrder.booked_date == day,
                                      ServiceOrder.status.in_(lifecycle.OPEN_STATUSES))))
    needed: dict[int, int] = {}
    for order_id in orders:
        quote = await uow.session.scalar(
            select(Quote).where(Quote.order_id == order_id, Quote.status.in_(QUOTED))
            .order_by(Quote.version.desc()).limit(1))
        if quote is None:
            continue
        for line in quote.lines:
            if line.kind == "part" and line.part_id:
                needed[line.part_id] = needed.get(line.part_id, 0) + line.quantity
    if not needed:
        return []
    van = await stock.van(uow, technician)
    held = await stock_levels.quantities(uow, van, list(needed))
    parts = {p.id: p for p in await uow.session.scalars(
        select(Part).where(Part.id.in_(list(needed))))}
    result = [Short(p, parts[p].sku, parts[p].name, n, held.get(p, 0), n - held.get(p, 0))
              for p, n in needed.items() if held.get(p, 0) < n]
    return sorted(result, key=lambda s: s.sku)


def tomorrow(uow: UnitOfWork) -> date:
    return uow.now().astimezone(uow.company.timezone).date() + timedelta(days=1)


async def plan_evening(uow: UnitOfWork, due_at: datetime) -> int:
    """Each active technician whose van is short for tomorrow is told, once a day. Returns
    how many notices this call wrote."""
    day = tomorrow(uow)
    written = 0
    technicians = list(await uow.session.scalars(
        select(User).where(User.role == lifecycle.TECHNICIAN, User.active.is_(True))
        .order_by(User.id)))
    for technician in technicians:
        if await shortfall(uow, technician, day):
            written += await add_daily(uow, "van_short", technician.id, day.isoformat(), due_at)
    return written


async def pending_count(uow: UnitOfWork) -> int:
    return await uow.session.scalar(
        select(func.count(VanRequest.id)).where(VanRequest.status == PENDING)) or 0


@dataclass(frozen=True)
class RequestSummary:
    id: int
    technician: str
    status: str
    created_at: datetime
    parts: int  # how many different parts


async def listing(uow: UnitOfWork, manager: User, page: int = 1,
                  page_size: int = 10) -> Page[RequestSummary]:
    """All van requests for a manager, waiting ones first, then newest first: the record."""
    require_manager(manager)
    total = await uow.session.scalar(select(func.count(VanRequest.id))) or 0
    page, page_size, offset = page_bounds(page, page_size, total, 10)
    parts = (select(func.count(VanRequestLine.id))
             .where(VanRequestLine.request_id == VanRequest.id).scalar_subquery())
    rows = await uow.session.execute(
        select(VanRequest, User.name, parts).join(User, User.id == VanRequest.technician_id)
        .order_by((VanRequest.status != PENDING), VanRequest.id.desc())
        .offset(offset).limit(page_size))
    items = tuple(RequestSummary(r.id, name or "?", r.status, r.created_at, n)
                  for r, name, n in rows)
    return Page(items, page, page_size, total)


async def parts_for_appliance(uow: UnitOfWork, category: str, page: int = 1,
                              page_size: int = 8) -> Page[Part]:
    """The active parts used on an appliance category, by SKU: those the company's imported
    past jobs, its finished jobs and its quotes for that appliance name. For a technician
    picking parts by appliance (the catalogue itself has no appliance per part)."""
    skus: set[str] = set()
    for parts in await uow.session.scalars(
            select(TriageHistory.parts).where(TriageHistory.category == category)):
        skus.update(str(sku) for sku, *_ in parts or ())
    skus.update(await uow.session.scalars(
        select(ReplacedPart.sku).distinct()
        .join(ServiceOrder, ServiceOrder.id == ReplacedPart.order_id)
        .where(ServiceOrder.category == category)))
    skus.update(await uow.session.scalars(
        select(QuoteLine.sku).distinct().join(Quote, Quote.id == QuoteLine.quote_id)
        .join(ServiceOrder, ServiceOrder.id == Quote.order_id)
        .where(ServiceOrder.category == category, QuoteLine.kind == "part",
               QuoteLine.sku.is_not(None))))
    conditions = (Part.sku.in_(sorted(skus)), Part.active.is_(True))
    total = await uow.session.scalar(select(func.count(Part.id)).where(*conditions)) or 0
    page, page_size, offset = page_bounds(page, page_size, total, 8)
    items = (await uow.session.scalars(
        select(Part).where(*conditions).order_by(Part.sku).offset(offset).limit(page_size)
    )).all()
    return Page(tuple(items), page, page_size, total)
