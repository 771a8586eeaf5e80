"""Before the visit: the likely faults of a new order and the parts to bring, learned from the
company's own finished jobs (the model is core.triage_model; this module feeds it).

What it learns from, per appliance category:
  - every repair or warranty order finished in the bot (completed or closed): the customer's
    description, the appliance's brand and model, the latest diagnosis, the parts fitted
    (replaced_parts), and whether the first visit fixed it (no "parts missing" on the way);
  - the company's past jobs imported with `python -m bot import-history` (triage_history).
It learns as jobs close: a category's model is kept per process and rebuilt, the next time
the category is looked at, after any job finished or any of its history was imported (a
fingerprint of a few index look-ups per card); a rebuild reads the latest LEARN_LIMIT jobs of
each source and takes well under a second (bench/triage.py --database: 65 ms for 3,000
jobs on SQLite, 13 ms cached). Nobody retrains anything.

A technician sees the suggestion on their job card with what their van holds of each part;
when the van lacks some, one press starts a van request (core.van_requests) prefilled with
what it lacks (`missing_for_van`); `request_parts` (a notice to every active manager) is the
earlier form, still rendered for notices already written. A manager sees it on the
dispatch card, with which suggested technicians' vans hold the whole load.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func, select

from . import lifecycle
from .access import find, locked
from .desk import UnitOfWork
from .errors import NotAllowed
from .lifecycle import MANAGER, TECHNICIAN
from .models import (
    Appliance,
    Diagnosis,
    OrderEvent,
    Part,
    PartsRequest,
    ReplacedPart,
    Reminder,
    ServiceOrder,
    StockLevel,
    TriageHistory,
    User,
    Warehouse,
)
from .roles import require_manager
from .triage_model import MIN_JOBS, PastJob, Suggestion, Triage

log = logging.getLogger(__name__)

FINISHED = (lifecycle.COMPLETED, lifecycle.CLOSED)
LEARN_KINDS = (lifecycle.REPAIR, lifecycle.WARRANTY)
# A suggestion is for before and during the visit, until the technician knows better.
SHOWN_STATUSES = (lifecycle.NEW, lifecycle.SCHEDULED, lifecycle.EN_ROUTE, lifecycle.ON_SITE,
                  lifecycle.WAITING_PARTS)
ASK_STATUSES = (lifecycle.SCHEDULED, lifecycle.EN_ROUTE, lifecycle.ON_SITE,
                lifecycle.WAITING_PARTS)
CACHE_SIZE = 32
# The latest jobs of a category learned from, of each source: recent enough to follow new
# models, and a rebuild stays well under a second however long the company has run.
LEARN_LIMIT = 5000


@dataclass(frozen=True)
class LoadLine:
    sku: str
    name: str
    quantity: int  # to bring
    on_van: int | None  # what the technician's van holds; None: no technician yet


@dataclass(frozen=True)
class OrderTriage:
    order_id: int
    suggestion: Suggestion
    lines: tuple[LoadLine, ...]

    @property
    def status(self) -> str:
        return self.suggestion.status

    @property
    def minimum(self) -> int:
        """Finished jobs a category needs before anything is suggested."""
        return MIN_JOBS

    @property
    def short(self) -> tuple[LoadLine, ...]:
        """The lines the van holds too few of."""
        return tuple(line for line in self.lines
                     if line.on_van is not None and line.on_van < line.quantity)


@dataclass(frozen=True)
class RequestLine:
    sku: str
    name: str
    quantity: int


# --- what the model learns from ---------------------------------------------------------------

async def finished_jobs(uow: UnitOfWork, category: str) -> list[PastJob]:
    """The category's latest finished repair and warranty orders (at most LEARN_LIMIT), as
    the model sees a job."""
    session = uow.session
    found = (await session.execute(
        select(ServiceOrder.id, ServiceOrder.description, ServiceOrder.completed_at,
               Appliance.brand, Appliance.model)
        .outerjoin(Appliance, Appliance.id == ServiceOrder.appliance_id)
        .where(ServiceOrder.category == category, ServiceOrder.status.in_(FINISHED),
               ServiceOrder.kind.in_(LEARN_KINDS), ServiceOrder.completed_at.is_not(None))
        .order_by(ServiceOrder.completed_at.desc(), ServiceOrder.id.desc())
        .limit(LEARN_LIMIT))).all()
    if not found:
        return []
    ids = [row.id for row in found]
    parts: dict[int, dict[str, int]] = {}
    diagnoses: dict[int, str] = {}
    second_visit: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for order_id, sku, quantity in await session.execute(
                select(ReplacedPart.order_id, ReplacedPart.sku, ReplacedPart.quantity)
                .where(ReplacedPart.order_id.in_(chunk))):
            used = parts.setdefault(order_id, {})
            used[sku] = used.get(sku, 0) + quantity
        for order_id, fault in await session.execute(
                select(Diagnosis.order_id, Diagnosis.fault)
                .where(Diagnosis.order_id.in_(chunk)).order_by(Diagnosis.id)):
            diagnoses[order_id] = fault
        second_visit.update(await session.scalars(
            select(OrderEvent.order_id).where(OrderEvent.order_id.in_(chunk),
                                              OrderEvent.action == "parts_missing")))
    return [PastJob(category=category, description=row.description or "",
                    parts=tuple(sorted(parts.get(row.id, {}).items())), brand=row.brand,
                    model=row.model, diagnosis=diagnoses.get(row.id),
                    first_visit_fixed=row.id not in second_visit, closed_at=row.completed_at)
            for row in found]


async def imported_jobs(uow: UnitOfWork, category: str) -> list[PastJob]:
    rows = await uow.session.scalars(
        select(TriageHistory).where(TriageHistory.category == category)
        .order_by(TriageHistory.id.desc()).limit(LEARN_LIMIT))
    return [PastJob(category=category, description=row.description,
                    parts=tuple((sku, int(quantity)) for sku, quantity in row.parts or ()),
                    brand=row.brand, model=row.model, diagnosis=row.diagnosis,
                    first_visit_fixed=row.first_visit_fixed)
            for row in rows]


async def _fingerprint(uow: UnitOfWork, category: str) -> tuple:
    """Changes whenever a job finishes anywhere (or one of the category is imported): each
    part is one look into an index, however many orders there are. A finished job changes
    the latest completion time; the latest diagnosis and fitted part are there too, for
    clocks that stand still (tests)."""
    session = uow.session
    finished = await session.scalar(select(func.max(ServiceOrder.completed_at)))
    diagnosed = await session.scalar(select(func.max(Diagnosis.id)))
    fitted = await session.scalar(select(func.max(ReplacedPart.id)))
    history = (await session.execute(
        select(func.count(TriageHistory.id), func.max(TriageHistory.id))
        .where(TriageHistory.category == category))).one()
    return (finished, diagnosed, fitted) + tuple(history)


async def model_for(uow: UnitOfWork, category: str) -> Triage:
    """The category's model, rebuilt when its history changed since it was last built."""
    models = uow.desk.caches.setdefault("triage", OrderedDict())
    key = category
    fingerprint = await _fingerprint(uow, category)
    cached = models.get(key)
    if cached is not None and cached[0] == fingerprint:
        models.move_to_end(key)
        return cached[1]
    model = Triage().learn_all(await imported_jobs(uow, category))
    model.learn_all(await finished_jobs(uow, category))
    models[key] = (fingerprint, model)
    while len(models) > CACHE_SIZE:
        models.popitem(last=False)
    return model


# --- the suggestion for an order ------------------------------------------------------------

async def _van_levels(uow: UnitOfWork, technician_ids, part_ids) -> dict[tuple[int, int], int]:
    if not technician_ids or not part_ids:
        return {}
    rows = await uow.session.execute(
        select(Warehouse.technician_id, StockLevel.part_id, StockLevel.quantity)
        .join(StockLevel, StockLevel.warehouse_id == Warehouse.id)
        .where(Warehouse.key.in_([f"van:{t}" for t in technician_ids]),
               StockLevel.part_id.in_(part_ids)))
    return {(technician, part): quantity for technician, part, quantity in rows}


async def _suggest(uow: UnitOfWork, order: ServiceOrder, language: str
                   ) -> tuple[Suggestion, dict[str, Part]]:
    category = order.category or "other"
    appliance = (await uow.session.get(Appliance, order.appliance_id)
                 if order.appliance_id else None)
    model = await model_for(uow, category)
    learned = model.categories.get(category)
    skus = sorted({sku for key in learned.faults for sku in key}) if learned else []
    parts = {p.sku: p for p in await uow.session.scalars(
        select(Part).where(Part.sku.in_(skus)))} if skus else {}
    suggestion = model.suggest(
        category, order.description, appliance.brand if appliance else None,
        appliance.model if appliance else None, language=language,
        part_names={sku: p.name for sku, p in parts.items()})
    return suggestion, parts


async def for_order(uow: UnitOfWork, order: ServiceOrder, language: str = "zh",
                    technician_id: int | None = None) -> OrderTriage | None:
    """The suggestion for `order` (already checked to be the viewer's to see), with what
    `technician_id`'s van (else the order's technician's) holds; None when the order is not
    a repair waiting for its visit."""
    if order.kind not in LEARN_KINDS or order.status not in SHOWN_STATUSES:
        return None
    suggestion, parts = await _suggest(uow, order, language)
    technician_id = technician_id or order.technician_id
    levels = await _van_levels(uow, [technician_id] if technician_id else [],
                               [parts[sku].id for sku, _ in suggestion.load if sku in parts])

    def on_van(sku: str) -> int | None:
        if not technician_id:
            return None
        return levels.get((technician_id, parts[sku].id), 0) if sku in parts else 0

    lines = tuple(LoadLine(sku, parts[sku].name if sku in parts else sku, quantity, on_van(sku))
                  for sku, quantity in suggestion.load)
    return OrderTriage(order.id, suggestion, lines)


async def for_job(uow: UnitOfWork, technician: User, order, language: str = "zh"
                  ) -> OrderTriage | None:
    """For the technician's job card: their own job only (else NotFound)."""
    if technician is None or technician.role != TECHNICIAN:
        raise NotAllowed(reason="technician_only")
    order = await find(uow, technician, order)
    return await for_order(uow, order, language, technician.id)


async def vans_ready(uow: UnitOfWork, manager: User, triage: OrderTriage | None,
                     technician_ids) -> dict[int, bool]:
    """For the dispatch card: whether each technician's van holds the whole suggested load."""
    require_manager(manager)
    if triage is None or not triage.lines:
        return {}
    skus = [line.sku for line in triage.lines]
    parts = {p.sku: p.id for p in await uow.session.scalars(
        select(Part).where(Part.sku.in_(skus)))}
    levels = await _van_levels(uow, list(technician_ids), list(parts.values()))
    return {t: all(levels.get((t, parts.get(line.sku)), 0) >= line.quantity
                   for line in triage.lines)
            for t in technician_ids}


# --- asking for the parts the van lacks --------------------------------------------------------

async def _wanted(uow: UnitOfWork, technician: User, order,
                  language: str) -> tuple[ServiceOrder, list[list]]:
    """The order (locked) and the [sku, quantity] its suggested load lacks on the van."""
    if technician is None or technician.role != TECHNICIAN:
        raise NotAllowed(reason="technician_only")
    order = await locked(uow, technician, order)  # two quick presses ask once
    triage = await for_order(uow, order, language, technician.id)
    if triage is None or triage.status != "ok" or order.status not in ASK_STATUSES:
        raise NotAllowed(reason="nothing_to_ask", why="no_suggestion")
    wanted = [[line.sku, line.quantity - (line.on_van or 0)] for line in triage.short]
    if not wanted:
        raise NotAllowed(reason="nothing_to_ask", why="van_ready")
    return order, wanted


async def missing_for_van(uow: UnitOfWork, technician: User, order,
                          language: str = "zh") -> dict[int, int]:
    """What the technician's van lacks of the parts to bring to this job of theirs, as part
    id → quantity (active catalogue parts), to prefill a van request (core.van_requests).
    NotAllowed "nothing_to_ask" as for request_parts."""
    _, wanted = await _wanted(uow, technician, order, language)
    parts = dict((await uow.session.execute(
        select(Part.sku, Part.id).where(Part.sku.in_([sku for sku, _ in wanted]),
                                        Part.active.is_(True)))).all())
    missing = {parts[sku]: int(quantity) for sku, quantity in wanted if sku in parts}
    if not missing:
        raise NotAllowed(reason="nothing_to_ask", why="no_suggestion")
    return missing


async def request_parts(uow: UnitOfWork, technician: User, order,
                        language: str = "zh") -> tuple[PartsRequest, bool]:
    """The technician asks the managers for the suggested parts their van lacks (the
    shortfall of each). Returns (the request, True if it was new); the same shortfall asked
    again returns the earlier request and tells nobody twice. NotAllowed "nothing_to_ask"
    (why: van_ready, no_suggestion) when the van holds the load or nothing is suggested now."""
    order, wanted = await _wanted(uow, technician, order, language)
    earlier = await uow.session.scalars(
        select(PartsRequest).where(PartsRequest.order_id == order.id,
                                   PartsRequest.technician_id == technician.id)
        .order_by(PartsRequest.id.desc()))
    for request in earlier:
        if sorted(map(tuple, request.parts)) == sorted(map(tuple, wanted)):
            return request, False
    now = uow.now()
    request = PartsRequest(order_id=order.id, technician_id=technician.id, at=now,
                           parts=wanted)
    uow.session.add(request)
    await uow.session.flush()
    managers = await uow.session.scalars(
        select(User.id).where(User.role == MANAGER, User.active.is_(True)))
    for manager_id in managers:
        uow.session.add(Reminder(
            key=f"order:{order.id}:parts_request:{manager_id}:{request.id}",
            kind="parts_request", order_id=order.id, recipient_id=manager_id, due_at=now,
            created_at=now, attempts=0))
    await uow.session.flush()
    log.info("order %s: technician %s asked for parts %s", order.number, technician.id,
             ", ".join(f"{q} × {sku}" for sku, q in wanted))
    return request, True


async def request_lines(uow: UnitOfWork, request_id: int) -> tuple[PartsRequest | None,
                                                                  tuple[RequestLine, ...]]:
    """A request and its parts with their names, for the managers' notice."""
    request = await uow.session.get(PartsRequest, request_id)
    if request is None:
        return None, ()
    skus = [sku for sku, _ in request.parts]
    names = dict((await uow.session.execute(
        select(Part.sku, Part.name).where(Part.sku.in_(skus)))).all()) if skus else {}
    return request, tuple(RequestLine(sku, names.get(sku, sku), int(quantity))
                          for sku, quantity in request.parts)
