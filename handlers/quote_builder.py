"""Diagnosis and the quote, two flows on the engine (handlers.flow).

The diagnosis: the fault found (typed, 5 to 2000 characters) and up to 10 photos
(core.jobs.diagnose). The quote: the technician builds it on site, line by line, over the
draft core keeps in the database (core.quotes): a part found in the catalogue (by SKU or name)
with a quantity, a labour item with a quantity, typed labour (a description and an amount in
yuan), removing a line, the total, and sending it to the customer (the order goes to
awaiting_approval; the customer's quote message is a reminder). Lines covered by a warranty
show as "warranty" at zero: core prices them. A completion that needs more than the approved
quote switches to this flow with its draft (the parts and serials noted so far), and the
revised quote's sending leaves them waiting for the customer's approval (handlers.completion).

Callback data: jd:done (photos done); jq:part jq:lab jq:tl jq:rm jq:send jq:close jq:back
jq:pt:<part id> jq:sp:<page> jq:li:<labour item id> jq:lp:<page> jq:n:<1-5> jq:rl:<line id>;
jd:!cancel and jq:!cancel stop.
"""
from __future__ import annotations

from core import catalogue, jobs, quotes
from core.models import ServiceOrder
from core.parsing import parse_money

from .chat import keyboard
from .flow import Entry, Next, Question, Step, Turn
from .job_flows import (
    back_row,
    begin,
    job_flow,
    job_for,
    number_in,
    paged,
    part_results,
    photo_added,
    photos_question,
    pressed_quantity,
    quantity_of,
    quantity_question,
    question,
    searched,
    stale,
    turn_pager,
    typed,
    words,
)
from .jobs import ID, short
from .texts import money

# --- diagnose ---------------------------------------------------------------------------------


async def diagnose_start(turn: Turn, match) -> Next:
    card = await job_for(turn, int(match.group(1)), "diagnose")
    if card is None:
        return turn.end()
    begin(turn, card, photos=[], earlier=card.diagnosis)
    return turn.goto("fault")


async def ask_fault(turn: Turn) -> Question:
    d = turn.draft
    return question(turn, "diagnose_ask_fault", number=d["number"], minimum=jobs.FAULT_MIN,
                    maximum=jobs.FAULT_MAX, earlier=d.get("earlier"))


async def fault_typed(turn: Turn, text: str) -> Next:
    turn.draft["fault"] = typed("fault", minimum=jobs.FAULT_MIN, maximum=jobs.FAULT_MAX,
                                multiline=True)(text)
    return turn.goto("photos")


async def ask_photos(turn: Turn) -> Question:
    return photos_question(turn, "diagnose_ask_photos", "diagnose_photo_received", "done")


async def diagnosis_done(turn: Turn, value: str) -> Next:
    if value != "done":
        return stale(turn)
    d = turn.draft
    await jobs.diagnose(turn.uow, turn.user, d["order"], d["fault"], d.get("photos", []))
    rows = [[(words(turn, "button.quote"), f"jb:q:{d['order']}")],
            [(words(turn, "button.open_job"), f"jb:v:{d['order']}")]]
    turn.say("diagnose_saved", number=d["number"], fault=d["fault"],
             photos=len(d.get("photos", [])), reply_markup=keyboard(rows))
    return turn.end()


DIAGNOSE = job_flow(
    "job_diagnose", "jd",
    entries=[Entry(diagnose_start, press=rf"^jb:dg:({ID})$")],
    steps={
        "fault": Step(ask_fault, text=fault_typed),
        "photos": Step(ask_photos, photo=photo_added, press=diagnosis_done,
                       wrong="photos_or_done"),
    },
)


# --- the quote: its draft, and what to do with it ------------------------------------------------

async def quote_start(turn: Turn, match) -> Next:
    """"Quote" on a job card: the draft as it stands (a revision starts as a copy of the
    approved quote)."""
    card = await job_for(turn, int(match.group(1)), "quote")
    if card is None:
        return turn.end()
    await quotes.draft_view(turn.uow, turn.user, card.id)  # refused here, not when asking
    begin(turn, card)
    return turn.goto("menu")


async def revise(turn: Turn) -> Next:
    """From a completion (its draft kept): the revised quote, when the job offers one."""
    card = await job_for(turn, turn.draft["order"], "quote")
    if card is None:
        return turn.stay()
    await quotes.draft_view(turn.uow, turn.user, card.id)
    return turn.start("job_quote", "menu")


async def ask_menu(turn: Turn) -> Question:
    d = turn.draft
    for kept in ("pick", "typed", "query", "page", "labour_page"):
        d.pop(kept, None)
    view = await quotes.draft_view(turn.uow, turn.user, d["order"])
    rows = [[(words(turn, "button.add_part"), "part")],
            [(words(turn, "button.add_labour"), "lab"),
             (words(turn, "button.typed_labour"), "tl")]]
    if view.lines:
        rows.append([(words(turn, "button.remove_line"), "rm")])
        rows.append([(words(turn, "button.send_quote", total=money(view.total)), "send")])
    rows.append([(words(turn, "button.close_quote"), "close")])
    return question(turn, "quote_builder_draft", rows, stop=False, quote=view,
                    number=d["number"])


async def menu_pressed(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value in ("part", "lab", "tl", "rm"):
        return turn.goto({"part": "search", "lab": "labour", "tl": "describe",
                          "rm": "remove"}[value])
    open_job = keyboard([[(words(turn, "button.open_job"), f"jb:v:{d['order']}")]])
    if value == "send":
        view = await quotes.send_quote(turn.uow, turn.user, d["order"])
        turn.say("quote_builder_sent", quote=view, number=d["number"], reply_markup=open_job)
        if d.get("used"):  # a revision asked for by a completion: its parts wait for approval
            return turn.start("job_complete", "approval")
        return turn.end()
    if value == "close":
        turn.say("quote_builder_closed", number=d["number"], reply_markup=open_job)
        if d.get("allowed") is not None:  # a revision asked for by a completion: back to it
            return turn.start("job_complete", "parts")
        return turn.end()
    return stale(turn)


# --- parts --------------------------------------------------------------------------------

async def ask_search(turn: Turn) -> Question:
    if turn.draft.get("query"):
        return await part_results(turn)
    return question(turn, "quote_builder_search", [back_row(turn)])


async def search_pressed(turn: Turn, value: str) -> Next:
    if value == "back":
        return turn.goto("menu")
    if value.startswith("sp:"):
        return paged(turn, value)
    part_id = number_in(value) if value.startswith("pt:") else None
    if part_id is None:
        return stale(turn)
    part = await catalogue.get_part(turn.uow, part_id)
    turn.draft["pick"] = {"part": part.id, "name": part.name}
    return turn.goto("quantity")


# --- labour -------------------------------------------------------------------------------

async def ask_labour(turn: Turn) -> Question:
    # The job's appliance's own labour first, then those for any appliance; not another's.
    order = await turn.uow.session.get(ServiceOrder, turn.draft["order"])
    items = await catalogue.labour_items(turn.uow, turn.draft.get("labour_page", 1),
                                         category=order.category if order else None)
    rows = [[(short(f"{item.name} · {money(item.price)}"), f"li:{item.id}")]
            for item in items.items]
    rows += turn_pager(turn, items, "lp:{page}")
    return question(turn, "quote_builder_labour", rows + [back_row(turn)], total=items.total)


async def labour_pressed(turn: Turn, value: str) -> Next:
    if value == "back":
        return turn.goto("menu")
    number = number_in(value)
    if number is None or value[:3] not in ("li:", "lp:"):
        return stale(turn)
    if value.startswith("lp:"):
        turn.draft["labour_page"] = max(number, 1)
        return turn.again()
    item = await catalogue.get_labour_item(turn.uow, number)
    turn.draft["pick"] = {"labour": item.id, "name": item.name}
    return turn.goto("quantity")


# --- how many, then the line is added ---------------------------------------------------------

async def ask_quantity(turn: Turn) -> Question:
    return quantity_question(turn, turn.draft["pick"]["name"])


async def _add(turn: Turn, quantity: int) -> Next:
    d = turn.draft
    pick = d.get("pick")
    if not pick:
        return turn.goto("menu")
    if "part" in pick:
        await quotes.add_part(turn.uow, turn.user, d["order"], pick["part"], quantity)
    else:
        await quotes.add_labour(turn.uow, turn.user, d["order"], pick["labour"], quantity)
    return turn.goto("menu")


async def quantity_pressed(turn: Turn, value: str) -> Next:
    if value == "back":
        return turn.goto("menu")
    quantity = pressed_quantity(value)
    return await _add(turn, quantity) if quantity else stale(turn)


async def quantity_typed(turn: Turn, text: str) -> Next:
    return await _add(turn, quantity_of(text))


# --- typed labour: what, then how much ----------------------------------------------------------

async def ask_description(turn: Turn) -> Question:
    return question(turn, "quote_builder_typed_description", [back_row(turn)],
                    minimum=quotes.TYPED_MIN, maximum=quotes.TYPED_MAX)


async def description_typed(turn: Turn, text: str) -> Next:
    turn.draft["typed"] = typed("description", minimum=quotes.TYPED_MIN,
                                maximum=quotes.TYPED_MAX)(text)
    return turn.goto("amount")


async def ask_amount(turn: Turn) -> Question:
    return question(turn, "quote_builder_typed_amount", [back_row(turn)],
                    description=turn.draft["typed"])


async def amount_typed(turn: Turn, text: str) -> Next:
    d = turn.draft
    amount = parse_money(text)
    if not d.get("typed"):
        return turn.goto("menu")
    await quotes.add_typed_labour(turn.uow, turn.user, d["order"], d["typed"], amount)
    return turn.goto("menu")


async def back_pressed(turn: Turn, value: str) -> Next:
    """Back to the draft, from a step that takes text."""
    return turn.goto("menu") if value == "back" else stale(turn)


# --- removing a line ----------------------------------------------------------------------------

async def ask_remove(turn: Turn) -> Question:
    view = await quotes.draft_view(turn.uow, turn.user, turn.draft["order"])
    rows = [[(short(f"{i}. {line.name} × {line.quantity} · "
                    + (words(turn, "warranty") if line.warranty else money(line.line_total))),
              f"rl:{line.id}")] for i, line in enumerate(view.lines, 1)]
    return question(turn, "quote_builder_remove", rows + [back_row(turn)],
                    number=turn.draft["number"])


async def remove_pressed(turn: Turn, value: str) -> Next:
    if value == "back":
        return turn.goto("menu")
    line_id = number_in(value) if value.startswith("rl:") else None
    if line_id is None:
        return stale(turn)
    await quotes.remove_line(turn.uow, turn.user, turn.draft["order"], line_id)
    return turn.goto("menu")


QUOTE = job_flow(
    "job_quote", "jq",
    entries=[Entry(quote_start, press=rf"^jb:q:({ID})$")],
    steps={
        "menu": Step(ask_menu, press=menu_pressed),
        "search": Step(ask_search, text=searched, press=search_pressed),
        "labour": Step(ask_labour, press=labour_pressed),
        "quantity": Step(ask_quantity, press=quantity_pressed, text=quantity_typed),
        "describe": Step(ask_description, text=description_typed, press=back_pressed),
        "amount": Step(ask_amount, text=amount_typed, press=back_pressed),
        "remove": Step(ask_remove, press=remove_pressed),
    },
)
