"""Managers counting a warehouse in chat (/count): one flow on the conversation engine
(handlers.flow). The manager chooses the warehouse, then goes through the parts its books list,
one by one, typing how many they find (or "as on the books", or skipping); any other part can
be counted too from the part picker. A summary shows the differences (core.stock's
count_preview) before the count is recorded as adjustments.

Going back is not a straight line here (back through the parts already counted), so these
steps carry their own Back button ("back"); Cancel is the engine's. Button values after
"cnt:": those of handlers.stock_picking, "cs" (as on the books), "ck" (skip), "ce" (finish
here), "cm" (count another part), "ok" (record), "back".
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable

from core import catalogue, count_sheets, stock, stock_levels

from .chat import keyboard
from .flow import CANCEL, Entry, Flow, Next, Question, Step, Turn
from .stock import COUNT_SHOWN
from .stock_picking import manager, part_step, place, refuse, warehouse_step

log = logging.getLogger(__name__)


# --- starting ------------------------------------------------------------------------------

async def start(turn: Turn, _) -> Next:
    manager(turn)
    turn.draft.update(op="count", query="", page=1)
    return turn.goto("source")


async def source_chosen(turn: Turn) -> Next:
    d = turn.draft
    d.update(parts=await stock_levels.parts_to_count(turn.uow, d["source"]), index=0, counted={})
    return turn.goto("count_part" if d["parts"] else "count_confirm")


# --- going back ----------------------------------------------------------------------------

async def back_from_part(turn: Turn) -> Next:
    d = turn.draft
    if d.get("index", 0) > 0:
        d["index"] -= 1
        return turn.goto("count_part")
    return turn.goto("source")


async def back_from_summary(turn: Turn) -> Next:
    d = turn.draft
    if d.get("parts"):
        d["index"] = len(d["parts"]) - 1
        return turn.goto("count_part")
    return turn.goto("source")


async def back_to_summary(turn: Turn) -> Next:
    return turn.goto("count_confirm")


async def back_to_picker(turn: Turn) -> Next:
    return turn.goto("part")


def with_back(step: Step, back: Callable[[Turn], Awaitable[Next]]) -> Step:
    """The step with a Back button of its own (where `back` says) beside Cancel."""

    async def ask(turn: Turn) -> Question:
        question = await step.ask(turn)
        question.buttons = [*question.buttons, [(turn.label("button.back"), "back"),
                                                (turn.label("button.cancel"), CANCEL)]]
        question.nav = False
        return question

    async def press(turn: Turn, value: str) -> Next:
        if value == "back":
            return await back(turn)
        return await step.press(turn, value) if step.press else refuse(turn)

    return Step(ask=ask, press=press, text=step.text, wrong=step.wrong)


# --- the questions -------------------------------------------------------------------------

async def _count_question(turn: Turn, part_id: int, **values) -> Question:
    d = turn.draft
    part = await catalogue.get_part(turn.uow, part_id, include_inactive=True)
    d["expected"] = await stock_levels.level(turn.uow, d["source"], part.id)
    rows = [[(turn.label("stock_button.as_recorded", quantity=d["expected"]), "cs")]]
    if values.get("position"):
        rows.append([(turn.label("button.skip"), "ck"),
                     (turn.label("stock_button.finish_count"), "ce")])
    return Question("stock_count_part", rows, dict(
        warehouse=await place(turn, d["source"]), sku=part.sku, name=part.name,
        expected=d["expected"], counted=d.get("counted", {}).get(str(part.id)), **values))


async def q_count_part(turn: Turn) -> Question:
    d = turn.draft
    return await _count_question(turn, d["parts"][d["index"]], position=d["index"] + 1,
                                 total=len(d["parts"]))


async def q_count_extra(turn: Turn) -> Question:
    return await _count_question(turn, turn.draft["part"], position=None, total=None)


def _counted(d: dict) -> dict[int, int]:
    return {int(part_id): n for part_id, n in d.get("counted", {}).items()}


async def q_count_confirm(turn: Turn) -> Question:
    d = turn.draft
    counted = _counted(d)
    lines = (await stock.count_preview(turn.uow, turn.user, d["source"], counted)
             if counted else [])
    differences = [line for line in lines if line.difference]
    rows = [[(turn.label("stock_button.record_count"), "ok")]] if lines else []
    rows.append([(turn.label("stock_button.count_more"), "cm")])
    return Question("stock_count_summary", rows, dict(
        warehouse=await place(turn, d["source"]), differences=differences[:COUNT_SHOWN],
        more=max(len(differences) - COUNT_SHOWN, 0), matching=len(lines) - len(differences),
        counted=len(lines), listed=len(d.get("parts", [])),
        confirm_by_other=await count_sheets.needs_another(turn.uow, turn.user)))


# --- the answers ---------------------------------------------------------------------------

def _counting(turn: Turn) -> int:
    d = turn.draft
    return d["part"] if turn.step == "count_extra" else d["parts"][d["index"]]


def _after_count(turn: Turn) -> Next:
    d = turn.draft
    if turn.step == "count_extra":
        return turn.goto("count_confirm")
    d["index"] += 1
    return turn.goto("count_part" if d["index"] < len(d["parts"]) else "count_confirm")


async def typed_count(turn: Turn, text: str) -> Next:
    number = stock_levels.parse_counted(text)
    turn.draft.setdefault("counted", {})[str(_counting(turn))] = number
    return _after_count(turn)


async def count_pressed(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value == "cs":  # as on the books
        d.setdefault("counted", {})[str(_counting(turn))] = d.get("expected", 0)
        return _after_count(turn)
    if turn.step != "count_part":
        return refuse(turn)
    if value == "ck":  # skipped: not counted
        d.setdefault("counted", {}).pop(str(_counting(turn)), None)
        return _after_count(turn)
    if value == "ce":  # finish here
        return turn.goto("count_confirm")
    return refuse(turn)


async def summary_pressed(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value == "cm":
        d["query"], d["page"] = "", 1
        return turn.goto("part")
    if value != "ok":
        return refuse(turn)
    counted = _counted(d)
    if not counted:
        turn.toast("toast.choose_one")
        return turn.stay()
    # The count is kept as a count sheet (core.count_sheets): confirmed at once by its only
    # manager, or waiting for another manager's confirmation before the ledger changes.
    recorded = await count_sheets.record(turn.uow, turn.user, d["source"], counted)
    sheet = await count_sheets.view(turn.uow, turn.user, recorded.id)
    lines = [stock.CountLine(x.part_id, x.sku, x.name, x.system, x.counted, x.difference)
             for x in sheet.lines]
    differences = [line for line in lines if line.difference]
    confirmed = sheet.status == count_sheets.CONFIRMED
    low = await stock_levels.count_under_minimum(turn.uow, d["source"], lines) if confirmed else []
    info = await stock.warehouse_info(turn.uow, d["source"])
    log.info("stock: %s counted by a manager, %s differences, sheet %s %s", info.key,
             len(differences), sheet.id, sheet.status)
    rows = [[(turn.label("stock_button.levels"), f"lvl:v:{info.id}:1:a"),
             (turn.label("count_button.csv"), f"cs:x:{sheet.id}")]]
    turn.say("stock_count_done", warehouse=await place(turn, info.id),
             differences=differences[:COUNT_SHOWN], more=max(len(differences) - COUNT_SHOWN, 0),
             counted=len(lines), low=low, sheet=sheet, reply_markup=keyboard(rows))
    return turn.end()


async def extra_part_chosen(turn: Turn) -> Next:
    return turn.goto("count_extra")


STOCK_COUNT = Flow(
    name="stock_count", prefix="cnt",
    entries=[Entry(start, command="count"), Entry(start, press=r"^stk:go:count$")],
    order=["source"],
    cancelled="stock_cancelled",
    invalid_input="stock_invalid",
    summary="count_confirm",
    steps={
        "source": warehouse_step("source", source_chosen),
        "count_part": with_back(Step(q_count_part, text=typed_count, press=count_pressed),
                                back_from_part),
        "count_extra": with_back(Step(q_count_extra, text=typed_count, press=count_pressed),
                                 back_to_picker),
        "count_confirm": with_back(Step(q_count_confirm, press=summary_pressed),
                                   back_from_summary),
        "part": with_back(part_step(extra_part_chosen), back_to_summary),
    },
)
