"""What people see of complaints: a complaint's card and timeline, the lists (a customer's own,
the managers' unclosed, an order's), the figures /summary shows and the managers' CSV."""
from __future__ import annotations

import csv
import io
import logging
import statistics
import tempfile
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from .complaints import UNFINISHED, WAITING_FOR_MANAGER, find
from .desk import UnitOfWork
from .exports import IN_MEMORY_MAX, ExportFile, Words, typed, yuan
from .lifecycle import CUSTOMER, MANAGER
from .models import Complaint, ComplaintEvent, ServiceOrder, User
from .periods import period, within
from .reports import average_minutes
from .roles import require_customer, require_manager

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComplaintEntry:
    at: datetime
    action: str
    to_status: str
    by: str | None  # role of who did it; None: the system
    by_name: str | None
    resolution: str | None = None  # for "resolve"
    amount: int | None = None
    revisit: str | None = None


@dataclass(frozen=True)
class ComplaintCard:
    id: int
    number: str
    status: str
    reason: str
    text: str
    photos: tuple[str, ...]
    order_id: int
    order_number: str
    category: str | None
    technician_name: str | None
    customer_name: str | None
    customer_phone: str | None  # managers only
    manager_id: int | None
    manager_name: str | None
    resolution: str | None
    amount: int | None
    resolution_note: str | None
    revisit_number: str | None
    created_at: datetime
    timeline: tuple[ComplaintEntry, ...]


def _entry(event: ComplaintEvent, role: str | None, name: str | None) -> ComplaintEntry:
    resolution = amount = revisit = None
    if event.action == "resolve" and event.note:
        resolution, _, rest = event.note.partition(":")
        if rest.isdecimal():
            amount = int(rest)
        elif rest:
            revisit = rest
    return ComplaintEntry(event.at, event.action, event.to_status, role, name, resolution,
                          amount, revisit)


async def complaint_card(uow: UnitOfWork, viewer: User,
                         complaint: Complaint | int | str) -> ComplaintCard:
    complaint = await find(uow, viewer, complaint)
    order = await uow.session.get(ServiceOrder, complaint.order_id)
    wanted = [i for i in (complaint.technician_id or order.technician_id, complaint.manager_id,
                          complaint.customer_id) if i]
    names = dict((await uow.session.execute(
        select(User.id, User.name).where(User.id.in_(wanted)))).all())
    customer = await uow.session.get(User, complaint.customer_id)
    revisit = (await uow.session.get(ServiceOrder, complaint.revisit_order_id)
               if complaint.revisit_order_id else None)
    rows = await uow.session.execute(
        select(ComplaintEvent, User.role, User.name)
        .outerjoin(User, User.id == ComplaintEvent.actor_id)
        .where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id))
    staff = viewer.role == MANAGER
    timeline = tuple(_entry(event, role, name if (staff or role != MANAGER) else None)
                     for event, role, name in rows)
    technician_id = complaint.technician_id or order.technician_id
    return ComplaintCard(
        id=complaint.id, number=complaint.number, status=complaint.status,
        reason=complaint.reason, text=complaint.text, photos=tuple(complaint.photos or ()),
        order_id=order.id, order_number=order.number, category=order.category,
        technician_name=names.get(technician_id) if technician_id else None,
        customer_name=names.get(complaint.customer_id),
        customer_phone=(order.phone or customer.phone) if staff else None,
        manager_id=complaint.manager_id,
        manager_name=names.get(complaint.manager_id) if complaint.manager_id else None,
        resolution=complaint.resolution, amount=complaint.amount,
        resolution_note=complaint.resolution_note,
        revisit_number=revisit.number if revisit else None,
        created_at=complaint.created_at, timeline=timeline)


@dataclass(frozen=True)
class ComplaintLine:
    id: int
    number: str
    status: str
    reason: str
    order_number: str
    manager_name: str | None


async def complaint_list(uow: UnitOfWork, viewer: User, limit: int = 20) -> list[ComplaintLine]:
    """A manager's: the complaints not closed, oldest first; a customer's: their own, newest
    first."""
    manager = aliased(User)
    query = (select(Complaint.id, Complaint.number, Complaint.status, Complaint.reason,
                    ServiceOrder.number, manager.name)
             .join(ServiceOrder, ServiceOrder.id == Complaint.order_id)
             .outerjoin(manager, manager.id == Complaint.manager_id))
    if viewer.role == MANAGER and viewer.active:
        query = query.where(Complaint.status.in_(UNFINISHED)).order_by(Complaint.id)
    else:
        require_customer(viewer)
        query = query.where(Complaint.customer_id == viewer.id).order_by(Complaint.id.desc())
    return [ComplaintLine(*row) for row in await uow.session.execute(query.limit(limit))]


async def about_order(uow: UnitOfWork, viewer: User, order_id: int) -> list[ComplaintLine]:
    """The complaints about one order that `viewer` may see (the order's card shows them)."""
    if viewer.role not in (MANAGER, CUSTOMER) or not viewer.active:
        return []
    handler = aliased(User)
    query = (select(Complaint.id, Complaint.number, Complaint.status, Complaint.reason,
                    ServiceOrder.number, handler.name)
             .join(ServiceOrder, ServiceOrder.id == Complaint.order_id)
             .outerjoin(handler, handler.id == Complaint.manager_id)
             .where(Complaint.order_id == order_id).order_by(Complaint.id))
    if viewer.role == CUSTOMER:
        query = query.where(Complaint.customer_id == viewer.id)
    return [ComplaintLine(*row) for row in await uow.session.execute(query)]


async def waiting_count(uow: UnitOfWork) -> int:
    """Complaints waiting for a manager (open, in hand, reopened): the morning digest's."""
    return int(await uow.session.scalar(
        select(func.count()).select_from(Complaint)
        .where(Complaint.status.in_(WAITING_FOR_MANAGER))) or 0)


# --- figures and export -----------------------------------------------------------------------

@dataclass(frozen=True)
class ComplaintFigures:
    opened: int  # complaints made in the period
    completed: int  # orders completed in the period (the summary's)
    resolved: int  # complaints resolved in the period (their latest resolution)
    median_minutes: int | None  # from the complaint to its resolution
    average_minutes: int | None

    @property
    def rate_percent(self) -> float | None:
        """Complaints per completed order in the period, as a percentage (one decimal)."""
        if not self.completed:
            return None
        return round(100 * self.opened / self.completed, 1)


async def figures(uow: UnitOfWork, manager: User, period_name: str,
                  completed: int) -> ComplaintFigures:
    """The complaint rate and resolution times of today, this week or this month."""
    require_manager(manager)
    span = period(uow, period_name)
    opened = await uow.session.scalar(
        select(func.count()).select_from(Complaint).where(within(Complaint.created_at, span)))
    spans = [(resolved - created).total_seconds() for created, resolved in
             await uow.session.execute(select(Complaint.created_at, Complaint.resolved_at)
                                       .where(within(Complaint.resolved_at, span)))]
    return ComplaintFigures(
        opened=int(opened or 0), completed=completed, resolved=len(spans),
        median_minutes=average_minutes(round(statistics.median(spans)), 1) if spans else None,
        average_minutes=average_minutes(round(sum(spans)), len(spans)))


EXPORT_COLUMNS = ("complaint", "order", "status", "reason", "customer", "phone", "technician",
                  "manager", "opened_at", "resolved_at", "resolution", "amount", "note",
                  "revisit", "text")


async def export_complaints(uow: UnitOfWork, manager: User, period_name: str,
                            words: Words) -> ExportFile:
    """The complaints made today, this week or this month, as a CSV (as core.exports')."""
    require_manager(manager)
    span = period(uow, period_name)
    zone = uow.company.timezone
    customer, technician, handler = aliased(User), aliased(User), aliased(User)
    revisit = aliased(ServiceOrder)
    rows = await uow.session.execute(
        select(Complaint.number, ServiceOrder.number, Complaint.status, Complaint.reason,
               customer.name, func.coalesce(ServiceOrder.phone, customer.phone),
               technician.name, handler.name, Complaint.created_at, Complaint.resolved_at,
               Complaint.resolution, Complaint.amount, Complaint.resolution_note, revisit.number,
               Complaint.text)
        .join(ServiceOrder, ServiceOrder.id == Complaint.order_id)
        .join(customer, customer.id == Complaint.customer_id)
        .outerjoin(technician, technician.id == Complaint.technician_id)
        .outerjoin(handler, handler.id == Complaint.manager_id)
        .outerjoin(revisit, revisit.id == Complaint.revisit_order_id)
        .where(within(Complaint.created_at, span))
        .order_by(Complaint.created_at, Complaint.id))

    def local(moment):
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_MAX, mode="w+b")
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([words("column", c) for c in EXPORT_COLUMNS])
    count = 0
    for (number, order_number, status, reason, name, phone, tech, held_by, created, resolved,
         resolution, amount, note, revisit_number, typed_text) in rows:
        writer.writerow([number, order_number, words("status", status),
                         words("reason", reason), typed(name), phone or "", typed(tech),
                         typed(held_by), local(created), local(resolved),
                         words("resolution", resolution) if resolution else "", yuan(amount),
                         typed(note), revisit_number or "", typed(typed_text)])
        count += 1
    text.flush()
    text.detach()
    spool.seek(0)
    filename = f"complaints_{span.first_day.isoformat()}_{span.last_day.isoformat()}.csv"
    return ExportFile(spool, filename, count, span)
