"""The customer's rating of a finished order: 1 to 5 stars and an optional comment.

One rating per order, given once the order is completed or closed; a second one is refused
(NotAllowed reason "already_rated", with the stars given), so a rating request pressed twice
or a late change of heart cannot rewrite a KPI. The order is locked while checking, so two
presses at once give one rating. The rating also notes the order's technician, for their
average.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from . import lifecycle, orders
from .access import find, locked
from .catalogue import whole_number
from .desk import UnitOfWork
from .errors import NotAllowed, NotFound
from .models import Rating, ServiceOrder, User
from .parsing import clean_text
from .roles import require_customer

COMMENT_MAX = 500
LOW_RATING = 2  # 1 or 2 stars: the managers hear of it at once
RATEABLE_STATUSES = (lifecycle.COMPLETED, lifecycle.CLOSED)


async def rate(uow: UnitOfWork, customer: User, order: ServiceOrder | int | str, stars: int,
               comment: str | None = None) -> Rating:
    require_customer(customer)
    stars = whole_number(stars, "stars", 1, 5)
    comment = clean_text(comment, "comment", maximum=COMMENT_MAX, multiline=True)
    order = await locked(uow, customer, order)
    if order.status not in RATEABLE_STATUSES:
        raise NotAllowed(reason="not_completed", status=order.status)
    existing = await uow.session.get(Rating, order.id)
    if existing is not None:
        raise NotAllowed(reason="already_rated", stars=existing.stars)
    rating = Rating(order_id=order.id, customer_id=customer.id,
                    technician_id=order.technician_id, stars=stars, comment=comment,
                    at=uow.now())
    uow.session.add(rating)
    orders.record(uow, order, "rate", customer, note=str(stars))
    await uow.session.flush()
    return rating


async def order_rating(uow: UnitOfWork, viewer: User,
                       order: ServiceOrder | int | str) -> Rating | None:
    order = await find(uow, viewer, order)
    return await uow.session.get(Rating, order.id)


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float | None  # None without ratings; for display only, never money


async def technician_rating(uow: UnitOfWork, technician: User) -> RatingSummary:
    count, average = (await uow.session.execute(
        select(func.count(Rating.order_id), func.avg(Rating.stars))
        .where(Rating.technician_id == technician.id))).one()
    return RatingSummary(count, round(float(average), 2) if average is not None else None)


async def add_comment(uow: UnitOfWork, customer: User, order: ServiceOrder | int | str,
                      comment: str) -> Rating:
    """The optional words after the stars, once."""
    require_customer(customer)
    comment = clean_text(comment, "comment", minimum=1, maximum=COMMENT_MAX, multiline=True)
    order = await find(uow, customer, order)
    rating = await uow.session.get(Rating, order.id)
    if rating is None:
        raise NotFound(what="rating")
    if rating.comment:
        raise NotAllowed(reason="already_rated", stars=rating.stars)
    rating.comment = comment
    await uow.session.flush()
    return rating
