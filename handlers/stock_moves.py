"""Managers moving stock in chat: goods in (/receive), moves between warehouses (/transfer)
and write-offs (/scrap). One flow on the conversation engine (handlers.flow): a question a
step, each with Back and Cancel, then a summary to confirm; the movement is recorded by
core.stock, which refuses a level below zero at that moment (the quantity is then asked again).

Steps: receive: which purchase order (when any is open: handlers.receiving takes a chosen one
over) or none, then part, quantity, the reason for receiving without an order, confirm; transfer: source, destination, part, quantity,
confirm; scrap: source, part, quantity, reason, confirm. Button values after "stk:": those of
handlers.stock_picking, "ok"; at the first step of receive "po:<id>" and "nopo". "stk:go:<op>" (on /stock and on a finished operation)
starts one.
"""
from __future__ import annotations

import logging

from core import catalogue, receiving, stock, stock_levels
from core.errors import InvalidInput
from core.parsing import clean_text, parse_quantity
from core.stock import NotEnoughStock

from .chat import keyboard
from .flow import Entry, Flow, Next, Question, Step, Turn
from .receiving import choose_step, open_orders
from .stock_picking import manager, next_step, part_step, place, refuse, warehouse_step

log = logging.getLogger(__name__)

STEPS = {
    "receive": ("po", "part", "quantity", "why", "confirm"),
    "transfer": ("source", "destination", "part", "quantity", "confirm"),
    "scrap": ("source", "part", "quantity", "reason", "confirm"),
}


# --- starting ------------------------------------------------------------------------------

def _starter(op: str):
    async def start(turn: Turn, _) -> Next:
        return await _start(turn, op)
    return start


async def go_pressed(turn: Turn, match) -> Next:
    """"stk:go:<op>", from /stock's overview or a finished operation."""
    return await _start(turn, match.group(1))


async def _start(turn: Turn, op: str) -> Next:
    manager(turn)
    turn.draft.update(op=op, query="", page=1)
    if op == "receive" and await open_orders(turn):
        turn.draft["with_po"] = True
    return turn.goto(_steps(turn.draft)[0])


def _steps(draft: dict) -> list[str]:
    steps = list(STEPS[draft["op"]])
    if draft["op"] == "receive" and not draft.get("with_po"):
        steps.remove("po")
    return steps


async def without_order(turn: Turn) -> Next:
    turn.draft.update(query="", page=1)
    return turn.goto("part")


# --- the questions -------------------------------------------------------------------------

async def _part_and_places(turn: Turn) -> dict:
    d = turn.draft
    part = await catalogue.get_part(turn.uow, d["part"], include_inactive=True)
    available = await stock_levels.level(turn.uow, d["source"], part.id) if d.get("source") else None
    return dict(op=d["op"], sku=part.sku, name=part.name, available=available,
                source=await place(turn, d.get("source")),
                destination=await place(turn, d.get("destination")))


async def q_quantity(turn: Turn) -> Question:
    values = await _part_and_places(turn)
    return Question("stock_ask_quantity", values={**values, "maximum": stock.QUANTITY_MAX})


async def q_reason(turn: Turn) -> Question:
    return Question("stock_ask_reason", values=dict(minimum=stock.REASON_MIN,
                                                    maximum=stock.NOTE_MAX))


async def q_why(turn: Turn) -> Question:
    return Question("receive_ask_reason", values=dict(minimum=receiving.REASON_MIN,
                                                      maximum=receiving.REASON_MAX))


async def typed_why(turn: Turn, text: str) -> Next:
    turn.draft["note"] = receiving.clean_reason(text)
    return turn.next()


async def q_confirm(turn: Turn) -> Question:
    values = await _part_and_places(turn)
    values.update(quantity=turn.draft["quantity"], note=turn.draft.get("note"))
    return Question("stock_confirm", [[(turn.label("button.confirm"), "ok")]], values)


# --- the answers ---------------------------------------------------------------------------

async def not_enough(turn: Turn, error: NotEnoughStock) -> None:
    """Fewer in the source warehouse than asked for: said with the warehouse's name."""
    turn.say("error_not_enough_stock", warehouse_name=await place(turn, turn.draft["source"]),
             **error.details)


async def typed_quantity(turn: Turn, text: str) -> Next:
    d = turn.draft
    quantity = parse_quantity(text, maximum=stock.QUANTITY_MAX)
    if d.get("source"):
        try:
            await stock_levels.require_available(turn.uow, d["source"], d["part"], quantity)
        except NotEnoughStock as error:
            await not_enough(turn, error)
            return turn.stay()
    d["quantity"] = quantity
    return turn.next()


async def typed_reason(turn: Turn, text: str) -> Next:
    turn.draft["note"] = clean_text(text, "reason", minimum=stock.REASON_MIN,
                                    maximum=stock.NOTE_MAX, multiline=True)
    return turn.next()


async def _record(turn: Turn) -> list:
    d, uow, user = turn.draft, turn.uow, turn.user
    if d["op"] == "receive":
        return [await receiving.receive_without_order(uow, user, d["part"], d["quantity"],
                                                      d.get("note"))]
    if d["op"] == "transfer":
        return list(await stock.transfer(uow, user, d["part"], d["quantity"], d["source"],
                                         d["destination"], d.get("note")))
    return [await stock.scrap(uow, user, d["part"], d["quantity"], d["source"], d.get("note"))]


async def confirmed(turn: Turn, value: str) -> Next:
    d = turn.draft
    op = d["op"]
    if value != "ok":
        return refuse(turn)
    try:
        moved = await _record(turn)
    except NotEnoughStock as error:  # taken meanwhile: ask the quantity again
        await turn.undo()
        await not_enough(turn, error)
        return turn.goto("quantity")
    except InvalidInput as error:
        await turn.undo()
        turn.say("stock_invalid", **error.details)
        step = error.details.get("field")
        return turn.goto(step if step in STEPS[op] else "quantity")
    part = await catalogue.get_part(turn.uow, d["part"], include_inactive=True)
    low = await stock_levels.under_minimum_after(turn.uow, moved)
    places = [(await place(turn, movement.warehouse_id), movement.balance) for movement in moved]
    log.info("stock: %s of %s × %s by a manager", op, d["quantity"], part.sku)
    turn.say("stock_done", op=op, sku=part.sku, name=part.name, quantity=d["quantity"],
             note=d.get("note"), places=places, low=low, reply_markup=keyboard([[
                 (turn.label(f"stock_button.again_{op}"), f"stk:go:{op}"),
                 (turn.label("stock_button.levels"), "lvl:w")]]))
    return turn.end()


STOCK_MOVES = Flow(
    name="stock_moves", prefix="stk",
    entries=[
        *(Entry(_starter(op), command=op) for op in STEPS),
        Entry(go_pressed, press=r"^stk:go:(receive|transfer|scrap)$"),
    ],
    order=_steps,
    cancelled="stock_cancelled",
    invalid_input="stock_invalid",
    steps={
        "source": warehouse_step("source", next_step),
        "destination": warehouse_step("destination", next_step),
        "part": part_step(next_step),
        "quantity": Step(q_quantity, text=typed_quantity),
        "po": choose_step(without_order),
        "why": Step(q_why, text=typed_why),
        "reason": Step(q_reason, text=typed_reason),
        "confirm": Step(q_confirm, press=confirmed),
    },
)
