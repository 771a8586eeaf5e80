"""Completing a job.

Completion: only from in_progress (repair, warranty) or on_site (installation). The parts used
must be on the approved quote, no more of each than approved (else NotAllowed reason
"needs_revised_quote"): the bill is the approved labour plus the parts actually used at their
quoted prices (covered units first), so it never exceeds the approved total. The parts are
issued from stock (the technician's van first, then the main warehouse) in the same
transaction; each gets its warranty end date (its catalogue months from today, local), and the
job the workmanship warranty (core.warranty). An installation has no quote and takes no parts;
it needs the checklist (delivered and installed must be yes; tested and old unit taken away
yes or no) and at least one photo, and bills nothing.
"""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from . import handover, lifecycle, orders, stock
from .bill import bill
from .catalogue import get_part, whole_number
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed
from .jobs import (
    PART_QUANTITY_MAX,
    PARTS_USED_MAX,
    SERIAL_MAX,
    check_act,
    clean_photo_ids,
    own_job,
)
from .models import Completion, Part, ReplacedPart, ServiceOrder, User
from .parsing import clean_text, serial_number
from .quotes import approved_quote
from .warranty import add_months, warranty_end, workmanship_months
from .windows import local_today

log = logging.getLogger(__name__)

WORK_DONE_MAX = 1000
CHECKLIST_ITEMS = ("delivered", "installed", "tested", "old_unit_removed")
CHECKLIST_REQUIRED = ("delivered", "installed")  # must be yes for the job to be complete


def _clean_checklist(checklist) -> dict[str, bool]:
    if not isinstance(checklist, dict):
        raise InvalidInput(field="checklist", reason="incomplete",
                           missing=list(CHECKLIST_ITEMS))
    missing = [item for item in CHECKLIST_ITEMS if not isinstance(checklist.get(item), bool)]
    if missing:
        raise InvalidInput(field="checklist", reason="incomplete", missing=missing)
    not_done = [item for item in CHECKLIST_REQUIRED if not checklist[item]]
    if not_done:
        raise InvalidInput(field="checklist", reason="not_done", items=not_done)
    return {item: checklist[item] for item in CHECKLIST_ITEMS}


async def _clean_parts_used(uow: UnitOfWork, parts_used) -> list[tuple[Part, int, str | None]]:
    if parts_used is None:
        return []
    if not isinstance(parts_used, (list, tuple)) or len(parts_used) > PARTS_USED_MAX:
        raise InvalidInput(field="parts_used", reason="format")
    cleaned = []
    for entry in parts_used:
        if not isinstance(entry, (list, tuple)) or len(entry) not in (2, 3):
            raise InvalidInput(field="parts_used", reason="format")
        part = await get_part(uow, entry[0], include_inactive=True)
        quantity = whole_number(entry[1], "quantity", 1, PART_QUANTITY_MAX)
        serial = serial_number(entry[2] if len(entry) == 3 else None, maximum=SERIAL_MAX)
        cleaned.append((part, quantity, serial))
    return cleaned


async def serial_fitted_on(uow: UnitOfWork, serial: str) -> str | None:
    """The order a part with this serial number was already fitted on (letter case and
    spaces aside), or None: the same serial twice is usually a typing slip."""
    key = "".join(serial.split()).casefold()
    rows = await uow.session.execute(
        select(ReplacedPart.serial, ServiceOrder.number)
        .join(ServiceOrder, ServiceOrder.id == ReplacedPart.order_id)
        .where(func.lower(func.replace(ReplacedPart.serial, " ", "")) == key).limit(1))
    found = rows.first()
    return found[1] if found else None


def require_distinct_serials(used) -> None:
    """One serial number belongs to one part: the same one twice in a job is refused."""
    seen = set()
    for _, _, serial in used:
        key = "".join(serial.split()).casefold() if serial else None
        if key and key in seen:
            raise InvalidInput(field="serial", reason="twice", serial=serial)
        seen.add(key)


async def complete(uow: UnitOfWork, technician: User, order: ServiceOrder | int | str,
                   parts_used: list[tuple] | tuple = (), checklist: dict | None = None,
                   photos: list[str] | tuple[str, ...] = (),
                   work_done: str | None = None) -> Completion:
    """Completes the job (see the module's notes): `parts_used` lists (part, quantity, serial
    or None); `work_done` is an optional note of what was done (up to 1000 characters) for
    the report. Records the final amount on the order and returns the completion."""
    used = await _clean_parts_used(uow, parts_used)
    photos = clean_photo_ids(photos)
    work_done = clean_text(work_done, "work_done", maximum=WORK_DONE_MAX, multiline=True)
    order = await own_job(uow, technician, order)
    check_act(order, "complete")
    await handover.require_not_held(uow, order)  # a damage claim awaits or holds it
    installation = order.kind == lifecycle.INSTALLATION
    if installation:
        checklist = _clean_checklist(checklist)
        if not photos:
            raise InvalidInput(field="photos", reason="empty")
        if used:
            raise NotAllowed(reason="no_parts_on_installation")
        quote_lines = []
    else:
        checklist = _clean_checklist(checklist) if checklist is not None else None
        quote = await approved_quote(uow, order)
        quote_lines = sorted(quote.lines if quote else (), key=lambda line: line.position)
    require_distinct_serials(used)
    priced = bill(quote_lines, used, order.quote_total)
    await stock.issue_parts(uow, technician, order, [(p, q) for p, q, _ in used])

    now, today = uow.now(), local_today(uow)
    for part, line, taken, serial in priced.fitted:
        months = line.warranty_months or 0
        uow.session.add(ReplacedPart(
            order_id=order.id, appliance_id=order.appliance_id, part_id=part.id,
            sku=line.sku or part.sku, name=line.description, quantity=taken, serial=serial,
            unit_price=line.unit_price, warranty=line.warranty, warranty_months=months,
            warranty_until=warranty_end(today, months), created_at=now))
    parts_amount, labour_amount, amount = priced.parts, priced.labour, priced.total
    completion = Completion(order_id=order.id, technician_id=technician.id, at=now,
                            parts_amount=parts_amount, labour_amount=labour_amount,
                            amount=amount, checklist=checklist, photos=photos,
                            work_done=work_done,
                            workmanship_until=add_months(today, workmanship_months(uow)))
    uow.session.add(completion)
    order.completed_at, order.final_amount = now, amount
    await orders.apply(uow, order, "complete", technician, note=str(amount))
    log.info("order %s completed: %s fen", order.number, amount)
    return completion


