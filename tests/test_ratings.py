"""A customer rates a finished order once: 1 to 5 stars and an optional comment."""
import pytest

from core import job_completion, people, quotes, ratings
from core.errors import InvalidInput, NotAllowed, NotFound
from tests.workshop import ANN, BOB, LI, act, company, quoted


async def finished(desk, clock, customer=ANN, **overrides):
    order = await quoted(desk, clock, [("labour", "CALLOUT", 1)], customer=customer,
                         **overrides)
    await act(desk, quotes.approve_quote, customer, order.number)
    await act(desk, job_completion.complete, LI, order.number)
    return order


async def test_a_finished_order_is_rated_once(desk, clock):
    await company(desk)
    order = await finished(desk, clock)
    rating = await act(desk, ratings.rate, ANN, order.number, 4, "  On time,\r\nfriendly  ")
    assert (rating.stars, rating.comment) == (4, "On time,\nfriendly")
    with pytest.raises(NotAllowed) as refused:
        await act(desk, ratings.rate, ANN, order.number, 1)
    assert refused.value.details == {"reason": "already_rated", "stars": 4}
    other = await finished(desk, clock, customer=BOB, brand="Midea", window="13-17")
    await act(desk, ratings.rate, BOB, other.number, 5)
    async with desk.uow() as uow:
        summary = await ratings.technician_rating(uow, await people.find_user(uow, LI))
        mine = await ratings.order_rating(uow, await people.find_user(uow, ANN), order.number)
    assert (summary.count, summary.average) == (2, 4.5)
    assert mine.stars == 4


async def test_what_a_rating_refuses(desk, clock):
    await company(desk)
    order = await quoted(desk, clock, [("labour", "CALLOUT", 1)])
    with pytest.raises(NotAllowed) as refused:
        await act(desk, ratings.rate, ANN, order.number, 5)
    assert refused.value.details == {"reason": "not_completed", "status": "awaiting_approval"}
    await act(desk, quotes.approve_quote, ANN, order.number)
    await act(desk, job_completion.complete, LI, order.number)
    for stars in (0, 6, "five", 4.5, True, None):
        with pytest.raises(InvalidInput) as refused:
            await act(desk, ratings.rate, ANN, order.number, stars)
        assert refused.value.details["field"] == "stars"
    with pytest.raises(InvalidInput) as refused:
        await act(desk, ratings.rate, ANN, order.number, 5, "x" * 501)
    assert refused.value.details == {"field": "comment", "reason": "too_long", "limit": 500}
    with pytest.raises(NotFound):
        await act(desk, ratings.rate, BOB, order.number, 1)
    with pytest.raises(NotAllowed) as refused:
        await act(desk, ratings.rate, LI, order.number, 5)
    assert refused.value.details == {"reason": "customer_only"}
