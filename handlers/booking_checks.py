"""What a delivery and a warranty claim ask besides a repair's questions (steps of
handlers.booking's flow): the sales order's number and phone, which prove it is theirs, and
the parts still under warranty that the claim is about."""
from __future__ import annotations

from core import parsing, sales
from core.errors import DomainError

from .flow import Next, Question, Turn

# --- a warranty claim: which parts ------------------------------------------------------------

async def q_warranty_parts(turn: Turn) -> Question:
    d = turn.draft
    chosen = set(d.get("chosen", []))
    rows = [[(("✅ " if part_id in chosen else "")
              + turn.label("button.warranty_part", name=name, until=until), str(part_id))]
            for part_id, name, until in d["parts"]]
    rows.append([(turn.label("button.done"), "done")])
    return Question("ask_warranty_parts", rows, {
        "number": d["original_number"], "has_parts": bool(d["parts"])})


async def toggled_warranty_part(turn: Turn, choice: str) -> Next:
    d = turn.draft
    if choice == "done":
        return turn.next()
    if not choice.isdigit() or int(choice) not in {p[0] for p in d["parts"]}:
        turn.toast("toast.stale_button")
        return turn.stay()
    part_id = int(choice)
    chosen = d.setdefault("chosen", [])
    chosen.remove(part_id) if part_id in chosen else chosen.append(part_id)
    return turn.refresh()


# --- delivery: proving the sales order is theirs ------------------------------------------

async def typed_sales_number(turn: Turn, text: str) -> Next:
    turn.draft["sales_number"] = parsing.clean_text(text, "sales_number", minimum=1, maximum=32)
    return turn.next()


async def typed_sales_phone(turn: Turn, text: str) -> Next:
    d = turn.draft
    try:
        found = await sales.verify_sales_order(turn.uow, turn.user, d["sales_number"], text)
        # Said now, not after the address and the time were chosen.
        await sales.require_no_open_installation(turn.uow, turn.user, found)
    except DomainError as error:
        # A wrong try is kept (committed with the step): it counts toward the limit.
        turn.say(f"error_{error.code}", **error.details)
        if error.details.get("reason") in ("too_many_tries", "installation_booked"):
            return turn.end()
        return turn.goto("sales_number")
    d.update(sales_order=found.id, sales_number=found.number, phone=found.phone,
             sales_address=found.address, category=found.category, brand=found.brand,
             model=found.model)
    turn.say("sales_order_found", number=found.number,
             category=turn.label(f"category.{found.category}"),
             brand=found.brand or "", model=found.model or "")
    return turn.next()


async def q_sales_number(turn: Turn) -> Question:
    return Question("ask_sales_number")


async def q_sales_phone(turn: Turn) -> Question:
    return Question("ask_sales_phone")
