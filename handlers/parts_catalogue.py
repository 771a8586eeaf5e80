"""Managers keeping the parts catalogue in chat (/parts): one flow on the conversation engine
(handlers.flow). The list (paged, or the parts matching what was typed), a part's card, a
field changed by typing it, a part made inactive or active again, and a new part added a
question a step (SKU, name, price, warranty, minimum level) with a summary to confirm.

Button values after "prt:": "lp:<page>" (the list), "lq" (the whole list after a search),
"pv:<part id>" (its card), "pe:<part id>:<field>" (change a field), "pa:<part id>" (sold / no
longer sold), "new" (add a part), "w:<months>", "m:0", "ok". "stk:go:parts" on /stock opens it.
"""
from __future__ import annotations

import logging
import re

from core import catalogue, stock, stock_levels
from core.errors import InvalidInput, NotFound
from core.parsing import clean_text

from .flow import CANCEL, Entry, Flow, Next, Question, Step, Turn
from .stock import short
from .stock_picking import PICK_PAGE, manager, page_buttons, refuse

log = logging.getLogger(__name__)

WARRANTY_CHOICES = (0, 3, 6, 12, 24)
PART_FIELDS = ("name", "price", "warranty_months", "min_level")
NEW_PART = ("sku", "name", "price", "warranty", "min_level", "part_confirm")
FIELD_OF_STEP = {"warranty": "warranty_months"}
PRESS = re.compile(r"^(lp|pv|pa|w|m):(\d{1,12})$|^pe:(\d{1,12}):([a-z_]{1,20})$")


def _order(d: dict) -> list[str]:
    if d.get("op") == "add_part":
        return ["parts", *NEW_PART]
    return ["parts", "part_field"]


async def start(turn: Turn, _) -> Next:
    manager(turn)
    turn.draft.update(op="parts", query="", page=1, view=None)
    return turn.goto("parts")


# --- the list and a part's card ------------------------------------------------------------

async def q_parts(turn: Turn) -> Question:
    """The catalogue: a page of parts (or those matching what was typed), or one part's card
    when d["view"] holds its id. Closing it is the engine's Cancel."""
    d = turn.draft
    d["op"] = "parts"
    close = [(turn.label("stock_button.close"), CANCEL)]
    if d.get("view"):
        question = await _part_card(turn)
        question.buttons.append(close)
        return question
    query, page = d.get("query") or "", d.get("page", 1)
    listing = await catalogue.search_parts(turn.uow, query, page, PICK_PAGE,
                                           include_inactive=True)
    rows = [[(short(("" if p.active else "⛔ ") + f"{p.sku} · {p.name}"), f"pv:{p.id}")]
            for p in listing.items]
    rows += page_buttons(turn, listing, "lp:{page}")
    rows.append([(turn.label("stock_button.add_part"), "new")])
    if query:
        rows.append([(turn.label("stock_button.all_parts"), "lq")])
    rows.append(close)
    return Question("parts_list", rows, dict(query=query, total=listing.total,
                                             page=listing.page, pages=listing.pages,
                                             parts=listing.items), nav=False)


async def _part_card(turn: Turn) -> Question:
    d = turn.draft
    part = await catalogue.get_part(turn.uow, d["view"], include_inactive=True)
    in_main = await stock_levels.level(turn.uow, stock.MAIN, part.id)
    label = turn.label
    rows = [
        [(label("stock_button.edit_name"), f"pe:{part.id}:name"),
         (label("stock_button.edit_price"), f"pe:{part.id}:price")],
        [(label("stock_button.edit_warranty"), f"pe:{part.id}:warranty_months"),
         (label("stock_button.edit_min_level"), f"pe:{part.id}:min_level")],
        [(label("stock_button.deactivate_part" if part.active
                else "stock_button.reactivate_part"), f"pa:{part.id}")],
        [(label("stock_button.back_to_list"), f"lp:{d.get('page', 1)}")],
    ]
    return Question("parts_card", rows, dict(
        part=part, in_main=in_main, under_minimum=part.active and in_main < part.min_level),
        nav=False)


async def list_pressed(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value == "lq":
        d.update(query="", page=1, view=None)
        return turn.refresh()
    if value == "new":
        d.update(op="add_part", new={})
        return turn.goto("sku")
    match = PRESS.match(value)
    if not match:
        return refuse(turn)
    kind, number = (match[1], match[2]) if match[1] else ("pe", match[3])
    number = int(number)
    if kind == "lp":
        d.update(page=number, view=None)
        return turn.refresh()
    try:
        part = await catalogue.get_part(turn.uow, number, include_inactive=True)
    except NotFound:
        return refuse(turn)
    if kind == "pv":
        d["view"] = part.id
        return turn.refresh()
    if part.id != d.get("view"):  # a card's buttons act on the card shown
        return refuse(turn)
    if kind == "pa":
        await catalogue.edit_part(turn.uow, turn.user, part, active=not part.active)
        return turn.refresh()
    if kind == "pe" and match[4] in PART_FIELDS:
        d.update(part=part.id, field=match[4])
        return turn.goto("part_field")
    return refuse(turn)


async def typed_search(turn: Turn, text: str) -> Next:
    d = turn.draft
    d["query"] = clean_text(text, "query", minimum=1, maximum=catalogue.QUERY_MAX)
    d["page"], d["view"] = 1, None
    return turn.again()


# --- changing a field ----------------------------------------------------------------------

def _warranty_buttons() -> list[list[tuple[str, str]]]:
    return [[(str(n), f"w:{n}") for n in WARRANTY_CHOICES]]


async def q_part_field(turn: Turn) -> Question:
    d = turn.draft
    part = await catalogue.get_part(turn.uow, d["part"], include_inactive=True)
    field = d["field"]
    rows = _warranty_buttons() if field == "warranty_months" else []
    return Question("parts_ask", rows, dict(field=field, sku=part.sku,
                                            current=getattr(part, field), editing=True))


def _clean_field(field: str, text: str):
    if field == "name":
        return catalogue.clean_name(text)
    if field == "price":
        return catalogue.parse_price(text)
    if field == "warranty_months":
        return catalogue.parse_number(text, field, catalogue.WARRANTY_MONTHS_MAX)
    return catalogue.parse_number(text, field, catalogue.MIN_LEVEL_MAX)


async def _save_field(turn: Turn, value) -> Next:
    d = turn.draft
    part = await catalogue.edit_part(turn.uow, turn.user, d["part"], **{d["field"]: value})
    turn.say("parts_saved", sku=part.sku, field=d["field"], added=False)
    d["view"] = part.id
    return turn.goto("parts")


async def typed_field(turn: Turn, text: str) -> Next:
    return await _save_field(turn, _clean_field(turn.draft["field"], text))


def _warranty(value: str) -> int | None:
    match = PRESS.match(value)
    if not match or match[1] != "w" or int(match[2]) not in WARRANTY_CHOICES:
        return None
    return int(match[2])


async def field_pressed(turn: Turn, value: str) -> Next:
    months = _warranty(value)
    if months is None or turn.draft.get("field") != "warranty_months":
        return refuse(turn)
    return await _save_field(turn, months)


# --- adding a part -------------------------------------------------------------------------

def _new_part_question(step: str):
    field = FIELD_OF_STEP.get(step, step)

    async def ask(turn: Turn) -> Question:
        rows = []
        if field == "warranty_months":
            rows = _warranty_buttons()
        if field == "min_level":
            rows = [[("0", "m:0")]]
        return Question("parts_ask", rows, dict(
            field=field, sku=turn.draft.get("new", {}).get("sku"), current=None,
            editing=False))
    return ask


async def typed_sku(turn: Turn, text: str) -> Next:
    sku = catalogue.clean_code(text, "sku")
    try:
        await catalogue.get_part(turn.uow, sku, include_inactive=True)
    except NotFound:
        turn.draft["new"]["sku"] = sku
        return turn.next()
    raise InvalidInput(field="sku", reason="taken", sku=sku)


def _typed_new(field: str):
    async def typed(turn: Turn, text: str) -> Next:
        turn.draft["new"][field] = _clean_field(field, text)
        return turn.next()
    return typed


async def warranty_pressed(turn: Turn, value: str) -> Next:
    months = _warranty(value)
    if months is None:
        return refuse(turn)
    turn.draft["new"]["warranty_months"] = months
    return turn.next()


async def min_level_zero(turn: Turn, value: str) -> Next:
    if value != "m:0":
        return refuse(turn)
    turn.draft["new"]["min_level"] = 0
    return turn.next()


async def q_part_confirm(turn: Turn) -> Question:
    return Question("parts_confirm", [[(turn.label("stock_button.save_part"), "ok")]],
                    dict(part=turn.draft["new"]))


async def part_saved(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value != "ok":
        return refuse(turn)
    new = d["new"]
    try:
        part = await catalogue.add_part(turn.uow, turn.user, **new)
    except InvalidInput as error:  # e.g. the SKU was taken meanwhile
        await turn.undo()
        turn.say("stock_invalid", **error.details)
        return turn.goto("sku" if error.details.get("field") == "sku" else "part_confirm")
    log.info("part %s added in chat", part.sku)
    turn.say("parts_saved", sku=part.sku, field=None, added=True)
    d.update(op="parts", view=part.id, new=None, query="", page=1)
    return turn.goto("parts")


PARTS_CATALOGUE = Flow(
    name="parts_catalogue", prefix="prt",
    entries=[Entry(start, command="parts"), Entry(start, press=r"^stk:go:parts$")],
    order=_order,
    cancelled="parts_closed",
    invalid_input="stock_invalid",
    steps={
        "parts": Step(q_parts, press=list_pressed, text=typed_search),
        "part_field": Step(q_part_field, text=typed_field, press=field_pressed),
        "sku": Step(_new_part_question("sku"), text=typed_sku),
        "name": Step(_new_part_question("name"), text=_typed_new("name")),
        "price": Step(_new_part_question("price"), text=_typed_new("price")),
        "warranty": Step(_new_part_question("warranty"), text=_typed_new("warranty_months"),
                         press=warranty_pressed),
        "min_level": Step(_new_part_question("min_level"), text=_typed_new("min_level"),
                          press=min_level_zero),
        "part_confirm": Step(q_part_confirm, press=part_saved),
    },
)
