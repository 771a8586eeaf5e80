"""A delivery's handover (送货安装: 确认产品完好无损): before installing, the technician records the
condition the box was handed over in (intact or damaged, at least one photo); the customer is
asked at once in chat to confirm it (never held by quiet hours: they are standing there); the
technician hears the answer.

Damage, said by either, opens a claim: a complaint with reason "damage" on the order
(core.complaints.open_for_delivery, the sales order's number in its text; the managers are
told as for any complaint), and the managers are asked to decide: install anyway, or hold the
installation (the order waits as it is; "install anyway" may still come later). Completing the
installation is refused while a claim awaits that decision or is held (`require_not_held`,
checked by core.job_completion). The technician hears the decision either way.

Every step is an act on the order's timeline (core.orders.record, the status kept):
handover_recorded, handover_confirmed / handover_disputed, handover_install / handover_hold.

Who may: the order's own technician records, on site, once; the order's own customer answers,
once (someone else's order is NotFound, like a missing one; a second answer is NotAllowed
"handover_answered"); only managers decide (a second, same decision is NotAllowed
"handover_decided").

Notices are rows in core.models.Reminder with the key "handover:<order id>:<kind>:<recipient
id>:<occasion>" and no order_id (the order's own planning leaves them alone), due at once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from . import complaints, lifecycle, orders
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed, NotFound
from .jobs import clean_photo_ids, own_job
from .models import Complaint, Handover, Reminder, SalesOrder, ServiceOrder, User
from .roles import require_customer, require_manager

log = logging.getLogger(__name__)

INTACT, DAMAGED = "intact", "damaged"
CONDITIONS = (INTACT, DAMAGED)
GOOD = "good"  # the customer's answer: good, or damaged
INSTALL, HOLD = "install", "hold"
KINDS = ("handover_confirm", "handover_answered", "handover_claim", "handover_decided")
ACTS = ("handover_recorded", "handover_confirmed", "handover_disputed", "handover_install",
        "handover_hold")


@dataclass(frozen=True)
class HandoverView:
    order_id: int
    number: str
    sales_number: str
    condition: str
    photos: tuple[str, ...]
    customer_answer: str | None
    complaint_id: int | None
    complaint_number: str | None
    decision: str | None
    technician_name: str | None

    @property
    def awaiting_decision(self) -> bool:
        return self.complaint_id is not None and self.decision is None

    @property
    def held(self) -> bool:
        return self.complaint_id is not None and self.decision != INSTALL


def is_delivery(order: ServiceOrder) -> bool:
    return order.kind == lifecycle.INSTALLATION and order.sales_order_id is not None


async def get(uow: UnitOfWork, order_id: int) -> Handover | None:
    return await uow.session.get(Handover, order_id, populate_existing=True)


async def may_record(uow: UnitOfWork, order: ServiceOrder) -> bool:
    """A delivery on site with no handover recorded yet: the job card offers it."""
    return (is_delivery(order) and order.status == lifecycle.ON_SITE
            and await get(uow, order.id) is None)


async def _check_recordable(uow: UnitOfWork, order: ServiceOrder) -> None:
    if not is_delivery(order):
        raise NotAllowed(reason="not_a_delivery", order=order.number)
    if await get(uow, order.id) is not None:
        raise NotAllowed(reason="handover_recorded", order=order.number)
    if order.status != lifecycle.ON_SITE:
        raise NotAllowed(reason="handover_not_now", order=order.number)


async def check_recordable(uow: UnitOfWork, technician: User, order) -> ServiceOrder:
    """The technician's own delivery, on site, without a handover yet; else a refusal."""
    found = await own_job(uow, technician, order)
    await _check_recordable(uow, found)
    return found


def _remind(uow: UnitOfWork, order: ServiceOrder, kind: str, recipient_id: int,
            occasion: str) -> None:
    uow.session.add(Reminder(key=f"handover:{order.id}:{kind}:{recipient_id}:{occasion}",
                             kind=kind, recipient_id=recipient_id, due_at=uow.now(),
                             created_at=uow.now(), attempts=0))


def order_of(reminder: Reminder) -> int | None:
    """The order a handover notice is about (from its key), or None."""
    parts = reminder.key.split(":")
    if len(parts) > 2 and parts[0] == "handover" and parts[1].isdecimal():
        return int(parts[1])
    return None


async def _claim(uow: UnitOfWork, order: ServiceOrder, handover: Handover, text: str) -> None:
    if handover.complaint_id is not None:
        return
    complaint = await complaints.open_for_delivery(uow, order, text, handover.photos)
    handover.complaint_id = complaint.id
    managers = await uow.session.scalars(select(User.id).where(
        User.role == lifecycle.MANAGER, User.active.is_(True)).order_by(User.id))
    for manager in managers:
        _remind(uow, order, "handover_claim", manager, "claim")


async def record(uow: UnitOfWork, technician: User, order, condition: str, photos,
                 claim_text: str = "damaged at handover") -> Handover:
    """The technician's record of the box at handover; asks the customer at once. Damaged
    opens the claim (`claim_text`: its words after the sales order's and the order's
    numbers, in the company's language)."""
    if condition not in CONDITIONS:
        raise InvalidInput(field="condition", reason="unknown")
    photos = clean_photo_ids(photos)
    if not photos:
        raise InvalidInput(field="photos", reason="empty")
    found = await check_recordable(uow, technician, order)
    now = uow.now()
    handover = Handover(order_id=found.id, technician_id=technician.id, condition=condition,
                        photos=photos, recorded_at=now)
    uow.session.add(handover)
    orders.record(uow, found, "handover_recorded", technician, note=condition)
    await uow.session.flush()
    if condition == DAMAGED:
        await _claim(uow, found, handover, claim_text)
    _remind(uow, found, "handover_confirm", found.customer_id, "asked")
    await uow.session.flush()
    log.info("order %s: handover recorded as %s", found.number, condition)
    return handover


async def answer(uow: UnitOfWork, customer: User, order, good: bool,
                 claim_text: str = "the customer says it is damaged") -> Handover:
    """The customer's answer to the handover question, once; the technician hears it."""
    require_customer(customer)
    found = await orders.find_order_for(uow, customer, _order_id(order))
    await orders.lock_order(uow, found)
    handover = await get(uow, found.id)
    if handover is None:
        raise NotFound(what="handover")
    if handover.customer_answer is not None:
        raise NotAllowed(reason="handover_answered", order=found.number)
    handover.customer_answer, handover.answered_at = (GOOD if good else DAMAGED), uow.now()
    orders.record(uow, found, "handover_confirmed" if good else "handover_disputed", customer)
    if not good:
        await _claim(uow, found, handover, claim_text)
    _remind(uow, found, "handover_answered", handover.technician_id, "answered")
    await uow.session.flush()
    log.info("order %s: handover answered %s", found.number, handover.customer_answer)
    return handover


async def decide(uow: UnitOfWork, manager: User, order, install: bool) -> Handover:
    """A manager's decision on a claimed delivery: install anyway, or hold the installation;
    the technician is told either way. A hold may later become "install anyway"."""
    require_manager(manager)
    found = await orders.find_order_for(uow, manager, _order_id(order))
    await orders.lock_order(uow, found)
    handover = await get(uow, found.id)
    if handover is None or handover.complaint_id is None:
        raise NotFound(what="handover")
    decision = INSTALL if install else HOLD
    if handover.decision in (INSTALL, decision):
        by = await uow.session.get(User, handover.decided_by_id)
        raise NotAllowed(reason="handover_decided", order=found.number,
                         decision=handover.decision, by=by.name if by and by.name else "?")
    if found.status not in lifecycle.OPEN_STATUSES:
        raise NotAllowed(reason="handover_not_now", order=found.number)
    handover.decision, handover.decided_by_id, handover.decided_at = \
        decision, manager.id, uow.now()
    orders.record(uow, found, f"handover_{decision}", manager)
    _remind(uow, found, "handover_decided", handover.technician_id, decision)
    await uow.session.flush()
    log.info("order %s: handover claim decided (%s) by manager %s", found.number, decision,
             manager.id)
    return handover


async def require_not_held(uow: UnitOfWork, order: ServiceOrder) -> None:
    """Completion of a delivery waits while its damage claim awaits the manager's decision or
    is held (NotAllowed "handover_awaiting" / "handover_held")."""
    handover = await get(uow, order.id)
    if handover is None or handover.complaint_id is None or handover.decision == INSTALL:
        return
    raise NotAllowed(reason="handover_held" if handover.decision == HOLD
                     else "handover_awaiting", order=order.number)


def _order_id(order) -> int | str:
    if isinstance(order, ServiceOrder):
        return order.id
    if isinstance(order, bool) or not isinstance(order, (int, str)):
        raise NotFound(what="order")
    return order


async def view(uow: UnitOfWork, user: User, order) -> HandoverView | None:
    """The handover of an order `user` may see (NotFound otherwise), or None if none yet."""
    found = await orders.find_order_for(uow, user, _order_id(order))
    handover = await get(uow, found.id)
    if handover is None:
        return None
    sales = await uow.session.get(SalesOrder, found.sales_order_id)
    complaint = await uow.session.get(Complaint, handover.complaint_id) \
        if handover.complaint_id else None
    technician = await uow.session.get(User, handover.technician_id)
    return HandoverView(
        order_id=found.id, number=found.number, sales_number=sales.number if sales else "",
        condition=handover.condition, photos=tuple(handover.photos or ()),
        customer_answer=handover.customer_answer,
        complaint_id=complaint.id if complaint else None,
        complaint_number=complaint.number if complaint else None,
        decision=handover.decision,
        technician_name=technician.name if technician else None)
