"""The repair report of a completed job: what was found and done, the labour and the parts
fitted (each with its own warranty end), the total and the workmanship warranty."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from .access import find
from .customer_orders import first_name
from .desk import UnitOfWork
from .errors import NotAllowed
from .jobs import latest_diagnosis
from .models import Appliance, Completion, ReplacedPart, ServiceOrder, User
from .quotes import LABOUR_KINDS, approved_quote


@dataclass(frozen=True)
class ReportPart:
    sku: str
    name: str
    quantity: int
    serial: str | None
    unit_price: int  # fen, as billed; 0 under warranty
    line_total: int
    warranty: bool  # fitted free under an earlier warranty
    warranty_until: date | None  # this part's own warranty, local; None: none


@dataclass(frozen=True)
class ReportLabour:
    name: str
    quantity: int
    unit_price: int
    line_total: int
    warranty: bool


@dataclass(frozen=True)
class RepairReport:
    order_id: int
    number: str
    kind: str
    category: str | None
    brand: str | None
    model: str | None
    serial: str | None
    technician_name: str | None  # first name
    found: str | None  # the diagnosis
    diagnosis_photos: tuple[str, ...]
    work_done: str | None
    labour: tuple[ReportLabour, ...]
    parts: tuple[ReportPart, ...]
    parts_total: int  # fen
    labour_total: int
    total: int  # the final amount
    completed_at: datetime  # aware UTC
    completed_on: date  # local
    workmanship_until: date  # local
    checklist: dict | None  # installations
    photos: tuple[str, ...]
    payment_method: str | None


async def repair_report(uow: UnitOfWork, viewer: User,
                        order: ServiceOrder | int | str) -> RepairReport:
    """The report of a completed job, for its customer, its technician or a manager."""
    order = await find(uow, viewer, order)
    completion = await uow.session.get(Completion, order.id)
    if completion is None:
        raise NotAllowed(reason="not_completed", status=order.status)
    session = uow.session
    appliance = (await session.get(Appliance, order.appliance_id)
                 if order.appliance_id else None)
    technician = await session.get(User, completion.technician_id)
    diagnosis = await latest_diagnosis(uow, order)
    quote = await approved_quote(uow, order)
    labour = tuple(
        ReportLabour(line.description, line.quantity, line.unit_price, line.total, line.warranty)
        for line in sorted(quote.lines if quote else (), key=lambda line: line.position)
        if line.kind in LABOUR_KINDS)
    parts = tuple(
        ReportPart(r.sku, r.name, r.quantity, r.serial, r.unit_price, r.quantity * r.unit_price,
                   r.warranty, r.warranty_until)
        for r in await session.scalars(
            select(ReplacedPart).where(ReplacedPart.order_id == order.id)
            .order_by(ReplacedPart.id)))
    return RepairReport(
        order_id=order.id, number=order.number, kind=order.kind,
        category=order.category or (appliance.category if appliance else None),
        brand=appliance.brand if appliance else None,
        model=appliance.model if appliance else None,
        serial=appliance.serial if appliance else None,
        technician_name=first_name(technician.name) if technician else None,
        found=diagnosis.fault if diagnosis else None,
        diagnosis_photos=tuple(diagnosis.photos or ()) if diagnosis else (),
        work_done=completion.work_done, labour=labour, parts=parts,
        parts_total=completion.parts_amount, labour_total=completion.labour_amount,
        total=completion.amount, completed_at=completion.at,
        completed_on=completion.at.astimezone(uow.company.timezone).date(),
        workmanship_until=completion.workmanship_until, checklist=completion.checklist,
        photos=tuple(completion.photos or ()), payment_method=order.payment_method)
