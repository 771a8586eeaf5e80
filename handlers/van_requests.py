"""Van replenishment in chat (core.van_requests).

Technicians: /van shows what their van holds, with "📨 Ask for parts"; /request (or that
button, or the evening's "request these" button, prefilled with what tomorrow's quotes need,
or "📨 Ask for the missing parts" on a job card, "tr:ask:<order id>", prefilled with what the
van lacks of the parts to bring to that job) is a flow on the conversation engine (handlers.flow): pick a part (search by typing), type the
quantity (full-width digits too), again for more parts, then send. Button values after "vrq:":
those of handlers.stock_picking's part picker, "add", "send", "rm:<part id>".

Managers get each request as a notice (handlers.reminder_texts renders it with `notice`) with
"✅ Approve" (stateless, "vr:a:<id>"), "✏️ Change quantities" (flow "vrc": each line in turn,
a typed number or "keep", then approve) and "✖ Refuse" (flow "vrr": the reason). Every press
checks on the server that the person is an active manager and the request still waits; one
decided already says who decided it.
"""
from __future__ import annotations

import logging
from functools import partial

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import catalogue, stock, stock_levels, triage, van_requests
from core.catalogue import parse_number
from core.errors import DomainError, InvalidInput, NotAllowed, NotFound
from core.lifecycle import APPLIANCE_CATEGORIES
from core.models import Reminder, User
from core.parsing import parse_quantity
from core.roles import require_manager, require_technician

from .chat import Context, desk, keyboard, label, person, rows_of, say, show
from .flow import Entry, Flow, Next, Question, Step, Turn
from .notify import wake_reminders
from .stock import pages, short
from .stock_picking import PICK_PAGE, page_buttons, part_step, refuse

log = logging.getLogger(__name__)

ID = r"\d{1,12}"
VAN_PAGE = 20
KINDS = ("van_request", "van_request_decided", "van_short")


def decision_buttons(labels, request_id: int) -> list[list[tuple[str, str]]]:
    return [[(labels("van_button.approve"), f"vr:a:{request_id}"),
             (labels("van_button.change"), f"vrc:go:{request_id}")],
            [(labels("van_button.refuse"), f"vrr:go:{request_id}")]]


# --- the technician's request -------------------------------------------------------------------

async def _begin(turn: Turn, lines: dict) -> Next:
    require_technician(turn.user)
    main = await stock.main_warehouse(turn.uow)
    turn.draft.update(op="request", source=main.id, query="", page=1, lines=lines)
    return turn.goto("lines" if lines else "part")


async def start(turn: Turn, _) -> Next:
    return await _begin(turn, {})


async def start_prefilled(turn: Turn, _) -> Next:
    """From the evening's notice: what tomorrow's quotes need and the van lacks, as it is now."""
    require_technician(turn.user)
    missing = await van_requests.shortfall(turn.uow, turn.user, van_requests.tomorrow(turn.uow))
    return await _begin(turn, {str(s.part_id): s.short for s in missing})


async def start_for_job(turn: Turn, match) -> Next:
    """"📨 Ask for the missing parts" on a job card: what the van lacks of the parts to bring
    to that job of theirs (core.triage), as a request to check and send."""
    require_technician(turn.user)
    try:
        missing = await triage.missing_for_van(turn.uow, turn.user, int(match.group(1)),
                                               turn.lang)
    except NotAllowed as refused:
        if refused.details.get("reason") != "nothing_to_ask":
            raise
        turn.toast(f"triage.toast.{refused.details.get('why', 'no_suggestion')}")
        return turn.end()
    return await _begin(turn, {str(p): q for p, q in missing.items()})


async def part_chosen(turn: Turn) -> Next:
    return turn.goto("quantity")


def request_part_step() -> Step:
    """The stock flows' part picker (search by typing, pages), plus the technician's
    appliances as buttons: one lists the parts used on that appliance ("ap:<category>")."""
    base = part_step(part_chosen)

    async def ask(turn: Turn) -> Question:
        d = turn.draft
        if d.get("appliance") and not d.get("query"):
            listing = await van_requests.parts_for_appliance(turn.uow, d["appliance"],
                                                             d.get("page", 1), PICK_PAGE)
            held = await stock_levels.quantities(turn.uow, d["source"], [p.id for p in listing.items])
            rows = [[(short(f"{p.sku} · {p.name} · {held.get(p.id, 0)}"), f"pt:{p.id}")]
                    for p in listing.items]
            rows += page_buttons(turn, listing, "pp:{page}")
            rows.append([(turn.label("stock_button.all_parts"), "pq")])
            return Question("van_request_appliance_parts", rows, dict(
                appliance=turn.label(f"category.{d['appliance']}"), total=listing.total,
                page=listing.page, pages=listing.pages))
        question = await base.ask(turn)
        if not d.get("query"):
            mine = [s.category for s in await turn.user.awaitable_attrs.skills] or list(APPLIANCE_CATEGORIES)
            question.buttons = [*question.buttons, *rows_of(
                [(turn.label(f"category.{c}"), f"ap:{c}") for c in mine], 3)]
        return question

    async def press(turn: Turn, value: str) -> Next:
        d = turn.draft
        if value.startswith("ap:"):
            if value[3:] not in APPLIANCE_CATEGORIES:
                return refuse(turn)
            d["appliance"], d["query"], d["page"] = value[3:], "", 1
            return turn.refresh()
        if value == "pq":
            d.pop("appliance", None)
        return await base.press(turn, value)

    async def text(turn: Turn, typed: str) -> Next:
        turn.draft.pop("appliance", None)
        return await base.text(turn, typed)

    return Step(ask=ask, press=press, text=text)


async def q_quantity(turn: Turn) -> Question:
    d = turn.draft
    part = await catalogue.get_part(turn.uow, d["part"], include_inactive=True)
    van = await stock.van(turn.uow, turn.user)
    return Question("van_request_quantity", values=dict(
        sku=part.sku, name=part.name, in_main=await stock_levels.level(turn.uow, d["source"], part.id),
        in_van=await stock_levels.level(turn.uow, van, part.id), asked=d["lines"].get(str(part.id)),
        maximum=van_requests.QUANTITY_MAX))


async def typed_quantity(turn: Turn, text: str) -> Next:
    d = turn.draft
    quantity = parse_quantity(text, maximum=van_requests.QUANTITY_MAX)
    if str(d["part"]) not in d["lines"] and len(d["lines"]) >= van_requests.LINES_MAX:
        raise InvalidInput(field="lines", reason="too_many", maximum=van_requests.LINES_MAX)
    d["lines"][str(d["part"])] = quantity
    d["query"], d["page"] = "", 1
    return turn.goto("lines")


async def _lines(turn: Turn) -> list[tuple]:
    """(part id, sku, name, quantity, in main) of the draft, by SKU."""
    d = turn.draft
    ids = [int(p) for p in d.get("lines", {})]
    held = await stock_levels.quantities(turn.uow, d["source"], ids)
    result = []
    for part_id in ids:
        part = await catalogue.get_part(turn.uow, part_id, include_inactive=True)
        result.append((part.id, part.sku, part.name, d["lines"][str(part_id)],
                       held.get(part_id, 0)))
    return sorted(result, key=lambda line: line[1])


async def q_lines(turn: Turn) -> Question:
    lines = await _lines(turn)
    rows = [[(turn.label("van_button.remove", sku=short(sku, 30)), f"rm:{part_id}")]
            for part_id, sku, _, _, _ in lines]
    more = [(turn.label("van_button.add"), "add")] \
        if len(lines) < van_requests.LINES_MAX else []
    rows.append(more + ([(turn.label("van_button.send"), "send")] if lines else []))
    return Question("van_request_lines", rows, dict(lines=lines))


async def lines_pressed(turn: Turn, value: str) -> Next:
    d = turn.draft
    if value == "add":
        d["query"], d["page"] = "", 1
        return turn.goto("part")
    if value.startswith("rm:") and value[3:] in d["lines"]:
        d["lines"].pop(value[3:])
        return turn.refresh()
    if value != "send" or not d["lines"]:
        return refuse(turn)
    request = await van_requests.create(turn.uow, turn.user,
                                        [(int(p), q) for p, q in d["lines"].items()])
    turn.replace("van_request_sent", number=request.id, lines=await _lines(turn))
    log.info("van request %s sent by a technician", request.id)
    return turn.end()


VAN_REQUEST = Flow(
    name="van_request", prefix="vrq",
    entries=[Entry(start, command="request"), Entry(start, press=r"^vrq:new$"),
             Entry(start_prefilled, press=r"^vrq:pre$"),
             Entry(start_for_job, press=rf"^tr:ask:({ID})$")],
    # A prefilled request has no part of its own: Back from its list goes to the picker.
    order=lambda d: ["part", "quantity", "lines"] if d.get("part") else ["part", "lines"],
    cancelled="van_request_stopped",
    invalid_input="stock_invalid",
    steps={
        "part": request_part_step(),
        "quantity": Step(q_quantity, text=typed_quantity),
        "lines": Step(q_lines, press=lines_pressed),
    },
)


# --- a manager changes the quantities, or refuses --------------------------------------------

async def _view(turn: Turn) -> van_requests.RequestView:
    return await van_requests.view(turn.uow, turn.user, turn.draft["request"])


async def change_start(turn: Turn, match) -> Next:
    request_id = int(match.group(1))
    await van_requests.check_pending(turn.uow, turn.user, request_id)
    turn.draft.update(request=request_id, index=0, quantities={})
    return turn.goto("line")


async def q_line(turn: Turn) -> Question:
    d = turn.draft
    seen = await _view(turn)
    d["index"] = min(d["index"], len(seen.lines) - 1)  # Back from the summary: the last one
    line = seen.lines[d["index"]]
    chosen = d["quantities"].get(str(line.part_id))
    return Question("van_request_change", [[(turn.label(
        "van_button.keep", quantity=line.quantity), "keep")]], dict(
        request=seen, line=line, position=d["index"] + 1, total=len(seen.lines), chosen=chosen,
        maximum=van_requests.QUANTITY_MAX))


async def _after_line(turn: Turn, quantity: int) -> Next:
    d = turn.draft
    seen = await _view(turn)
    d["quantities"][str(seen.lines[d["index"]].part_id)] = quantity
    d["index"] += 1
    return turn.goto("line" if d["index"] < len(seen.lines) else "confirm")


async def typed_line(turn: Turn, text: str) -> Next:
    return await _after_line(turn, parse_number(text, "quantity", van_requests.QUANTITY_MAX))


async def line_pressed(turn: Turn, value: str) -> Next:
    if value != "keep":
        return refuse(turn)
    seen = await _view(turn)
    return await _after_line(turn, seen.lines[turn.draft["index"]].quantity)


async def q_confirm(turn: Turn) -> Question:
    seen = await _view(turn)
    chosen = {int(p): q for p, q in turn.draft["quantities"].items()}
    return Question("van_request_change_confirm", [[(turn.label("van_button.approve"), "ok")]],
                    dict(request=seen, chosen=chosen))


async def confirm_pressed(turn: Turn, value: str) -> Next:
    if value != "ok":
        return refuse(turn)
    chosen = {int(p): q for p, q in turn.draft["quantities"].items()}
    await van_requests.approve(turn.uow, turn.user, turn.draft["request"], chosen)
    turn.replace("van_request_card", request=await _view(turn))
    return turn.end()


def _decided_refusal(turn: Turn, error: DomainError) -> Next | None:
    """A request decided meanwhile (or gone) ends the manager's flow; other refusals keep the
    step (the main warehouse short: change the quantities again)."""
    turn.say(f"error_{error.code}" if not isinstance(error, InvalidInput)
             else turn.flow.invalid_input, **error.details)
    if isinstance(error, (van_requests.AlreadyDecided, NotFound)):
        return turn.end()
    if isinstance(error, van_requests.MainShort):
        turn.draft.update(index=0, quantities={})
        return turn.goto("line")
    return None


VAN_CHANGE = Flow(
    name="van_change", prefix="vrc",
    entries=[Entry(change_start, press=rf"^vrc:go:({ID})$")],
    order=["line", "confirm"],
    cancelled="van_decision_stopped",
    invalid_input="stock_invalid",
    refused=_decided_refusal,
    steps={
        "line": Step(q_line, text=typed_line, press=line_pressed),
        "confirm": Step(q_confirm, press=confirm_pressed),
    },
)


async def refuse_start(turn: Turn, match) -> Next:
    request_id = int(match.group(1))
    await van_requests.check_pending(turn.uow, turn.user, request_id)
    turn.draft.update(request=request_id)
    return turn.goto("reason")


async def q_reason(turn: Turn) -> Question:
    return Question("van_request_reason", values=dict(request=await _view(turn)))


async def typed_reason(turn: Turn, text: str) -> Next:
    await van_requests.refuse(turn.uow, turn.user, turn.draft["request"], text)
    turn.say("van_request_card", request=await _view(turn))
    return turn.end()


VAN_REFUSE = Flow(
    name="van_refuse", prefix="vrr",
    entries=[Entry(refuse_start, press=rf"^vrr:go:({ID})$")],
    order=["reason"],
    cancelled="van_decision_stopped",
    invalid_input="stock_invalid",
    refused=_decided_refusal,
    steps={"reason": Step(q_reason, text=typed_reason)},
)


FLOWS = (VAN_REQUEST, VAN_CHANGE, VAN_REFUSE)


# --- stateless: approving as asked, the technician's van ----------------------------------------

async def approve_pressed(update: Update, context: Context):
    request_id = int(update.callback_query.data.split(":")[2])
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            await van_requests.approve(uow, manager, request_id)
            seen = await van_requests.view(uow, manager, request_id)
            await uow.commit()
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    log.info("van request %s approved as asked", request_id)
    wake_reminders(context)  # the technician hears now
    await show(update, context, "van_request_card", request=seen)


async def _van(update: Update, context: Context, page: int, *, edit: bool):
    async with desk(context).uow() as uow:
        technician = await person(uow, update, context)
        try:
            require_technician(technician)
        except DomainError as refused:
            if edit:
                await update.callback_query.answer()
            await say(update, context, f"error_{refused.code}", **refused.details)
            return
        van = await stock.van(uow, technician)
        listing = await stock_levels.levels(uow, van, page, VAN_PAGE)
        await uow.commit()
    if edit:
        await update.callback_query.answer()
    rows = pages(update, context, listing, "van:{page}")
    rows.append([(label(update, context, "van_button.ask"), "vrq:new")])
    await (show if edit else say)(update, context, "van_stock", lines=listing.items,
                                  total=listing.total, page=listing.page, pages=listing.pages,
                                  reply_markup=keyboard(rows))


async def van_command(update: Update, context: Context):
    await _van(update, context, 1, edit=False)


async def van_page_pressed(update: Update, context: Context):
    await _van(update, context, int(update.callback_query.data.split(":")[1]), edit=True)


async def list_pressed(update: Update, context: Context):
    """The van requests on record, waiting ones first (from /stock)."""
    page = int(update.callback_query.data.split(":")[1])
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            listing = await van_requests.listing(uow, manager, page)
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    rows = [[(short(label(update, context, "van_button.item", number=r.id, name=r.technician,
                          status=label(update, context, f"van_status.{r.status}")), 60),
              f"vr:v:{r.id}")] for r in listing.items]
    rows += pages(update, context, listing, "vl:{page}")
    rows.append([(label(update, context, "stock_button.warehouses"), "lvl:w")])
    await show(update, context, "van_request_list", requests=listing.items, total=listing.total,
               page=listing.page, pages=listing.pages, reply_markup=keyboard(rows))


async def view_pressed(update: Update, context: Context):
    request_id = int(update.callback_query.data.split(":")[2])
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            require_manager(manager)
            seen = await van_requests.view(uow, manager, request_id)
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    labels = partial(label, update, context)
    rows = decision_buttons(labels, seen.id) if seen.status == van_requests.PENDING else []
    rows.append([(labels("van_button.list_back"), "vl:1")])
    await show(update, context, "van_request_card", request=seen, reply_markup=keyboard(rows))


def handlers():
    return [
        CallbackQueryHandler(list_pressed, pattern=r"^vl:\d{1,6}$"),
        CallbackQueryHandler(view_pressed, pattern=rf"^vr:v:{ID}$"),
        CommandHandler("van", van_command),
        CallbackQueryHandler(van_page_pressed, pattern=r"^van:\d{1,6}$"),
        CallbackQueryHandler(approve_pressed, pattern=rf"^vr:a:{ID}$"),
    ]


# --- notices (rendered for handlers.reminder_texts) ----------------------------------------------

async def notice(uow, texts, lang: str, recipient: User,
                 reminder: Reminder) -> tuple[dict, list] | None:
    """The values and buttons of a van-request notice, or None when there is nothing to say
    any more (the request was decided before a manager's notice went; nothing short now)."""
    labels = lambda key, **params: texts.label(lang, key, **params)  # noqa: E731
    if reminder.kind == "van_short":
        if recipient.role != "technician" or not recipient.active:
            return None
        day = van_requests.tomorrow(uow)
        missing = await van_requests.shortfall(uow, recipient, day)
        if not missing:
            return None
        return (dict(lines=missing, day=texts.day(lang, day)),
                [[(labels("van_button.request_these"), "vrq:pre")]])
    request_id = van_requests.request_id_of(reminder)
    try:
        seen = await van_requests.view(uow, recipient, request_id)
    except NotFound:
        return None
    if reminder.kind == "van_request":
        if seen.status != van_requests.PENDING:
            return None
        return dict(request=seen), decision_buttons(labels, seen.id)
    return dict(request=seen), [[(labels("van_button.my_van"), "van:1")]]
