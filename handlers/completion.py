"""Completing a job in chat: the parts actually used (each unit with its serial number or "no
serial"), an installation's checklist, photos, a note of what was done, then core.jobs.complete
(parts issued from the van, else the main warehouse; warranty dates; the customer's report is
a reminder). And the other way a visit ends: parts missing (which parts, found in the
catalogue, with quantities, and/or a note; core.jobs.parts_missing: the manager is told, the
customer that the visit will be rescheduled).

The parts come from the approved quote: using a part that is not on it, or more units than
approved, is refused on the spot with the offer to build a revised quote (the bill may never
exceed what the customer approved; core checks it again). Part of the "jobs" conversation
(handlers.jobs). Callback data: jc:u:<part id> jc:other jc:pt:<part id> jc:sp:<page> jc:back
jc:ns jc:undo jc:next jc:ck:<item>:<y|n> jc:ph jc:skip jc:yes; parts missing: jm:sp:<page>
jm:pt:<part id> jm:n:<1-5> jm:note jm:send jm:back.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from core import catalogue, jobs, quotes
from core.access import find
from core.errors import InvalidInput, NotAllowed
from core.lifecycle import INSTALLATION

from .chat import Context, desk, keyboard, person, say
from .jobs import (
    END,
    ID,
    ask,
    ask_quantity,
    end_flow,
    entry_card,
    flow,
    flow_button,
    flow_message,
    jl,
    pay_rows,
    part_results,
    photos_or_done,
    quantity_of,
    search_query,
    short,
    start_flow,
    type_it,
    typed,
    use_buttons,
)
from .notify import wake_reminders

CP_PARTS, CP_SEARCH, CP_SERIAL = "cp_parts", "cp_search", "cp_serial"
CP_CHECK, CP_PHOTOS, CP_WORK, CP_CONFIRM = "cp_check", "cp_photos", "cp_work", "cp_confirm"
PM_MENU, PM_QTY, PM_NOTE = "pm_menu", "pm_qty", "pm_note"
ITEMS = "|".join(jobs.CHECKLIST_ITEMS)


async def start(update: Update, context: Context):
    """"Complete" on a job card: an installation starts with its checklist, a repair with the
    parts of the approved quote."""
    card = await entry_card(update, context, "complete")
    if card is None:
        return None
    allowed, labour = [], 0
    if card.kind != INSTALLATION:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            order = await find(uow, user, card.id)
            quote = await quotes.approved_quote(uow, order)
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
        async with desk(context).uow() as uow:
            for entry in allowed:
                entry["id"] = (await catalogue.get_part(uow, entry["sku"],
                                                        include_inactive=True)).id
    start_flow(context, "complete", card, allowed=allowed, labour=labour, used=[],
               checklist={}, photos=[], work=None)
    if card.kind == INSTALLATION:
        return await ask_check(update, context, 0)
    return await parts_step(update, context)


# --- the parts used -------------------------------------------------------------------------

def _used_count(d: dict, part_id: int) -> int:
    return sum(1 for used in d["used"] if used[0] == part_id)


def _allowed(d: dict, part_id: int) -> dict | None:
    return next((a for a in d["allowed"] if a["id"] == part_id), None)


async def parts_step(update: Update, context: Context) -> str:
    d = flow(context)
    d.pop("pending", None)
    rows = [[(short(jl(update, context, "button.use_part", name=a["name"],
                       used=_used_count(d, a["id"]), approved=a["quantity"])),
              f"jc:u:{a['id']}")] for a in d["allowed"]]
    rows.append([(jl(update, context, "button.other_part"), "jc:other")])
    if d["used"]:
        rows.append([(jl(update, context, "button.undo_part"), "jc:undo")])
    rows.append([(jl(update, context, "button.parts_done"), "jc:next")])
    return await ask(update, context, CP_PARTS, "complete_parts", rows, number=d["number"],
                     allowed=[dict(a, used=_used_count(d, a["id"])) for a in d["allowed"]],
                     used=_used_lines(d))


def _used_lines(d: dict) -> list[dict]:
    names = {a["id"]: (a["name"], a["sku"]) for a in d["allowed"]}
    return [{"name": names.get(pid, ("?", "?"))[0], "sku": names.get(pid, ("?", "?"))[1],
             "serial": serial} for pid, serial in d["used"]]


async def needs_revision(update: Update, context: Context, name: str, approved: int) -> str:
    """Refused: a part not on the approved quote, or one unit more than approved."""
    d = flow(context)
    rows = [[(jl(update, context, "button.build_revision"), f"jb:q:{d['order']}")],
            [(jl(update, context, "button.back_to_parts"), "jc:back")]]
    return await ask(update, context, CP_PARTS, "complete_needs_revision", rows,
                     number=d["number"], name=name, approved=approved)


async def _use(update: Update, context: Context, d: dict, part_id: int, name: str) -> str:
    entry = _allowed(d, part_id)
    if entry is None:
        return await needs_revision(update, context, name, 0)
    if _used_count(d, part_id) >= entry["quantity"]:
        return await needs_revision(update, context, entry["name"], entry["quantity"])
    if len(d["used"]) >= jobs.PARTS_USED_MAX:
        return await parts_step(update, context)
    d["pending"] = part_id
    return await ask(update, context, CP_SERIAL, "complete_serial", [
        [(jl(update, context, "button.no_serial"), "jc:ns")],
        [(jl(update, context, "button.back_to_parts"), "jc:back")]],
        name=entry["name"], maximum=jobs.SERIAL_MAX)


@flow_button
async def use_pressed(update: Update, context: Context, d: dict, args):
    return await _use(update, context, d, int(args[0]), "?")


@flow_button
async def other_pressed(update: Update, context: Context, d: dict, args):
    return await ask(update, context, CP_SEARCH, "complete_search", [
        [(jl(update, context, "button.back_to_parts"), "jc:back")]])


@flow_message
async def search_typed(update: Update, context: Context, d: dict):
    d["query"] = search_query(update.message.text)
    return await part_results(update, context, CP_SEARCH, "jc")


@flow_button
async def results_page(update: Update, context: Context, d: dict, args):
    return await part_results(update, context, CP_SEARCH, "jc", int(args[0]))


@flow_button
async def found_part_chosen(update: Update, context: Context, d: dict, args):
    async with desk(context).uow() as uow:
        part = await catalogue.get_part(uow, int(args[0]), include_inactive=True)
    return await _use(update, context, d, part.id, part.name)


async def _serial(update: Update, context: Context, d: dict, serial: str | None) -> str:
    if d.get("pending") is not None:
        d["used"].append([d.pop("pending"), serial])
    return await parts_step(update, context)


@flow_message
async def serial_typed(update: Update, context: Context, d: dict):
    serial = typed("serial", minimum=1, maximum=jobs.SERIAL_MAX)(update.message.text)
    return await _serial(update, context, d, serial)


@flow_button
async def no_serial_pressed(update: Update, context: Context, d: dict, args):
    return await _serial(update, context, d, None)


@flow_button
async def undo_pressed(update: Update, context: Context, d: dict, args):
    if d["used"]:
        d["used"].pop()
    return await parts_step(update, context)


@flow_button
async def back_pressed(update: Update, context: Context, d: dict, args):
    return await parts_step(update, context)


@flow_button
async def parts_done(update: Update, context: Context, d: dict, args):
    return await photos_step(update, context)


# --- an installation's checklist ----------------------------------------------------------------

async def ask_check(update: Update, context: Context, index: int) -> str:
    d = flow(context)
    d["check"] = index
    item = jobs.CHECKLIST_ITEMS[index]
    return await ask(update, context, CP_CHECK, "complete_check", [[
        (jl(update, context, "button.yes"), f"jc:ck:{item}:y"),
        (jl(update, context, "button.no"), f"jc:ck:{item}:n")]],
        number=d["number"], item=item, index=index + 1, count=len(jobs.CHECKLIST_ITEMS))


@flow_button
async def check_pressed(update: Update, context: Context, d: dict, args):
    item, yes = args[0], args[1] == "y"
    index = d.get("check", 0)
    if jobs.CHECKLIST_ITEMS[index] != item:
        return await ask_check(update, context, index)
    if not yes and item in jobs.CHECKLIST_REQUIRED:
        await say(update, context, "complete_check_required", item=item, number=d["number"])
        return await ask_check(update, context, index)
    d["checklist"][item] = yes
    if index + 1 < len(jobs.CHECKLIST_ITEMS):
        return await ask_check(update, context, index + 1)
    return await photos_step(update, context)


# --- photos, what was done, and the last look ------------------------------------------------------

async def photos_step(update: Update, context: Context) -> str:
    d = flow(context)
    return await ask(update, context, CP_PHOTOS, "complete_photos", [
        [(jl(update, context, "button.photos_done"), "jc:ph")]],
        required=d["kind"] == INSTALLATION, maximum=jobs.PHOTOS_MAX)


@flow_message
async def photo_received(update: Update, context: Context, d: dict):
    if len(d["photos"]) >= jobs.PHOTOS_MAX:
        await say(update, context, "photos_full", maximum=jobs.PHOTOS_MAX)
        return None
    d["photos"].append(update.message.photo[-1].file_id)
    return await ask(update, context, CP_PHOTOS, "complete_photo_received", [
        [(jl(update, context, "button.photos_done"), "jc:ph")]],
        count=len(d["photos"]), maximum=jobs.PHOTOS_MAX)


@flow_button
async def photos_done(update: Update, context: Context, d: dict, args):
    if d["kind"] == INSTALLATION and not d["photos"]:
        await say(update, context, "complete_photo_needed")
        return None
    return await ask(update, context, CP_WORK, "complete_work", [
        [(jl(update, context, "button.skip"), "jc:skip")]], maximum=jobs.WORK_DONE_MAX)


@flow_message
async def work_typed(update: Update, context: Context, d: dict):
    d["work"] = typed("work_done", minimum=1, maximum=jobs.WORK_DONE_MAX,
                      multiline=True)(update.message.text)
    return await confirm_step(update, context)


@flow_button
async def work_skipped(update: Update, context: Context, d: dict, args):
    d["work"] = None
    return await confirm_step(update, context)


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


async def confirm_step(update: Update, context: Context) -> str:
    d = flow(context)
    return await ask(update, context, CP_CONFIRM, "complete_confirm", [
        [(jl(update, context, "button.complete_now"), "jc:yes")]],
        number=d["number"], kind=d["kind"], used=_used_lines(d), checklist=d["checklist"],
        photos=len(d["photos"]), work=d["work"], amount=amount_of(d))


@flow_button
async def confirmed(update: Update, context: Context, d: dict, args):
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            completion = await jobs.complete(
                uow, user, d["order"], [(pid, 1, serial) for pid, serial in d["used"]],
                checklist=d["checklist"] or None, photos=d["photos"], work_done=d["work"])
            amount = completion.amount
            await uow.commit()
    except NotAllowed as refused:
        if refused.details.get("reason") != "needs_revised_quote":
            raise
        entry = next((a for a in d["allowed"] if a["sku"] == refused.details.get("part")), None)
        return await needs_revision(update, context, entry["name"] if entry else
                                    refused.details.get("part", "?"),
                                    refused.details.get("approved", 0))
    wake_reminders(context)  # the customer's report and rating request
    end_flow(context)
    rows = pay_rows(update, context, d["order"], amount, d["kind"])
    rows.append([(jl(update, context, "button.open_job"), f"jb:v:{d['order']}")])
    await say(update, context, "complete_done", number=d["number"], amount=amount,
              reply_markup=keyboard(rows))
    return END


# --- parts missing ----------------------------------------------------------------------------

async def missing_start(update: Update, context: Context):
    card = await entry_card(update, context, "parts_missing")
    if card is None:
        return None
    start_flow(context, "missing", card, parts=[], note=None)
    return await missing_menu(update, context)


async def missing_menu(update: Update, context: Context) -> str:
    d = flow(context)
    rows = [[(jl(update, context, "button.add_note" if not d.get("note") else "button.edit_note"),
              "jm:note")]]
    if d.get("parts") or d.get("note"):
        rows.append([(jl(update, context, "button.report_missing"), "jm:send")])
    return await ask(update, context, PM_MENU, "job_missing_ask", rows, number=d["number"],
                     parts=d.get("parts", []), note=d.get("note"))


@flow_message
async def missing_search(update: Update, context: Context, d: dict):
    d["query"] = search_query(update.message.text)
    return await part_results(update, context, PM_MENU, "jm")


@flow_button
async def missing_results_page(update: Update, context: Context, d: dict, args):
    return await part_results(update, context, PM_MENU, "jm", int(args[0]))


@flow_button
async def missing_part_chosen(update: Update, context: Context, d: dict, args):
    async with desk(context).uow() as uow:
        part = await catalogue.get_part(uow, int(args[0]), include_inactive=True)
        d["pick"] = [part.id, part.sku, part.name]
    return await ask_quantity(update, context, PM_QTY, "jm", part.name)


async def _missing_add(update: Update, context: Context, d: dict, quantity: int):
    part_id, sku, name = d.pop("pick")
    for entry in d["parts"]:
        if entry[0] == part_id:
            entry[3] = min(entry[3] + quantity, jobs.PART_QUANTITY_MAX)
            break
    else:
        if len(d["parts"]) >= jobs.PARTS_USED_MAX:
            raise InvalidInput(field="parts", reason="too_many", limit=jobs.PARTS_USED_MAX)
        d["parts"].append([part_id, sku, name, quantity])
    return await missing_menu(update, context)


@flow_button
async def missing_quantity_pressed(update: Update, context: Context, d: dict, args):
    if not d.get("pick"):
        return await missing_menu(update, context)
    return await _missing_add(update, context, d, int(args[0]))


@flow_message
async def missing_quantity_typed(update: Update, context: Context, d: dict):
    quantity = quantity_of(update.message.text)
    if not d.get("pick"):
        return await missing_menu(update, context)
    return await _missing_add(update, context, d, quantity)


@flow_button
async def missing_back(update: Update, context: Context, d: dict, args):
    d.pop("pick", None)
    return await missing_menu(update, context)


@flow_button
async def missing_note_pressed(update: Update, context: Context, d: dict, args):
    return await ask(update, context, PM_NOTE, "job_missing_note", [
        [(jl(update, context, "button.back"), "jm:back")]], maximum=jobs.NOTE_MAX)


@flow_message
async def missing_note_typed(update: Update, context: Context, d: dict):
    d["note"] = typed("note", minimum=1, maximum=jobs.NOTE_MAX,
                      multiline=True)(update.message.text)
    return await missing_menu(update, context)


@flow_button
async def missing_send(update: Update, context: Context, d: dict, args):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        await jobs.parts_missing(uow, user, d["order"],
                                 [(entry[0], entry[3]) for entry in d.get("parts", [])],
                                 d.get("note"))
        await uow.commit()
    wake_reminders(context)
    end_flow(context)
    await say(update, context, "job_missing_sent", number=d["number"], parts=d.get("parts", []),
              note=d.get("note"),
              reply_markup=keyboard([[(jl(update, context, "button.all_jobs"), "jb:p:1")]]))
    return END


# --- registration -----------------------------------------------------------------------------

def entry_points() -> list:
    return [CallbackQueryHandler(start, pattern=rf"^jb:c:{ID}$"),
            CallbackQueryHandler(missing_start, pattern=rf"^jb:miss:{ID}$")]


def states() -> dict:
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND
    back = CallbackQueryHandler(back_pressed, pattern=r"^jc:back$")
    buttons_only = [MessageHandler(other, use_buttons)]
    return {
        PM_MENU: [MessageHandler(text, missing_search),
                  CallbackQueryHandler(missing_results_page, pattern=r"^jm:sp:\d{1,6}$"),
                  CallbackQueryHandler(missing_part_chosen, pattern=rf"^jm:pt:{ID}$"),
                  CallbackQueryHandler(missing_note_pressed, pattern=r"^jm:note$"),
                  CallbackQueryHandler(missing_send, pattern=r"^jm:send$"),
                  CallbackQueryHandler(missing_back, pattern=r"^jm:back$"),
                  MessageHandler(other, type_it)],
        PM_QTY: [CallbackQueryHandler(missing_quantity_pressed, pattern=r"^jm:n:[1-5]$"),
                 CallbackQueryHandler(missing_back, pattern=r"^jm:back$"),
                 MessageHandler(text, missing_quantity_typed), *buttons_only],
        PM_NOTE: [MessageHandler(text, missing_note_typed),
                  CallbackQueryHandler(missing_back, pattern=r"^jm:back$"),
                  MessageHandler(other, type_it)],
        CP_PARTS: [CallbackQueryHandler(use_pressed, pattern=rf"^jc:u:{ID}$"),
                   CallbackQueryHandler(other_pressed, pattern=r"^jc:other$"),
                   CallbackQueryHandler(undo_pressed, pattern=r"^jc:undo$"),
                   CallbackQueryHandler(parts_done, pattern=r"^jc:next$"),
                   back, MessageHandler(other, use_buttons)],
        CP_SEARCH: [MessageHandler(text, search_typed),
                    CallbackQueryHandler(results_page, pattern=r"^jc:sp:\d{1,6}$"),
                    CallbackQueryHandler(found_part_chosen, pattern=rf"^jc:pt:{ID}$"),
                    back, MessageHandler(other, type_it)],
        CP_SERIAL: [MessageHandler(text, serial_typed),
                    CallbackQueryHandler(no_serial_pressed, pattern=r"^jc:ns$"),
                    back, MessageHandler(other, type_it)],
        CP_CHECK: [CallbackQueryHandler(check_pressed, pattern=rf"^jc:ck:({ITEMS}):(y|n)$"),
                   MessageHandler(other, use_buttons)],
        CP_PHOTOS: [MessageHandler(filters.PHOTO, photo_received),
                    CallbackQueryHandler(photos_done, pattern=r"^jc:ph$"),
                    MessageHandler(other, photos_or_done)],
        CP_WORK: [MessageHandler(text, work_typed),
                  CallbackQueryHandler(work_skipped, pattern=r"^jc:skip$"),
                  MessageHandler(other, type_it)],
        CP_CONFIRM: [CallbackQueryHandler(confirmed, pattern=r"^jc:yes$"),
                     MessageHandler(other, use_buttons)],
    }
