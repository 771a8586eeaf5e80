"""Service orders: creating them, numbering them, and moving them through the lifecycle.

`apply` is the one way an order's status changes; it always leaves an event row.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from . import lifecycle
from .desk import UnitOfWork
from .errors import InvalidInput, NotFound, TransitionRefused
from .lifecycle import MANAGER, TECHNICIAN
from .models import OrderEvent, ServiceOrder, User

log = logging.getLogger(__name__)

NUMBER_PREFIX = {lifecycle.REPAIR: "R", lifecycle.INSTALLATION: "I", lifecycle.WARRANTY: "W"}
NUMBER_OFFSET = 1000  # so the first order is R-1001: short and sayable on the phone


def order_number(kind: str, order_id: int) -> str:
    return f"{NUMBER_PREFIX[kind]}-{NUMBER_OFFSET + order_id}"


def parse_order_number(text: str) -> int | None:
    """The order id behind 'R-1001', 'r1001' or '1001'; None for anything else."""
    cleaned = (text or "").strip().upper().replace(" ", "")
    if cleaned[:1] in NUMBER_PREFIX.values():
        cleaned = cleaned[1:].lstrip("-")
    if not cleaned.isdigit() or len(cleaned) > 12:
        return None
    order_id = int(cleaned) - NUMBER_OFFSET
    return order_id if order_id > 0 else None


async def create_order(uow: UnitOfWork, customer: User, kind: str, **fields) -> ServiceOrder:
    if kind not in lifecycle.KINDS:
        raise InvalidInput(field="kind")
    now = uow.now()
    order = ServiceOrder(kind=kind, status=lifecycle.NEW, customer_id=customer.id,
                         photos=[], created_at=now, updated_at=now, **fields)
    uow.session.add(order)
    await uow.session.flush()
    # The number derives from the id, so it is unique without a counter to race on.
    order.number = order_number(kind, order.id)
    uow.session.add(OrderEvent(order_id=order.id, actor_id=customer.id, at=now,
                               action="create", from_status=None, to_status=order.status))
    uow.order_changed(order)
    await uow.session.flush()
    log.info("order %s created (%s)", order.number, kind)
    return order


async def find_order_for(uow: UnitOfWork, user: User, number_or_id: str | int) -> ServiceOrder:
    """The order if `user` may see it; NotFound otherwise, the same as for no such order."""
    order_id = number_or_id if isinstance(number_or_id, int) else parse_order_number(number_or_id)
    order = await uow.session.get(ServiceOrder, order_id) if order_id else None
    if order is None or not may_see(user, order) or (
        isinstance(number_or_id, str) and not _number_matches(order, number_or_id)
    ):
        raise NotFound(what="order")
    return order


def _number_matches(order: ServiceOrder, typed: str) -> bool:
    prefix = typed.strip().upper()[:1]
    return not prefix.isalpha() or order.number.startswith(prefix)


def may_see(user: User, order: ServiceOrder) -> bool:
    if not user.active:
        return False
    if user.role == MANAGER:
        return True
    if user.role == TECHNICIAN:
        return order.technician_id == user.id
    return order.customer_id == user.id


async def apply(uow: UnitOfWork, order: ServiceOrder, action: str, actor: User,
                note: str | None = None) -> OrderEvent:
    """Moves `order` by `action` if the lifecycle allows it for `actor`; records the event."""
    if not may_see(actor, order):
        raise NotFound(what="order")
    try:
        target = lifecycle.target_status(action, order.status, actor.role, order.kind)
    except TransitionRefused as refused:
        refused.details["order"] = order.number
        raise
    event = record(uow, order, action, actor, to_status=target, note=note)
    order.status = target
    await uow.session.flush()
    log.info("order %s: %s %s -> %s by user %s", order.number, action,
             event.from_status, target, actor.id)
    return event


def record(uow: UnitOfWork, order: ServiceOrder, action: str, actor: User | None, *,
           to_status: str | None = None, note: str | None = None) -> OrderEvent:
    """An event row; without `to_status` it records an act that keeps the status."""
    now = uow.now()
    event = OrderEvent(order_id=order.id, actor_id=actor.id if actor else None, at=now,
                       action=action, from_status=order.status,
                       to_status=to_status or order.status, note=note)
    uow.session.add(event)
    order.updated_at = now
    uow.order_changed(order)
    return event


@dataclass(frozen=True)
class Actor:
    """Who did an act, as a timeline shows them."""

    id: int
    role: str
    name: str | None


async def timeline(uow: UnitOfWork, order: ServiceOrder) -> list[tuple[OrderEvent, Actor | None]]:
    # The actors' columns only: loading User rows would load their skills and areas too.
    rows = await uow.session.execute(
        select(OrderEvent, User.id, User.role, User.name)
        .outerjoin(User, User.id == OrderEvent.actor_id)
        .where(OrderEvent.order_id == order.id)
        .order_by(OrderEvent.id)
    )
    return [(event, Actor(user_id, role, name) if user_id is not None else None)
            for event, user_id, role, name in rows]


async def lock_order(uow: UnitOfWork, order: ServiceOrder) -> None:
    """Holds the order's row until the unit of work ends and reloads it, so a status checked
    afterwards cannot be changed underneath (by a technician setting off, say). The update
    changes nothing; it takes the row lock (PostgreSQL) or the write lock (SQLite)."""
    await uow.session.execute(
        update(ServiceOrder).where(ServiceOrder.id == order.id)
        .values(updated_at=ServiceOrder.updated_at)
        .execution_options(synchronize_session=False))
    await uow.session.refresh(order)
