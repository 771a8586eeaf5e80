"""Completing a job in chat, a flow on the engine (handlers.flow): the parts actually used (each
unit with its serial number or "no serial"), an installation's checklist, photos, a note of
what was done, then core.jobs.complete (parts issued from the van, else the main warehouse;
warranty dates; the customer's report is a reminder). And the other way a visit ends, its own
flow: parts missing (which parts, found in the catalogue, with quantities, and/or a note;
core.jobs.parts_missing: the manager is told, the customer that the visit will be
rescheduled).

The parts come from the approved quote: using a part that is not on it, or more units than
approved, is refused on the spot with the offer to build a revised quote (the bill may never
exceed what the customer approved; core checks it again). The revision is the quote flow with
this draft: once it is sent, the parts and serials noted so far wait for the customer's
approval ("approval" step) and are taken up again by the next "Complete" on the job.

Callback data: jc:u:<part id> jc:other jc:pt:<part id> jc:sp:<page> jc:back jc:revise jc:ns
jc:undo jc:next jc:ck:<item>:<y|n> jc:ph jc:skip jc:yes; parts missing: jm:sp:<page>
jm:pt:<part id> jm:n:<1-5> jm:note jm:send jm:back; jc:!cancel and jm:!cancel stop.
"""
from __future__ import annotations

from core import catalogue, handover, job_completion, jobs, quotes
from core.access import find
from core.errors import InvalidInput, NotAllowed
from core.lifecycle import INSTALLATION
from core.parsing import parse_quantity, serial_number

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
    pay_rows_for,
    photo_added,
    photos_question,
    pressed_quantity,
    quantity_question,
    question,
    searched,
    stale,
    typed,
    undo,
    words,
)
from .jobs import FLOW_TTL, ID, short
from .quote_builder import revise


async def start(turn: Turn, match) -> Next:
    """"Complete" on a job card: an installation starts with its checklist, a repair with the
    parts of the approved quote (and those noted before a revised quote was approved)."""
    card = await job_for(turn, int(match.group(1)), "complete")
    if card is None:
        return turn.end()
    allowed, labour = [], 0
    if card.kind == INSTALLATION:  # said now, not after the checklist and the photos
        await handover.require_not_held(turn.uow, await find(turn.uow, turn.user, card.id))
    else:
        order = await find(turn.uow, turn.user, card.id)
        quote = await quotes.approved_quote(turn.uow, order)
        view = quotes.view(quote, order) if quote else None
        for line in view.lines if view else ():
            if line.kind != quotes.PART:
                labour += line.line_total
                continue
            entry = next((a for a in allowed if a["sku"] == line.sku), None)
            if entry is None:
                entry = {"sku": line.sku, "name": line.name, "quantity": 0, "prices": []}
                allowed.append(entry)
            entry["quantity"] += line.quantity
            entry["prices"].append([line.quantity, line.unit_price, line.warranty])
        for entry in allowed:  # covered units are used first, as core bills them
            entry["prices"].sort(key=lambda price: not price[2])
            entry["id"] = (await catalogue.get_part(turn.uow, entry["sku"],
                                                    include_inactive=True)).id
    begin(turn, card, allowed=allowed, labour=labour, used=[], checklist={}, photos=[],
          work=None)
    _take_up_noted(turn, card.id)
    if card.kind == INSTALLATION:
        turn.draft["check"] = 0
        return turn.goto("check")
    return turn.goto("parts")


def _take_up_noted(turn: Turn, order_id: int) -> None:
    """The parts noted before a revised quote (kept in the chat's row while the customer
    decided), as far as the quote now approved allows them."""
    row = turn.row
    before = row.draft or {}
    waiting = row.flow == "job_quote" or (row.flow == "job_complete" and row.step == "approval")
    if (not waiting or before.get("order") != order_id
            or row.updated_at < turn.uow.now() - FLOW_TTL):
        return
    d = turn.draft
    for part_id, serial in before.get("used", []):
        entry = _allowed(d, part_id)
        if entry and _used_count(d, part_id) < entry["quantity"]:
            d["used"].append([part_id, serial])


# --- the parts used -------------------------------------------------------------------------

def _used_count(d: dict, part_id: int) -> int:
    return sum(1 for used in d["used"] if used[0] == part_id)


def _allowed(d: dict, part_id: int) -> dict | None:
    return next((a for a in d["allowed"] if a["id"] == part_id), None)


def _used_lines(d: dict) -> list[dict]:
    names = {a["id"]: (a["name"], a["sku"]) for a in d["allowed"]}
    return [{"name": names.get(pid, ("?", "?"))[0], "sku": names.get(pid, ("?", "?"))[1],
             "serial": serial} for pid, serial in d["used"]]


async def ask_parts(turn: Turn) -> Question:
    d = turn.draft
    d.pop("pending", None)
    d.pop("query", None)
    refused = d.pop("refused", None)
    if refused:  # a part not on the approved quote, or one unit more than approved
        return question(turn, "complete_needs_revision", [
            [(words(turn, "button.build_revision"), "revise")],
            back_row(turn, "button.back_to_parts")],
            number=d["number"], name=refused["name"], approved=refused["approved"])
    rows = [[(short(words(turn, "button.use_part", name=a["name"],
                          used=_used_count(d, a["id"]), approved=a["quantity"])),
              f"u:{a['id']}")] for a in d["allowed"]]
    rows.append([(words(turn, "button.other_part"), "other")])
    if d["used"]:
        rows.append([(words(turn, "button.undo_part"), "undo")])
    rows.append([(words(turn, "button.parts_done"), "next")])
    return question(turn, "complete_parts", rows, number=d["number"],
                    allowed=[dict(a, used=_used_count(d, a["id"])) for a in d["allowed"]],
                    used=_used_lines(d))


def _refused(turn: Turn, name: str, approved: int) -> Next:
    turn.draft["refused"] = {"name": name, "approved": approved}
    return turn.goto("parts")


def _use(turn: Turn, part_id: int, name: str) -> Next:
    d = turn.draft
    entry = _allowed(d, part_id)
    if entry is None:
        return _refused(turn, name, 0)
    if _used_count(d, part_id) >= entry["quantity"]:
        return _refused(turn, entry["name"], entry["quantity"])
    if len(d["used"]) >= jobs.PARTS_USED_MAX:
        return turn.goto("parts")
    d["pending"] = part_id
    return turn.goto("serial")


async def parts_pressed(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value.startswith("u:") and number_in(value) is not None:
        return _use(turn, number_in(value), "?")
    if value == "other":
        return turn.goto("search")
    if value == "undo":
        if d["used"]:
            d["used"].pop()
        return turn.goto("parts")
    if value == "next":
        return turn.goto("photos")
    if value == "back":
        return turn.goto("parts")
    if value == "revise":
        return await revise(turn)
    return stale(turn)


async def ask_search(turn: Turn) -> Question:
    if turn.draft.get("query"):
        return await part_results(turn, "button.back_to_parts")
    return question(turn, "complete_search", [back_row(turn, "button.back_to_parts")])


async def search_pressed(turn: Turn, value: str) -> Next:
    if value == "back":
        return turn.goto("parts")
    if value.startswith("sp:"):
        return paged(turn, value)
    part_id = number_in(value) if value.startswith("pt:") else None
    if part_id is None:
        return stale(turn)
    part = await catalogue.get_part(turn.uow, part_id, include_inactive=True)
    return _use(turn, part.id, part.name)


async def ask_serial(turn: Turn) -> Question:
    entry = _allowed(turn.draft, turn.draft.get("pending"))
    return question(turn, "complete_serial", [
        [(words(turn, "button.no_serial"), "ns")], back_row(turn, "button.back_to_parts")],
        name=entry["name"] if entry else "?", maximum=jobs.SERIAL_MAX)


def _serial(turn: Turn, serial: str | None) -> Next:
    d = turn.draft
    if d.get("pending") is not None:
        d["used"].append([d.pop("pending"), serial])
    return turn.goto("parts")


async def serial_typed(turn: Turn, text: str) -> Next:
    serial = serial_number(text, maximum=jobs.SERIAL_MAX, required=True)
    job_completion.require_distinct_serials([(None, 1, s) for _, s in turn.draft["used"]]
                                  + [(None, 1, serial)])
    fitted_on = await job_completion.serial_fitted_on(turn.uow, serial)
    if fitted_on:  # questioned, not refused: a part can come back from a job
        turn.draft["questioned"] = {"serial": serial, "order": fitted_on}
        return turn.goto("serial_check")
    return _serial(turn, serial)


async def ask_serial_check(turn: Turn) -> Question:
    questioned = turn.draft["questioned"]
    return question(turn, "complete_serial_check", [
        [(words(turn, "button.serial_yes"), "yes")], [(words(turn, "button.serial_again"), "no")]],
        serial=questioned["serial"], order=questioned["order"])


async def serial_checked(turn: Turn, value: str) -> Next:
    questioned = turn.draft.pop("questioned", None)
    if value == "yes" and questioned:
        return _serial(turn, questioned["serial"])
    return turn.goto("serial")


async def serial_pressed(turn: Turn, value: str) -> Next:
    if value == "ns":
        return _serial(turn, None)
    if value == "back":
        return turn.goto("parts")
    return stale(turn)


# --- waiting for a revised quote's approval --------------------------------------------------

async def ask_approval(turn: Turn) -> Question:
    d = turn.draft
    return question(turn, "complete_waiting", number=d["number"], used=_used_lines(d))


# --- an installation's checklist ----------------------------------------------------------------

async def ask_check(turn: Turn) -> Question:
    d = turn.draft
    index = d.get("check", 0)
    item = job_completion.CHECKLIST_ITEMS[index]
    return question(turn, "complete_check", [[
        (words(turn, "button.yes"), f"ck:{item}:y"), (words(turn, "button.no"), f"ck:{item}:n")]],
        number=d["number"], item=item, index=index + 1, count=len(job_completion.CHECKLIST_ITEMS))


async def check_pressed(turn: Turn, value: str) -> Next:
    d = turn.draft
    kind, item, answer = (value.split(":") + ["", ""])[:3]
    index = d.get("check", 0)
    if kind != "ck" or answer not in ("y", "n") or job_completion.CHECKLIST_ITEMS[index] != item:
        return stale(turn)
    yes = answer == "y"
    if not yes and item in job_completion.CHECKLIST_REQUIRED:
        turn.say("complete_check_required", item=item, number=d["number"])
        return turn.again()
    d["checklist"][item] = yes
    if index + 1 < len(job_completion.CHECKLIST_ITEMS):
        d["check"] = index + 1
        return turn.again()
    return turn.goto("photos")


# --- photos, what was done, and the last look ------------------------------------------------------

async def ask_photos(turn: Turn) -> Question:
    return photos_question(turn, "complete_photos", "complete_photo_received", "ph",
                           required=turn.draft["kind"] == INSTALLATION)


async def photos_done(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value != "ph":
        return stale(turn)
    if d["kind"] == INSTALLATION and not d["photos"]:
        turn.say("complete_photo_needed")
        return turn.stay()
    return turn.goto("work")


async def ask_work(turn: Turn) -> Question:
    return question(turn, "complete_work", [[(words(turn, "button.skip"), "skip")]],
                    maximum=job_completion.WORK_DONE_MAX)


async def work_typed(turn: Turn, text: str) -> Next:
    turn.draft["work"] = typed("work_done", minimum=1, maximum=job_completion.WORK_DONE_MAX,
                               multiline=True)(text)
    return turn.goto("confirm")


async def work_skipped(turn: Turn, value: str) -> Next:
    if value != "skip":
        return stale(turn)
    turn.draft["work"] = None
    return turn.goto("confirm")


def amount_of(d: dict) -> int:
    """The bill as core will make it: labour plus the units used at their quoted prices."""
    total = d.get("labour", 0)
    for entry in d["allowed"]:
        left = _used_count(d, entry["id"])
        for quantity, price, _ in entry["prices"]:
            taken = min(left, quantity)
            total += taken * price
            left -= taken
    return total


async def ask_confirm(turn: Turn) -> Question:
    d = turn.draft
    return question(turn, "complete_confirm", [
        [(words(turn, "button.complete_now"), "yes")]],
        number=d["number"], kind=d["kind"], used=_used_lines(d), checklist=d["checklist"],
        photos=len(d["photos"]), work=d["work"], amount=amount_of(d))


async def confirmed(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value != "yes":
        return stale(turn)
    try:
        completion = await job_completion.complete(
            turn.uow, turn.user, d["order"], [(pid, 1, serial) for pid, serial in d["used"]],
            checklist=d["checklist"] or None, photos=d["photos"], work_done=d["work"])
    except NotAllowed as refused:
        if refused.details.get("reason") != "needs_revised_quote":
            raise
        await undo(turn)
        entry = next((a for a in d["allowed"] if a["sku"] == refused.details.get("part")), None)
        return _refused(turn, entry["name"] if entry else refused.details.get("part", "?"),
                        refused.details.get("approved", 0))
    rows = pay_rows_for(turn, d["order"], completion.amount, d["kind"])
    rows.append([(words(turn, "button.open_job"), f"jb:v:{d['order']}")])
    turn.say("complete_done", number=d["number"], amount=completion.amount,
             reply_markup=keyboard(rows))
    return turn.end()


COMPLETE = job_flow(
    "job_complete", "jc",
    entries=[Entry(start, press=rf"^jb:c:({ID})$")],
    steps={
        "parts": Step(ask_parts, press=parts_pressed),
        "search": Step(ask_search, text=searched, press=search_pressed),
        "serial": Step(ask_serial, text=serial_typed, press=serial_pressed),
        "serial_check": Step(ask_serial_check, press=serial_checked),
        "approval": Step(ask_approval),
        "check": Step(ask_check, press=check_pressed),
        "photos": Step(ask_photos, photo=photo_added, press=photos_done,
                       wrong="photos_or_done"),
        "work": Step(ask_work, text=work_typed, press=work_skipped),
        "confirm": Step(ask_confirm, press=confirmed),
    },
)


# --- parts missing ----------------------------------------------------------------------------

async def missing_start(turn: Turn, match) -> Next:
    card = await job_for(turn, int(match.group(1)), "parts_missing")
    if card is None:
        return turn.end()
    begin(turn, card, parts=[], note=None)
    return turn.goto("menu")


async def ask_missing(turn: Turn) -> Question:
    """What is missing so far; typing searches the catalogue (the results are the question
    then, with Back to this)."""
    d = turn.draft
    d.pop("pick", None)
    if d.get("query"):
        return await part_results(turn)
    rows = [[(words(turn, "button.add_note" if not d.get("note") else "button.edit_note"),
              "note")]]
    if d.get("parts") or d.get("note"):
        rows.append([(words(turn, "button.report_missing"), "send")])
    return question(turn, "job_missing_ask", rows, number=d["number"], parts=d["parts"],
                    note=d.get("note"))


async def missing_pressed(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value == "back":
        d.pop("query", None)
        return turn.goto("menu")
    if value.startswith("sp:"):
        return paged(turn, value)
    if value.startswith("pt:") and number_in(value) is not None:
        part = await catalogue.get_part(turn.uow, number_in(value), include_inactive=True)
        d["pick"] = [part.id, part.sku, part.name]
        return turn.goto("quantity")
    if value == "note" and not d.get("query"):
        return turn.goto("note")
    if value == "send" and not d.get("query"):
        await jobs.parts_missing(turn.uow, turn.user, d["order"],
                                 [(entry[0], entry[3]) for entry in d["parts"]], d.get("note"))
        turn.say("job_missing_sent", number=d["number"], parts=d["parts"], note=d.get("note"),
                 reply_markup=keyboard([[(words(turn, "button.all_jobs"), "jb:p:1")]]))
        return turn.end()
    return stale(turn)


async def ask_missing_quantity(turn: Turn) -> Question:
    return quantity_question(turn, turn.draft["pick"][2])


def _missing_add(turn: Turn, quantity: int) -> Next:
    d = turn.draft
    part_id, sku, name = d.pop("pick")
    for entry in d["parts"]:
        if entry[0] == part_id:
            entry[3] = min(entry[3] + quantity, jobs.PART_QUANTITY_MAX)
            break
    else:
        if len(d["parts"]) >= jobs.PARTS_USED_MAX:
            raise InvalidInput(field="parts", reason="too_many", limit=jobs.PARTS_USED_MAX)
        d["parts"].append([part_id, sku, name, quantity])
    d.pop("query", None)
    return turn.goto("menu")


async def missing_quantity_pressed(turn: Turn, value: str) -> Next:
    if value == "back":
        turn.draft.pop("query", None)
        return turn.goto("menu")
    quantity = pressed_quantity(value)
    return _missing_add(turn, quantity) if quantity else stale(turn)


async def missing_quantity_typed(turn: Turn, text: str) -> Next:
    return _missing_add(turn, parse_quantity(text, maximum=jobs.PART_QUANTITY_MAX))


async def ask_note(turn: Turn) -> Question:
    return question(turn, "job_missing_note", [back_row(turn)], maximum=jobs.NOTE_MAX)


async def note_typed(turn: Turn, text: str) -> Next:
    turn.draft["note"] = typed("note", minimum=1, maximum=jobs.NOTE_MAX, multiline=True)(text)
    return turn.goto("menu")


async def note_pressed(turn: Turn, value: str) -> Next:
    return turn.goto("menu") if value == "back" else stale(turn)


MISSING = job_flow(
    "job_missing", "jm",
    entries=[Entry(missing_start, press=rf"^jb:miss:({ID})$")],
    steps={
        "menu": Step(ask_missing, text=searched, press=missing_pressed),
        "quantity": Step(ask_missing_quantity, press=missing_quantity_pressed,
                         text=missing_quantity_typed, wrong="use_buttons"),
        "note": Step(ask_note, text=note_typed, press=note_pressed),
    },
)
