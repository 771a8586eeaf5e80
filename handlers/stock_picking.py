"""Choosing a warehouse and a part: the steps the stock flows share (handlers.stock_moves,
handlers.stock_count), on the conversation engine (handlers.flow).

Button values (after the flow's prefix): "wh:<warehouse id>"; in the part picker "pt:<part id>",
"pp:<page>" (another page, edited in place) and "pq" (all parts again after a search). Every
value is checked on the server: a forged or foreign one is answered "out of date".
"""
from __future__ import annotations

import re
from typing import Awaitable, Callable

from core import catalogue, stock, stock_levels
from core.errors import NotFound
from core.parsing import clean_text
from core.roles import require_manager

from .flow import Next, Question, Step, Turn
from .stock import short, warehouse_name

PICK_PAGE = 8
ACTIVE_ONLY = ("receive", "request", "supply")  # the operations that offer active parts only
VALUE = re.compile(r"^(wh|pt|pp):(\d{1,12})$")

Chosen = Callable[[Turn], Awaitable[Next]]


def manager(turn: Turn) -> None:
    """Only managers keep the stock (NotAllowed, said by the engine, otherwise)."""
    require_manager(turn.user)


def refuse(turn: Turn) -> Next:
    """A press that is not one of this question's: "out of date", nothing changes."""
    turn.toast("toast.stale_button")
    return turn.stay()


def number_of(value: str, kind: str) -> int | None:
    """The id or page in a button value like "pt:12", if it is of that kind."""
    match = VALUE.match(value or "")
    return int(match[2]) if match and match[1] == kind else None


def page_buttons(turn: Turn, page, value: str) -> list[list[tuple[str, str]]]:
    """Previous / Next for a page of parts; `value` has {page} in it."""
    row = []
    if page.has_previous:
        row.append((turn.label("stock_button.previous"), value.format(page=page.page - 1)))
    if page.has_next:
        row.append((turn.label("stock_button.next"), value.format(page=page.page + 1)))
    return [row] if row else []


async def place(turn: Turn, warehouse_id: int | None) -> str | None:
    """A warehouse's name as people see it, from its id."""
    if not warehouse_id:
        return None
    return warehouse_name(turn.label, await stock.warehouse_info(turn.uow, warehouse_id))


# --- which warehouse ------------------------------------------------------------------------

def warehouse_step(which: str, chosen: Chosen) -> Step:
    """Asks for the source (`which` "source") or the destination warehouse; `chosen` says
    where to go once it is in the draft."""

    async def ask(turn: Turn) -> Question:
        d = turn.draft
        choices = await stock.warehouse_choices(turn.uow)  # vans are made when first needed
        rows = [[(warehouse_name(turn.label, c), f"wh:{c.id}")] for c in choices
                if which == "source" or c.id != d.get("source")]
        return Question("stock_ask_warehouse", rows, dict(
            op=d["op"], which=which, source=await place(turn, d.get("source"))))

    async def press(turn: Turn, value: str) -> Next:
        d = turn.draft
        warehouse_id = number_of(value, "wh")
        choices = {c.id for c in await stock.warehouse_choices(turn.uow)}
        if warehouse_id not in choices or (which == "destination"
                                           and warehouse_id == d.get("source")):
            return refuse(turn)
        d[which] = warehouse_id
        d["query"], d["page"] = "", 1
        return await chosen(turn)

    return Step(ask=ask, press=press)


# --- which part -----------------------------------------------------------------------------

def part_step(chosen: Chosen) -> Step:
    """The part picker: a page of parts (with how many the source warehouse holds, if there is
    one), or those matching what was typed. `chosen` says where to go once d["part"] is set."""

    async def ask(turn: Turn) -> Question:
        d = turn.draft
        query, page, source = d.get("query") or "", d.get("page", 1), d.get("source")
        if source and not query and d["op"] != "count":
            listing = await stock_levels.levels(turn.uow, source, page, PICK_PAGE)
            items = [(line.part_id, line.sku, line.name, line.quantity)
                     for line in listing.items]
        else:
            listing = await catalogue.search_parts(turn.uow, query, page, PICK_PAGE,
                                                   include_inactive=d["op"] not in ACTIVE_ONLY)
            held = (await stock_levels.quantities(turn.uow, source, [p.id for p in listing.items])
                    if source else {})
            items = [(p.id, p.sku, p.name, held.get(p.id)) for p in listing.items]
        rows = [[(short(f"{sku} · {name}" + (f" · {have}" if have is not None else "")),
                  f"pt:{part_id}")] for part_id, sku, name, have in items]
        rows += page_buttons(turn, listing, "pp:{page}")
        if query:
            rows.append([(turn.label("stock_button.all_parts"), "pq")])
        return Question("stock_ask_part", rows, dict(
            op=d["op"], query=query, total=listing.total, page=listing.page,
            pages=listing.pages, warehouse=await place(turn, source)))

    async def press(turn: Turn, value: str) -> Next:
        d = turn.draft
        if value == "pq":
            d["query"], d["page"] = "", 1
            return turn.refresh()
        page = number_of(value, "pp")
        if page is not None:
            d["page"] = page
            return turn.refresh()
        part_id = number_of(value, "pt")
        try:
            part = await catalogue.get_part(turn.uow, part_id, include_inactive=True) \
                if part_id else None
        except NotFound:
            part = None
        if part is None or (d["op"] in ACTIVE_ONLY and not part.active):
            return refuse(turn)
        d["part"] = part.id
        return await chosen(turn)

    async def text(turn: Turn, typed: str) -> Next:
        d = turn.draft
        d["query"] = clean_text(typed, "query", minimum=1, maximum=catalogue.QUERY_MAX)
        d["page"] = 1
        return turn.again()

    return Step(ask=ask, press=press, text=text)


async def next_step(turn: Turn) -> Next:
    return turn.next()
