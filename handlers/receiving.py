"""Receiving against the purchase order in chat (core.receiving), for managers.

/receive (handlers.stock_moves) first offers the open purchase orders (sent or partly
received) and "without a purchase order" (the part picker, then a reason); `choose_step` is
that question. A purchase order chosen there, or "📥 Receive" on its card ("prc:go:<id>"),
is this flow ("prc"): for each line in turn, how many arrived (typed; 0 allowed, full-width
digits too), whether they passed inspection, and if not how many failed, why and a photo
(optional); then a summary to record. Recorded, the passed units are in the main warehouse
and the differences from the order (fewer, more, failed) are said; a received or cancelled
order is refused, at the start and again when recording.
"""
from __future__ import annotations

import logging

from core import purchasing, receiving
from core.catalogue import parse_number
from core.errors import DomainError, InvalidInput, TransitionRefused

from .flow import Entry, Flow, Next, Question, Step, Turn
from .stock import short
from .stock_picking import manager, refuse

log = logging.getLogger(__name__)

ID = r"\d{1,12}"


# --- the question /receive asks first ------------------------------------------------------------

async def open_orders(turn: Turn) -> list:
    return await purchasing.orders(turn.uow, turn.user, purchasing.RECEIVABLE)


def choose_step(without) -> Step:
    """Which purchase order arrived ("po:<id>"), or "nopo": `without` goes on without one."""

    async def ask(turn: Turn) -> Question:
        rows = [[(short(turn.label("po_button.item", number=o.number, supplier=o.supplier,
                                   status=turn.label(f"po_status.{o.status}")), 60),
                  f"po:{o.id}")] for o in await open_orders(turn)]
        rows.append([(turn.label("po_button.without"), "nopo")])
        return Question("receive_choose", rows)

    async def press(turn: Turn, value: str) -> Next:
        if value == "nopo":
            return await without(turn)
        if not value.startswith("po:") or not value[3:].isdecimal():
            return refuse(turn)
        order_id = int(value[3:])
        if order_id not in {o.id for o in await open_orders(turn)}:
            return refuse(turn)
        _begin(turn, order_id)
        return turn.start("po_receive", "arrived")

    return Step(ask=ask, press=press)


def _begin(turn: Turn, order_id: int) -> None:
    turn.draft.clear()
    turn.draft.update(po=order_id, index=0, results={})


async def start(turn: Turn, match) -> Next:
    manager(turn)
    order_id = int(match.group(1))
    await receiving.open_order(turn.uow, turn.user, order_id)
    _begin(turn, order_id)
    return turn.goto("arrived")


# --- line by line ------------------------------------------------------------------------------

async def _order(turn: Turn):
    return await purchasing.view(turn.uow, turn.user, turn.draft["po"])


async def _line(turn: Turn):
    seen = await _order(turn)
    return seen, seen.lines[turn.draft["index"]]


def _result(turn: Turn, line) -> dict:
    return turn.draft["results"].setdefault(str(line.id), {"arrived": 0, "failed": 0})


async def _values(turn: Turn) -> dict:
    seen, line = await _line(turn)
    return dict(order=seen, line=line, position=turn.draft["index"] + 1,
                total=len(seen.lines), result=_result(turn, line),
                maximum=receiving.ARRIVED_MAX)


async def q_arrived(turn: Turn) -> Question:
    return Question("receive_po_arrived", values=await _values(turn))


async def _next_line(turn: Turn) -> Next:
    seen = await _order(turn)
    if turn.draft["index"] + 1 < len(seen.lines):
        turn.draft["index"] += 1
        return turn.goto("arrived")
    return turn.goto("confirm")


async def typed_arrived(turn: Turn, text: str) -> Next:
    arrived = parse_number(text, "quantity", receiving.ARRIVED_MAX)
    _, line = await _line(turn)
    turn.draft["results"][str(line.id)] = {"arrived": arrived, "failed": 0}
    return turn.goto("inspect") if arrived else await _next_line(turn)


async def q_inspect(turn: Turn) -> Question:
    return Question("receive_po_inspect", [[(turn.label("po_button.passed"), "ok")],
                                           [(turn.label("po_button.failed"), "bad")]],
                    await _values(turn))


async def inspected(turn: Turn, value: str) -> Next:
    if value == "ok":
        return await _next_line(turn)
    if value != "bad":
        return refuse(turn)
    return turn.goto("failed")


async def q_failed(turn: Turn) -> Question:
    return Question("receive_po_failed", values=await _values(turn))


async def typed_failed(turn: Turn, text: str) -> Next:
    _, line = await _line(turn)
    result = _result(turn, line)
    failed = parse_number(text, "failed", result["arrived"])
    result["failed"] = failed
    return turn.goto("why") if failed else await _next_line(turn)


async def q_why(turn: Turn) -> Question:
    return Question("receive_po_why", values=await _values(turn))


async def typed_why(turn: Turn, text: str) -> Next:
    _, line = await _line(turn)
    _result(turn, line)["reason"] = receiving.clean_reason(text)
    return turn.goto("photo")


async def q_photo(turn: Turn) -> Question:
    return Question("receive_po_photo", [[(turn.label("po_button.no_photo"), "skip")]],
                    await _values(turn))


async def got_photo(turn: Turn, file_id: str) -> Next:
    _, line = await _line(turn)
    _result(turn, line)["photo"] = file_id
    return await _next_line(turn)


async def no_photo(turn: Turn, value: str) -> Next:
    return await _next_line(turn) if value == "skip" else refuse(turn)


async def q_confirm(turn: Turn) -> Question:
    seen = await _order(turn)
    results = turn.draft["results"]
    lines = [(line, results.get(str(line.id), {"arrived": 0, "failed": 0}))
             for line in seen.lines]
    return Question("receive_po_confirm", [[(turn.label("po_button.record"), "ok")]],
                    dict(order=seen, lines=lines))


async def confirmed(turn: Turn, value: str) -> Next:
    if value != "ok":
        return refuse(turn)
    results = {int(k): v for k, v in turn.draft["results"].items()}
    receipt = await receiving.receive(turn.uow, turn.user, turn.draft["po"], results)
    log.info("purchase order %s received in chat: %s", receipt.number, receipt.status)
    turn.replace("receive_po_done", receipt=receipt)
    return turn.end()


def _refused(turn: Turn, error: DomainError) -> Next | None:
    """An order received or cancelled meanwhile ends the flow; a bad number keeps the step;
    nothing arrived at all goes back to the first line."""
    turn.say(turn.flow.invalid_input if isinstance(error, InvalidInput)
             else f"error_{error.code}", **error.details)
    if isinstance(error, TransitionRefused):
        return turn.end()
    if isinstance(error, InvalidInput) and error.details.get("reason") == "nothing_arrived":
        turn.draft.update(index=0, results={})
        return turn.goto("arrived")
    return None


PO_RECEIVE = Flow(
    name="po_receive", prefix="prc",
    entries=[Entry(start, press=rf"^prc:go:({ID})$")],
    order=["arrived", "inspect", "failed", "why", "photo", "confirm"],
    cancelled="stock_cancelled",
    invalid_input="stock_invalid",
    refused=_refused,
    steps={
        "arrived": Step(q_arrived, text=typed_arrived),
        "inspect": Step(q_inspect, press=inspected),
        "failed": Step(q_failed, text=typed_failed),
        "why": Step(q_why, text=typed_why),
        "photo": Step(q_photo, photo=got_photo, press=no_photo),
        "confirm": Step(q_confirm, press=confirmed),
    },
)
