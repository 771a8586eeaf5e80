"""An order's priority (订单分类: 普通订单 / 重要订单; 紧急程度): normal, urgent or important.

Urgent: the customer's words say the household is without heating or water, or something is
leaking (`sounds_urgent`), or the customer says so when booking, or a manager marks it.
Important: a manager's call (a business account, a repeat complaint). What it changes:
dispatch lists urgent, then important orders first, each with its mark (core.dispatch); an
urgent booking is offered the earliest free window first (the chat's booking flow); managers
hear of an urgent order still unassigned after 30 minutes instead of 2 hours
(core.reminders). A manager's change is an event on the order ("prioritise", the new
priority as its note).
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from . import lifecycle, orders
from .access import locked
from .desk import UnitOfWork
from .errors import InvalidInput
from .models import OrderEvent, ServiceOrder, User
from .roles import require_manager

NORMAL, URGENT, IMPORTANT = "normal", "urgent", "important"
PRIORITIES = (NORMAL, URGENT, IMPORTANT)
RANK = {URGENT: 0, IMPORTANT: 1, NORMAL: 2}  # dispatch order
UNASSIGNED_AFTER = {URGENT: timedelta(minutes=30)}  # else 2 hours (core.reminders)
MARK_ACTION = "prioritise"

# What a customer writes when it cannot wait: English and Chinese, as typed.
_URGENT_WORDS = re.compile(
    r"no\s+(hot\s+)?(heating|heat|water)|not\s+heating|leak|flood|burst|"
    r"不制热|不加热|没有?热水|没有?水|不出水|漏水|渗水|跑水|水管爆|爆管|没暖气|暖气不热",
    re.IGNORECASE)


def sounds_urgent(description: str | None) -> bool:
    """Whether the customer's words say no heating, no water or a leak."""
    return bool(description and _URGENT_WORDS.search(description))


def for_booking(description: str | None, urgent: bool | None, important: bool = False) -> str:
    """A new booking's priority: urgent by the customer's own answer when given, else by their
    words; else important for a customer a manager marked important."""
    if urgent is None:
        urgent = sounds_urgent(description)
    return URGENT if urgent else IMPORTANT if important else NORMAL


async def mark(uow: UnitOfWork, manager: User, order: ServiceOrder | int | str,
               priority: str) -> ServiceOrder:
    """A manager sets an order's priority; the change is an event on the order."""
    require_manager(manager)
    if priority not in PRIORITIES:
        raise InvalidInput(field="priority", reason="unknown")
    order = await locked(uow, manager, order)
    if order.priority != priority:
        orders.record(uow, order, MARK_ACTION, manager, note=priority)
        order.priority = priority
        await uow.session.flush()
    return order


async def mark_customer(uow: UnitOfWork, manager: User, order: ServiceOrder | int | str,
                        important: bool) -> User:
    """A manager marks the customer of `order` important (or not): their open orders that are
    normal become important (and back), and so will their next bookings."""
    require_manager(manager)
    order = await locked(uow, manager, order)
    customer = await uow.session.get(User, order.customer_id)
    if bool(customer.important) == bool(important):
        return customer
    customer.important = bool(important)
    before, after = (NORMAL, IMPORTANT) if important else (IMPORTANT, NORMAL)
    for other in await uow.session.scalars(
            select(ServiceOrder).where(ServiceOrder.customer_id == customer.id,
                                       ServiceOrder.status.in_(lifecycle.OPEN_STATUSES),
                                       ServiceOrder.priority == before)):
        orders.record(uow, other, MARK_ACTION, manager, note=after)
        other.priority = after
    await uow.session.flush()
    return customer


async def marked_at(uow: UnitOfWork, order: ServiceOrder):
    """When a manager last set the order's priority, or None."""
    return await uow.session.scalar(
        select(OrderEvent.at).where(OrderEvent.order_id == order.id,
                                    OrderEvent.action == MARK_ACTION)
        .order_by(OrderEvent.id.desc()).limit(1))
