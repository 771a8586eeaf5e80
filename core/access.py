"""Finding the order a person acts on, locked for the act: someone else's order is NotFound,
exactly like one that does not exist, and so is every order of a deactivated person."""
from __future__ import annotations

from . import orders
from .desk import UnitOfWork
from .errors import NotFound
from .models import ServiceOrder, User


async def find(uow: UnitOfWork, user: User, order: ServiceOrder | int | str) -> ServiceOrder:
    """The order (itself, its id or its number) if `user` may see it, else NotFound. An
    order object from another unit of work is read again in this one."""
    if isinstance(order, ServiceOrder) and order not in uow.session:
        order = order.id
    if isinstance(order, ServiceOrder):
        if not orders.may_see(user, order):
            raise NotFound(what="order")
        return order
    if isinstance(order, bool) or not isinstance(order, (int, str)):
        raise NotFound(what="order")
    return await orders.find_order_for(uow, user, order)


async def locked(uow: UnitOfWork, user: User, order: ServiceOrder | int | str) -> ServiceOrder:
    """As `find`, then holds the order's row to the end of the unit of work and reloads it,
    so what is checked next is the order as it is now (still `user`'s: a job reassigned a
    moment ago is NotFound to its former technician)."""
    order = await find(uow, user, order)
    await orders.lock_order(uow, order)
    if not orders.may_see(user, order):
        raise NotFound(what="order")
    return order
