"""Managers registering a sales order (/sale) from the printed receipt, so that its buyer can
book delivery and installation with /deliver.

One flow on the conversation engine (handlers.flow): a question a step (number, buyer's name,
phone, delivery address, appliance category, brand, model), each with Back and Cancel, then a
summary to confirm. A value refused when registering (say, the number is taken) is asked again,
and once typed the summary comes straight back. Button values after "sal:": "cat:<category>",
"brand:<index>|other", "skip", "ok"; "sal:new" (on a registered order) starts another.
"""
from __future__ import annotations

import logging

from core import booking, parsing, people, sales
from core.errors import InvalidInput
from core.lifecycle import APPLIANCE_CATEGORIES
from core.roles import require_manager

from .booking import brand_buttons, picked_brand
from .chat import keyboard, rows_of
from .flow import UNTIL, Entry, Flow, Next, Question, Step, Turn

log = logging.getLogger(__name__)

STEPS = ("number", "name", "phone", "address", "category", "brand", "model", "confirm")
# The step that asks again for a field core refused when registering.
STEP_OF_FIELD = {"sales_number": "number", "name": "name", "phone": "phone",
                 "address": "address", "category": "category", "brand": "brand",
                 "model": "model"}


async def start(turn: Turn, _) -> Next:
    require_manager(turn.user)
    return turn.goto(STEPS[0])


def _refuse(turn: Turn) -> Next:
    turn.toast("toast.stale_button")
    return turn.stay()


# --- the questions -------------------------------------------------------------------------

def _question(step: str, **values):
    async def ask(turn: Turn) -> Question:
        return Question("sale_ask", values=dict(step=step, **values))
    return ask


async def q_category(turn: Turn) -> Question:
    return Question("sale_ask", rows_of(
        [(turn.label(f"category.{c}"), f"cat:{c}") for c in APPLIANCE_CATEGORIES]),
        dict(step="category"))


async def q_brand(turn: Turn) -> Question:
    rows = rows_of([(text, f"brand:{value}") for text, value in await brand_buttons(turn)], 3)
    rows.append([(turn.label("button.skip"), "skip")])
    return Question("sale_ask", rows, dict(step="brand"))


async def q_model(turn: Turn) -> Question:
    return Question("sale_ask", [[(turn.label("button.skip"), "skip")]], dict(step="model"))


async def q_confirm(turn: Turn) -> Question:
    d = turn.draft
    return Question("sale_summary", [[(turn.label("sale_button.register"), "ok")]], dict(
        number=d["number"], name=d["name"], phone=d["phone"], address=d["address"],
        category=turn.label(f"category.{d['category']}"), brand=d.get("brand"),
        model=d.get("model")))


# --- the answers ---------------------------------------------------------------------------

def _typed(clean):
    """A typed answer, cleaned by `clean` (InvalidInput: said by the engine, the step stays),
    kept under the step's name."""
    async def typed(turn: Turn, text: str) -> Next:
        turn.draft[turn.step] = clean(text)
        return turn.next()
    return typed


def _appliance_text(field):
    return lambda text: parsing.clean_text(text, field, minimum=1,
                                           maximum=booking.APPLIANCE_TEXT_MAX)


async def chose_category(turn: Turn, value: str) -> Next:
    category = value.removeprefix("cat:")
    if not value.startswith("cat:") or category not in APPLIANCE_CATEGORIES:
        return _refuse(turn)
    turn.draft["category"] = category
    return turn.next()


async def brand_pressed(turn: Turn, value: str) -> Next:
    if value == "skip":
        turn.draft["brand"] = None
        return turn.next()
    if value == "brand:other":
        turn.say("sale_ask", step="brand_text")
        return turn.stay()
    name = await picked_brand(turn, value.removeprefix("brand:"))
    if not value.startswith("brand:") or name is None:
        return _refuse(turn)
    turn.draft["brand"] = name
    return turn.next()


async def model_skipped(turn: Turn, value: str) -> Next:
    if value != "skip":
        return _refuse(turn)
    turn.draft["model"] = None
    return turn.next()


async def confirmed(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value != "ok":
        return _refuse(turn)
    try:
        order = await sales.register_sales_order(
            turn.uow, turn.user, number=d["number"], customer_name=d["name"],
            phone=d["phone"], address=d["address"], category=d["category"],
            brand=d.get("brand"), model=d.get("model"))
    except InvalidInput as error:
        await turn.undo()
        turn.say("stock_invalid", **error.details)
        step = STEP_OF_FIELD.get(error.details.get("field"), "confirm")
        if step != "confirm":
            d[UNTIL] = step  # once answered again, straight back to the summary
        return turn.goto(step)
    log.info("sales order %s registered in chat", order.number)
    turn.say("sale_registered", number=order.number, name=d["name"], phone=order.phone,
             reply_markup=keyboard([[(turn.label("sale_button.another"), "sal:new")]]))
    return turn.end()


SALE = Flow(
    name="sale", prefix="sal",
    entries=[Entry(start, command="sale"), Entry(start, command="salesorder"),
             Entry(start, press=r"^sal:new$")],
    order=list(STEPS),
    cancelled="sale_cancelled",
    invalid_input="stock_invalid",
    summary="confirm",
    steps={
        "number": Step(_question("number"),
                       text=_typed(lambda text: sales.clean_sales_number(text)[0])),
        "name": Step(_question("name"), text=_typed(people.clean_name)),
        "phone": Step(_question("phone"), text=_typed(people.clean_phone)),
        "address": Step(_question("address", maximum=booking.ADDRESS_MAX),
                        text=_typed(lambda text: parsing.clean_text(
                            text, "address", minimum=1, maximum=booking.ADDRESS_MAX))),
        "category": Step(q_category, press=chose_category),
        "brand": Step(q_brand, press=brand_pressed, text=_typed(_appliance_text("brand"))),
        "model": Step(q_model, press=model_skipped, text=_typed(_appliance_text("model"))),
        "confirm": Step(q_confirm, press=confirmed),
    },
)
