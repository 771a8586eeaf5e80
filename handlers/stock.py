"""Managers' spare-parts stock in chat: the parts catalogue (/parts), goods in (/receive),
moves between warehouses (/transfer), write-offs (/scrap), stock counts (/count), and the
levels and ledger of each warehouse (/stock).

Every step where a manager types is a step of one persistent conversation, "stock_and_sales"
(/sale's steps, in handlers/sales.py, are part of it too, so that starting one operation
always leaves the other). The operation's answers so far are a draft in user_data["stock"]
(persisted, so a restart resumes the step); every button of the conversation is checked
against the newest question message, so an older message's buttons answer "out of date".
Another command typed in the middle of an operation (say /dispatch) ends the operation and is
then handled as usual: it is put back in the update queue once the conversation has ended.

/stock is stateless: its buttons carry a warehouse id and a page, checked on the server.

Callback data: "stk:..." inside the conversation, "stk:go:<op>" starts an operation from any
message, "lvl:..." for /stock's pages.
"""
from __future__ import annotations

import logging
import re
from types import SimpleNamespace

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core import catalogue, stock
from core.booking import clean_text
from core.errors import InvalidInput, NotFound
from core.roles import require_manager
from core.stock import NotEnoughStock

from .chat import Context, desk, keyboard, label, pager, person, say, show, toast

log = logging.getLogger(__name__)

DRAFT = "stock"
SALE_DRAFT = "sale"  # handlers/sales.py's draft: one operation at a time
END = ConversationHandler.END
ID = r"\d{1,12}"
PAGE = r"\d{1,6}"
PICK_PAGE = 8
LEVEL_PAGE = 15
LEDGER_PAGE = 10
COUNT_SHOWN = 30  # differences listed in a count's summary; the rest are counted
BUTTON_TEXT = 40
WARRANTY_CHOICES = (0, 3, 6, 12, 24)
PART_FIELDS = ("name", "price", "warranty_months", "min_level")
OPS = ("parts", "receive", "transfer", "count", "scrap")
STEPS = {
    "receive": ("part", "quantity", "note", "confirm"),
    "transfer": ("source", "destination", "part", "quantity", "confirm"),
    "scrap": ("source", "part", "quantity", "reason", "confirm"),
    "count": ("source", "count_part", "count_confirm"),
    "add_part": ("sku", "name", "price", "warranty", "min_level", "part_confirm"),
    "parts": ("parts", "part_field"),
}
NUMBER = re.compile(r"^[0-9]{1,30}$")
NEGATIVE = re.compile(r"^[-−][0-9]{1,30}$")


def draft(context: Context) -> dict:
    return context.user_data.setdefault(DRAFT, {})


async def _manager(uow, update: Update, context: Context):
    user = await person(uow, update, context)
    require_manager(user)
    return user


def _short(text: str | None, limit: int = BUTTON_TEXT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def warehouse_name(update: Update, context: Context, info) -> str:
    """"Main warehouse" or "Van · Li Wei", from a core WarehouseInfo."""
    if info.kind == stock.MAIN:
        return label(update, context, "stock_warehouse.main")
    return label(update, context, "stock_warehouse.van", name=info.technician_name or "?")


def whole_number(text: str | None, field: str, low: int, high: int) -> int:
    """A number typed in ASCII digits within low..high; InvalidInput (reason "format" or
    "range", with minimum and maximum) otherwise."""
    cleaned = "".join((text or "").split())
    if NEGATIVE.match(cleaned):
        raise InvalidInput(field=field, reason="range", minimum=low, maximum=high)
    if not NUMBER.match(cleaned):
        raise InvalidInput(field=field, reason="format", minimum=low, maximum=high)
    value = int(cleaned)
    if not low <= value <= high:
        raise InvalidInput(field=field, reason="range", minimum=low, maximum=high)
    return value


def pages(update: Update, context: Context, page, data: str) -> list[list[tuple[str, str]]]:
    """Previous / Next buttons for a list in no time order (parts by SKU, staff by name);
    `data` is callback data with {page} in it. (chat.pager's Newer / Older suit lists
    newest first.)"""
    row = []
    if page.has_previous:
        row.append((label(update, context, "stock_button.previous"),
                    data.format(page=page.page - 1)))
    if page.has_next:
        row.append((label(update, context, "stock_button.next"), data.format(page=page.page + 1)))
    return [row] if row else []


async def bad_input(update: Update, context: Context, error: InvalidInput) -> None:
    await say(update, context, "stock_invalid", **error.details)


async def not_enough(update: Update, context: Context, error: NotEnoughStock,
                     name: str | None = None) -> None:
    await say(update, context, "error_not_enough_stock", warehouse_name=name, **error.details)


# --- moving between steps ---------------------------------------------------------------------

def _can_go_back(d: dict, step: str) -> bool:
    op = d.get("op")
    if op == "count":
        return step != "source"
    if op == "add_part":
        return True  # the first step goes back to the list
    steps = STEPS.get(op, ())
    return step in steps and steps.index(step) > 0


async def ask(update: Update, context: Context, step: str, *, edit: bool = False):
    """Asks the question of `step` (a new message, or the pressed one edited) and makes it
    the conversation's state."""
    d = draft(context)
    d["step"] = step
    template, values, rows = await QUESTIONS[step](update, context, d)
    nav = []
    if _can_go_back(d, step):
        nav.append((label(update, context, "button.back"), "stk:back"))
    nav.append((label(update, context, "stock_button.close" if step == "parts"
                       else "button.cancel"), "stk:cancel"))
    markup = keyboard(rows + [nav])
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        await show(update, context, template, reply_markup=markup, **values)
        d["message"] = query.message.message_id
    else:
        message = await say(update, context, template, reply_markup=markup, **values)
        d["message"] = message.message_id
    return step


async def advance(update: Update, context: Context):
    d = draft(context)
    steps = STEPS[d["op"]]
    return await ask(update, context, steps[steps.index(d["step"]) + 1])


async def current_button(update: Update, context: Context) -> bool:
    """Only the newest question's buttons count; an old message's are out of date."""
    query = update.callback_query
    if query.message is None or query.message.message_id != draft(context).get("message"):
        await toast(update, context, "toast.stale_button")
        return False
    return True


STALE = object()  # a button handler's answer when it refused the press with a toast


async def refuse(update: Update, context: Context, key: str = "toast.stale_button"):
    """Answers the press with a short notice and changes nothing."""
    await toast(update, context, key)
    return STALE


def button_step(handler):
    """A button of this conversation: checked to be current, handled with what follows the
    callback data's prefix (e.g. "12" of "stk:pt:12"), then answered (unless refused)."""
    async def checked(update: Update, context: Context):
        if not await current_button(update, context):
            return None
        data = update.callback_query.data.split(":", 2)
        result = await handler(update, context, data[2] if len(data) > 2 else "")
        if result is STALE:
            return None
        await update.callback_query.answer()
        return result
    return checked


def text_step(handler):
    """A typed answer: InvalidInput from the handler is explained and the step stays."""
    async def typed(update: Update, context: Context):
        try:
            return await handler(update, context, update.message.text)
        except InvalidInput as error:
            await bad_input(update, context, error)
            return None
    return typed


# --- starting and leaving ---------------------------------------------------------------------

async def start(update: Update, context: Context, op: str):
    if update.callback_query:
        await update.callback_query.answer()
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        await uow.commit()
    context.user_data.pop(SALE_DRAFT, None)
    context.user_data[DRAFT] = {"op": op, "query": "", "page": 1}
    first = {"parts": "parts", "receive": "part", "transfer": "source", "scrap": "source",
             "count": "source"}[op]
    return await ask(update, context, first)


def _starter(op: str):
    async def begin(update: Update, context: Context):
        return await start(update, context, op)
    return begin


async def go_pressed(update: Update, context: Context):
    return await start(update, context, update.callback_query.data.split(":")[2])


async def cancel(update: Update, context: Context):
    if update.callback_query:
        if not await current_button(update, context):
            return None
        await update.callback_query.answer()
    op = context.user_data.pop(DRAFT, {}).get("op")
    await say(update, context, "stock_cancelled", op=op)
    return END


async def leave_for_command(update: Update, context: Context):
    """Another command in the middle of an operation: the operation ends, and the command is
    handled as usual once the conversation no longer holds this chat (the update goes back
    in the queue; updates are handled one at a time)."""
    context.user_data.pop(DRAFT, None)
    context.user_data.pop(SALE_DRAFT, None)
    await context.application.update_queue.put(update)
    return END


async def use_buttons(update: Update, context: Context):
    await say(update, context, "use_buttons")
    return None


async def type_it(update: Update, context: Context):
    await say(update, context, "expected_text")
    return None


async def back(update: Update, context: Context):
    if not await current_button(update, context):
        return None
    await update.callback_query.answer()
    d = draft(context)
    op, step = d.get("op"), d.get("step")
    if op == "count":
        parts = d.get("parts", [])
        if step == "count_part" and d.get("index", 0) > 0:
            d["index"] -= 1
            return await ask(update, context, "count_part")
        if step == "count_confirm" and parts:
            d["index"] = len(parts) - 1
            return await ask(update, context, "count_part")
        if step == "part":
            return await ask(update, context, "count_confirm")
        if step == "count_extra":
            return await ask(update, context, "part")
        return await ask(update, context, "source")
    if op == "add_part" and step == "sku":
        d["op"] = "parts"
        return await ask(update, context, "parts")
    if op == "parts":
        return await ask(update, context, "parts")
    steps = STEPS[op]
    return await ask(update, context, steps[max(steps.index(step) - 1, 0)])


# --- the questions: each returns (template, values, button rows) ------------------------------

async def _warehouse_info(uow, warehouse_id):
    return await stock.warehouse_info(uow, warehouse_id) if warehouse_id else None


async def q_source(update, context, d):
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        choices = await stock.warehouse_choices(uow)
        await uow.commit()  # vans are made the first time they are needed
    rows = [[(warehouse_name(update, context, c), f"stk:wh:{c.id}")] for c in choices]
    return "stock_ask_warehouse", dict(op=d["op"], which="source"), rows


async def q_destination(update, context, d):
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        choices = await stock.warehouse_choices(uow)
        source = await _warehouse_info(uow, d["source"])
        await uow.commit()
    rows = [[(warehouse_name(update, context, c), f"stk:wh:{c.id}")]
            for c in choices if c.id != d["source"]]
    return "stock_ask_warehouse", dict(op=d["op"], which="destination",
                                       source=warehouse_name(update, context, source)), rows


async def q_part(update, context, d):
    """The part picker: a page of parts (with how many the source warehouse holds), or the
    parts matching what was typed."""
    query, page = d.get("query") or "", d.get("page", 1)
    source_id = d.get("source")
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        source = await _warehouse_info(uow, source_id)
        if source_id and not query and d["op"] != "count":
            listing = await stock.levels(uow, source_id, page, PICK_PAGE)
            items = [(line.part_id, line.sku, line.name, line.quantity) for line in listing.items]
        else:
            listing = await catalogue.search_parts(uow, query, page, PICK_PAGE,
                                                   include_inactive=d["op"] != "receive")
            held = (await stock.quantities(uow, source_id, [p.id for p in listing.items])
                    if source_id else {})
            items = [(p.id, p.sku, p.name, held.get(p.id)) for p in listing.items]
    rows = [[(_short(f"{sku} · {name}" + (f" · {have}" if have is not None else "")),
              f"stk:pt:{part_id}")] for part_id, sku, name, have in items]
    rows += pages(update, context, listing, "stk:pp:{page}")
    if query:
        rows.append([(label(update, context, "stock_button.all_parts"), "stk:pq")])
    return "stock_ask_part", dict(
        op=d["op"], query=query, total=listing.total, page=listing.page, pages=listing.pages,
        warehouse=warehouse_name(update, context, source) if source else None), rows


async def _part_and_places(update, context, d):
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        part = await catalogue.get_part(uow, d["part"], include_inactive=True)
        source = await _warehouse_info(uow, d.get("source"))
        destination = await _warehouse_info(uow, d.get("destination"))
        available = await stock.level(uow, source.id, part.id) if source else None
    return dict(
        op=d["op"], sku=part.sku, name=part.name, available=available,
        source=warehouse_name(update, context, source) if source else None,
        destination=warehouse_name(update, context, destination) if destination else None)


async def q_quantity(update, context, d):
    values = await _part_and_places(update, context, d)
    values["maximum"] = stock.QUANTITY_MAX
    return "stock_ask_quantity", values, []


async def q_note(update, context, d):
    return "stock_ask_note", dict(maximum=stock.NOTE_MAX), [
        [(label(update, context, "stock_button.no_note"), "stk:nonote")]]


async def q_reason(update, context, d):
    return "stock_ask_reason", dict(minimum=stock.REASON_MIN, maximum=stock.NOTE_MAX), []


async def q_confirm(update, context, d):
    values = await _part_and_places(update, context, d)
    values.update(quantity=d["quantity"], note=d.get("note"))
    return "stock_confirm", values, [
        [(label(update, context, "button.confirm"), "stk:ok")]]


async def q_count_part(update, context, d):
    part_id = d["parts"][d["index"]]
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        part = await catalogue.get_part(uow, part_id, include_inactive=True)
        info = await stock.warehouse_info(uow, d["source"])
        expected = await stock.level(uow, info.id, part.id)
    d["expected"] = expected
    counted = d.get("counted", {}).get(str(part_id))
    return "stock_count_part", dict(
        warehouse=warehouse_name(update, context, info), position=d["index"] + 1,
        total=len(d["parts"]), sku=part.sku, name=part.name, expected=expected,
        counted=counted), [
        [(label(update, context, "stock_button.as_recorded", quantity=expected), "stk:cs")],
        [(label(update, context, "button.skip"), "stk:ck"),
         (label(update, context, "stock_button.finish_count"), "stk:ce")]]


async def q_count_extra(update, context, d):
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        part = await catalogue.get_part(uow, d["part"], include_inactive=True)
        info = await stock.warehouse_info(uow, d["source"])
        expected = await stock.level(uow, info.id, part.id)
    d["expected"] = expected
    return "stock_count_part", dict(
        warehouse=warehouse_name(update, context, info), position=None, total=None,
        sku=part.sku, name=part.name, expected=expected,
        counted=d.get("counted", {}).get(str(part.id))), [
        [(label(update, context, "stock_button.as_recorded", quantity=expected), "stk:cs")]]


def _counted(d) -> dict[int, int]:
    return {int(part_id): n for part_id, n in d.get("counted", {}).items()}


async def q_count_confirm(update, context, d):
    counted = _counted(d)
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        info = await stock.warehouse_info(uow, d["source"])
        lines = await stock.count_preview(uow, manager, info.id, counted) if counted else []
    differences = [line for line in lines if line.difference]
    rows = []
    if lines:
        rows.append([(label(update, context, "stock_button.record_count"), "stk:ok")])
    rows.append([(label(update, context, "stock_button.count_more"), "stk:cm")])
    return "stock_count_summary", dict(
        warehouse=warehouse_name(update, context, info), differences=differences[:COUNT_SHOWN],
        more=max(len(differences) - COUNT_SHOWN, 0), matching=len(lines) - len(differences),
        counted=len(lines), listed=len(d.get("parts", []))), rows


async def q_parts(update, context, d):
    """The catalogue: a page of parts (or those matching what was typed), or one part's
    card when d["view"] holds its id."""
    if d.get("view"):
        return await _part_card(update, context, d)
    query, page = d.get("query") or "", d.get("page", 1)
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        listing = await catalogue.search_parts(uow, query, page, PICK_PAGE,
                                               include_inactive=True)
    rows = [[(_short(("" if p.active else "⛔ ") + f"{p.sku} · {p.name}"), f"stk:pv:{p.id}")]
            for p in listing.items]
    rows += pages(update, context, listing, "stk:lp:{page}")
    rows.append([(label(update, context, "stock_button.add_part"), "stk:new")])
    if query:
        rows.append([(label(update, context, "stock_button.all_parts"), "stk:lq")])
    return "parts_list", dict(query=query, total=listing.total, page=listing.page,
                              pages=listing.pages, parts=listing.items), rows


async def _part_card(update, context, d):
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        part = await catalogue.get_part(uow, d["view"], include_inactive=True)
        main = await stock.main_warehouse(uow)
        in_main = await stock.level(uow, main.id, part.id)
        await uow.commit()
    rows = [
        [(label(update, context, "stock_button.edit_name"), f"stk:pe:{part.id}:name"),
         (label(update, context, "stock_button.edit_price"), f"stk:pe:{part.id}:price")],
        [(label(update, context, "stock_button.edit_warranty"),
          f"stk:pe:{part.id}:warranty_months"),
         (label(update, context, "stock_button.edit_min_level"), f"stk:pe:{part.id}:min_level")],
        [(label(update, context, "stock_button.deactivate_part" if part.active
                else "stock_button.reactivate_part"), f"stk:pa:{part.id}")],
        [(label(update, context, "stock_button.back_to_list"), f"stk:lp:{d.get('page', 1)}")],
    ]
    return "parts_card", dict(part=part, in_main=in_main,
                              under_minimum=part.active and in_main < part.min_level), rows


async def q_part_field(update, context, d):
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        part = await catalogue.get_part(uow, d["part"], include_inactive=True)
    field = d["field"]
    rows = []
    if field == "warranty_months":
        rows = [[(str(n), f"stk:w:{n}") for n in WARRANTY_CHOICES]]
    return "parts_ask", dict(field=field, sku=part.sku, current=getattr(part, field),
                             editing=True), rows


def _new_part_question(field):
    async def question(update, context, d):
        rows = []
        if field == "warranty_months":
            rows = [[(str(n), f"stk:w:{n}") for n in WARRANTY_CHOICES]]
        if field == "min_level":
            rows = [[("0", "stk:m:0")]]
        return "parts_ask", dict(field=field, sku=d.get("new", {}).get("sku"), current=None,
                                 editing=False), rows
    return question


async def q_part_confirm(update, context, d):
    return "parts_confirm", dict(part=SimpleNamespace(**d["new"])), [
        [(label(update, context, "stock_button.save_part"), "stk:ok")]]


QUESTIONS = {
    "source": q_source, "destination": q_destination, "part": q_part,
    "quantity": q_quantity, "note": q_note, "reason": q_reason, "confirm": q_confirm,
    "count_part": q_count_part, "count_extra": q_count_extra,
    "count_confirm": q_count_confirm,
    "parts": q_parts, "part_field": q_part_field,
    "sku": _new_part_question("sku"), "name": _new_part_question("name"),
    "price": _new_part_question("price"), "warranty": _new_part_question("warranty_months"),
    "min_level": _new_part_question("min_level"), "part_confirm": q_part_confirm,
}


# --- the answers: warehouses, parts, quantities, notes -----------------------------------------

@button_step
async def chose_warehouse(update, context, value):
    d = draft(context)
    warehouse_id = int(value)
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        choices = {c.id for c in await stock.warehouse_choices(uow)}
        await uow.commit()
    if warehouse_id not in choices or (d["step"] == "destination"
                                       and warehouse_id == d.get("source")):
        return await refuse(update, context)
    if d["step"] == "destination":
        d["destination"] = warehouse_id
        d["query"], d["page"] = "", 1
        return await advance(update, context)
    d["source"] = warehouse_id
    d["query"], d["page"] = "", 1
    if d["op"] == "count":
        return await _start_count(update, context, d)
    return await advance(update, context)


@button_step
async def picker_page(update, context, value):
    draft(context)["page"] = int(value)
    return await ask(update, context, "part", edit=True)


@button_step
async def picker_all(update, context, value):
    d = draft(context)
    d["query"], d["page"] = "", 1
    return await ask(update, context, "part", edit=True)


@text_step
async def picker_search(update, context, text):
    d = draft(context)
    query = clean_text(text, "query", minimum=1, maximum=catalogue.QUERY_MAX)
    d["query"], d["page"] = query, 1
    return await ask(update, context, "part")


@button_step
async def chose_part(update, context, value):
    d = draft(context)
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        try:
            part = await catalogue.get_part(uow, int(value), include_inactive=True)
        except NotFound:
            part = None
    if part is None or (d["op"] == "receive" and not part.active):
        return await refuse(update, context)
    d["part"] = part.id
    if d["op"] == "count":
        return await ask(update, context, "count_extra")
    return await advance(update, context)


@text_step
async def typed_quantity(update, context, text):
    d = draft(context)
    quantity = whole_number(text, "quantity", 1, stock.QUANTITY_MAX)
    if d.get("source"):
        async with desk(context).uow() as uow:
            await _manager(uow, update, context)
            part = await catalogue.get_part(uow, d["part"], include_inactive=True)
            info = await stock.warehouse_info(uow, d["source"])
            available = await stock.level(uow, info.id, part.id)
        if quantity > available:
            await not_enough(update, context, NotEnoughStock(
                sku=part.sku, requested=quantity, available=available, warehouse=info.key),
                warehouse_name(update, context, info))
            return None
    d["quantity"] = quantity
    return await advance(update, context)


@text_step
async def typed_note(update, context, text):
    draft(context)["note"] = clean_text(text, "note", maximum=stock.NOTE_MAX, multiline=True)
    return await advance(update, context)


@button_step
async def no_note(update, context, value):
    draft(context)["note"] = None
    return await advance(update, context)


@text_step
async def typed_reason(update, context, text):
    draft(context)["note"] = clean_text(text, "reason", minimum=stock.REASON_MIN,
                                        maximum=stock.NOTE_MAX, multiline=True)
    return await advance(update, context)


@button_step
async def confirmed(update, context, value):
    d = draft(context)
    op = d["op"]
    try:
        async with desk(context).uow() as uow:
            manager = await _manager(uow, update, context)
            if op == "receive":
                moved = [await stock.receive(uow, manager, d["part"], d["quantity"],
                                             d.get("note"))]
            elif op == "transfer":
                moved = list(await stock.transfer(uow, manager, d["part"], d["quantity"],
                                                  d["source"], d["destination"], d.get("note")))
            else:
                moved = [await stock.scrap(uow, manager, d["part"], d["quantity"], d["source"],
                                           d.get("note"))]
            part = await catalogue.get_part(uow, d["part"], include_inactive=True)
            low = await stock.under_minimum_after(uow, moved)
            places = []
            for movement in moved:
                info = await stock.warehouse_info(uow, movement.warehouse_id)
                places.append((warehouse_name(update, context, info), movement.balance))
            await uow.commit()
    except NotEnoughStock as error:
        async with desk(context).uow() as uow:
            info = await stock.warehouse_info(uow, d["source"])
        await not_enough(update, context, error, warehouse_name(update, context, info))
        return await ask(update, context, "quantity")
    except InvalidInput as error:
        await bad_input(update, context, error)
        step = {"destination": "destination", "reason": "reason", "note": "note"}.get(
            error.details.get("field"), "quantity")
        return await ask(update, context, step if step in STEPS[op] else "quantity")
    context.user_data.pop(DRAFT, None)
    log.info("stock: %s of %s × %s by a manager", op, d["quantity"], part.sku)
    await say(update, context, "stock_done", op=op, sku=part.sku, name=part.name,
              quantity=d["quantity"], note=d.get("note"), places=places, low=low,
              reply_markup=keyboard([[
                  (label(update, context, f"stock_button.again_{op}"), f"stk:go:{op}"),
                  (label(update, context, "stock_button.levels"), "lvl:w")]]))
    return END


# --- counting ----------------------------------------------------------------------------------

async def _start_count(update, context, d):
    parts: list[int] = []
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        page = 1
        while True:
            listing = await stock.levels(uow, d["source"], page, 50)
            parts += [line.part_id for line in listing.items]
            if not listing.has_next:
                break
            page += 1
    d.update(parts=parts, index=0, counted={})
    return await ask(update, context, "count_part" if parts else "count_confirm")


async def _next_count(update, context):
    d = draft(context)
    d["index"] += 1
    if d["index"] >= len(d["parts"]):
        return await ask(update, context, "count_confirm")
    return await ask(update, context, "count_part")


@text_step
async def typed_count(update, context, text):
    d = draft(context)
    number = whole_number(text, "counted", 0, stock.QUANTITY_MAX)
    if d["step"] == "count_extra":
        d.setdefault("counted", {})[str(d["part"])] = number
        return await ask(update, context, "count_confirm")
    d.setdefault("counted", {})[str(d["parts"][d["index"]])] = number
    return await _next_count(update, context)


@button_step
async def count_as_recorded(update, context, value):
    d = draft(context)
    part_id = d["part"] if d["step"] == "count_extra" else d["parts"][d["index"]]
    d.setdefault("counted", {})[str(part_id)] = d.get("expected", 0)
    if d["step"] == "count_extra":
        return await ask(update, context, "count_confirm")
    return await _next_count(update, context)


@button_step
async def count_skipped(update, context, value):
    d = draft(context)
    d.setdefault("counted", {}).pop(str(d["parts"][d["index"]]), None)
    return await _next_count(update, context)


@button_step
async def count_finished(update, context, value):
    return await ask(update, context, "count_confirm")


@button_step
async def count_more(update, context, value):
    d = draft(context)
    d["query"], d["page"] = "", 1
    return await ask(update, context, "part")


@button_step
async def count_recorded(update, context, value):
    d = draft(context)
    counted = _counted(d)
    if not counted:
        return await refuse(update, context, "toast.choose_one")
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        info = await stock.warehouse_info(uow, d["source"])
        lines = await stock.count(uow, manager, info.id, counted)
        differences = [line for line in lines if line.difference]
        low = await stock.under_minimum_after(uow, [
            SimpleNamespace(warehouse_id=info.id, part_id=line.part_id,
                            quantity=line.difference) for line in differences])
        await uow.commit()
    context.user_data.pop(DRAFT, None)
    log.info("stock: %s counted by a manager, %s differences", info.key, len(differences))
    await say(update, context, "stock_count_done", warehouse=warehouse_name(update, context, info),
              differences=differences[:COUNT_SHOWN], more=max(len(differences) - COUNT_SHOWN, 0),
              counted=len(lines), low=low, reply_markup=keyboard([[
                  (label(update, context, "stock_button.levels"), f"lvl:v:{info.id}:1:a")]]))
    return END


# --- the catalogue: list, card, edit, add -------------------------------------------------------

@button_step
async def list_page(update, context, value):
    d = draft(context)
    d["op"], d["view"], d["page"] = "parts", None, int(value)
    return await ask(update, context, "parts", edit=True)


@button_step
async def list_all(update, context, value):
    d = draft(context)
    d["query"], d["page"], d["view"] = "", 1, None
    return await ask(update, context, "parts", edit=True)


@text_step
async def list_search(update, context, text):
    d = draft(context)
    d["query"] = clean_text(text, "query", minimum=1, maximum=catalogue.QUERY_MAX)
    d["page"], d["view"] = 1, None
    return await ask(update, context, "parts")


@button_step
async def part_card(update, context, value):
    d = draft(context)
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        try:
            part = await catalogue.get_part(uow, int(value), include_inactive=True)
        except NotFound:
            part = None
    if part is None:
        return await refuse(update, context)
    d["view"] = part.id
    return await ask(update, context, "parts", edit=True)


@button_step
async def edit_field(update, context, value):
    d = draft(context)
    part_id, field = value.split(":")
    if int(part_id) != d.get("view") or field not in PART_FIELDS:
        return await refuse(update, context)
    d["part"], d["field"] = int(part_id), field
    return await ask(update, context, "part_field")


@button_step
async def toggle_active(update, context, value):
    d = draft(context)
    if int(value) != d.get("view"):
        return await refuse(update, context)
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        part = await catalogue.get_part(uow, int(value), include_inactive=True)
        await catalogue.edit_part(uow, manager, part, active=not part.active)
        await uow.commit()
    return await ask(update, context, "parts", edit=True)


def _clean_field(field: str, text: str):
    if field == "name":
        return catalogue.clean_name(text)
    if field == "price":
        return catalogue.parse_price(text)
    if field == "warranty_months":
        return whole_number(text, field, 0, catalogue.WARRANTY_MONTHS_MAX)
    return whole_number(text, field, 0, catalogue.MIN_LEVEL_MAX)


async def _save_field(update, context, value):
    d = draft(context)
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        part = await catalogue.edit_part(uow, manager, d["part"], **{d["field"]: value})
        sku = part.sku
        await uow.commit()
    await say(update, context, "parts_saved", sku=sku, field=d["field"], added=False)
    d["op"], d["view"] = "parts", d["part"]
    return await ask(update, context, "parts")


@text_step
async def typed_field(update, context, text):
    d = draft(context)
    return await _save_field(update, context, _clean_field(d["field"], text))


@button_step
async def new_part(update, context, value):
    d = draft(context)
    d["op"], d["new"] = "add_part", {}
    return await ask(update, context, "sku")


@text_step
async def typed_sku(update, context, text):
    d = draft(context)
    sku = catalogue.clean_code(text, "sku")
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        try:
            await catalogue.get_part(uow, sku, include_inactive=True)
            taken = True
        except NotFound:
            taken = False
    if taken:
        raise InvalidInput(field="sku", reason="taken", sku=sku)
    d["new"]["sku"] = sku
    return await advance(update, context)


def _typed_new(field):
    @text_step
    async def typed(update, context, text):
        draft(context)["new"][field] = _clean_field(field, text)
        return await advance(update, context)
    return typed


@button_step
async def warranty_pressed(update, context, value):
    d = draft(context)
    months = int(value)
    if months not in WARRANTY_CHOICES:
        return await refuse(update, context)
    if d["step"] == "part_field":
        if d.get("field") != "warranty_months":
            return await refuse(update, context)
        return await _save_field(update, context, months)
    d["new"]["warranty_months"] = months
    return await advance(update, context)


@button_step
async def min_level_zero(update, context, value):
    draft(context)["new"]["min_level"] = 0
    return await advance(update, context)


@button_step
async def part_saved(update, context, value):
    d = draft(context)
    new = d["new"]
    try:
        async with desk(context).uow() as uow:
            manager = await _manager(uow, update, context)
            part = await catalogue.add_part(uow, manager, **new)
            part_id = part.id
            await uow.commit()
    except InvalidInput as error:
        await bad_input(update, context, error)
        if error.details.get("field") == "sku":
            return await ask(update, context, "sku")
        return await ask(update, context, "part_confirm")
    log.info("part %s added in chat", new["sku"])
    await say(update, context, "parts_saved", sku=new["sku"], field=None, added=True)
    d.update(op="parts", view=part_id, new=None, query="", page=1)
    return await ask(update, context, "parts")


# --- /stock: levels per warehouse and the ledger (stateless) ------------------------------------

async def stock_command(update: Update, context: Context):
    await _warehouses(update, context, edit=False)


async def warehouses_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _warehouses(update, context, edit=True)


async def _warehouses(update: Update, context: Context, *, edit: bool):
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        choices = await stock.warehouse_choices(uow)
        low = await stock.low_stock(uow)
        await uow.commit()
    rows = []
    for c in choices:
        text = warehouse_name(update, context, c)
        if c.kind == stock.MAIN and low:
            text += f" · ⚠ {len(low)}"
        rows.append([(text, f"lvl:v:{c.id}:1:a")])
    rows.append([(label(update, context, "stock_button.receive"), "stk:go:receive"),
                 (label(update, context, "stock_button.transfer"), "stk:go:transfer")])
    rows.append([(label(update, context, "stock_button.count"), "stk:go:count"),
                 (label(update, context, "stock_button.scrap"), "stk:go:scrap")])
    rows.append([(label(update, context, "stock_button.parts"), "stk:go:parts")])
    reply = show if edit else say
    await reply(update, context, "stock_warehouses", low=low[:COUNT_SHOWN],
                more=max(len(low) - COUNT_SHOWN, 0), reply_markup=keyboard(rows))


async def levels_pressed(update: Update, context: Context):
    _, _, warehouse_id, page, only = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        try:
            info = await stock.warehouse_info(uow, int(warehouse_id))
        except NotFound:
            info = None
        if info is not None:
            listing = await stock.levels(uow, info.id, int(page), LEVEL_PAGE,
                                         under_minimum_only=only == "l")
    if info is None:
        await toast(update, context, "toast.stale_button")
        return
    await update.callback_query.answer()
    main = info.kind == stock.MAIN
    rows = pages(update, context, listing, f"lvl:v:{info.id}:{{page}}:{only}")
    if main:
        rows.append([(label(update, context, "stock_button.all_levels" if only == "l"
                            else "stock_button.low_only"),
                      f"lvl:v:{info.id}:1:{'a' if only == 'l' else 'l'}")])
    rows.append([(label(update, context, "stock_button.history"), f"lvl:h:{info.id}:1"),
                 (label(update, context, "stock_button.warehouses"), "lvl:w")])
    await show(update, context, "stock_levels", warehouse=warehouse_name(update, context, info),
               main=main, lines=listing.items, total=listing.total, page=listing.page,
               pages=listing.pages, low_only=only == "l", reply_markup=keyboard(rows))


async def history_pressed(update: Update, context: Context):
    _, _, warehouse_id, page = update.callback_query.data.split(":")
    names = {}
    async with desk(context).uow() as uow:
        await _manager(uow, update, context)
        try:
            info = await stock.warehouse_info(uow, int(warehouse_id))
        except NotFound:
            info = None
        if info is not None:
            listing = await stock.ledger(uow, warehouse=info.id, page=int(page),
                                         page_size=LEDGER_PAGE)
            for line in listing.items:
                if line.other_warehouse_id and line.other_warehouse_id not in names:
                    other = await stock.warehouse_info(uow, line.other_warehouse_id)
                    names[other.id] = warehouse_name(update, context, other)
    if info is None:
        await toast(update, context, "toast.stale_button")
        return
    await update.callback_query.answer()
    rows = pager(update, context, listing, f"lvl:h:{info.id}:{{page}}")
    rows.append([(label(update, context, "stock_button.levels_here"), f"lvl:v:{info.id}:1:a"),
                 (label(update, context, "stock_button.warehouses"), "lvl:w")])
    await show(update, context, "stock_ledger", warehouse=warehouse_name(update, context, info),
               lines=listing.items, others=names, total=listing.total, page=listing.page,
               pages=listing.pages, reply_markup=keyboard(rows))


# --- wiring -------------------------------------------------------------------------------------

def conversation() -> ConversationHandler:
    """The managers' typed operations: stock (this module) and sales orders (handlers.sales).
    Register it right after the booking conversation."""
    from . import sales

    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND
    buttons_only = [MessageHandler(other, use_buttons)]
    typed_only = [MessageHandler(other, type_it)]
    picker = [CallbackQueryHandler(chose_part, pattern=rf"^stk:pt:{ID}$"),
              CallbackQueryHandler(picker_page, pattern=rf"^stk:pp:{PAGE}$"),
              CallbackQueryHandler(picker_all, pattern=r"^stk:pq$"),
              MessageHandler(text, picker_search), *typed_only]
    counting = [CallbackQueryHandler(count_as_recorded, pattern=r"^stk:cs$"),
                MessageHandler(text, typed_count), *typed_only]
    return ConversationHandler(
        name="stock_and_sales",
        persistent=False,
        allow_reentry=True,
        entry_points=[
            CommandHandler("parts", _starter("parts")),
            CommandHandler("receive", _starter("receive")),
            CommandHandler("transfer", _starter("transfer")),
            CommandHandler("count", _starter("count")),
            CommandHandler("scrap", _starter("scrap")),
            CallbackQueryHandler(go_pressed, pattern=rf"^stk:go:({'|'.join(OPS)})$"),
            *sales.entry_points(),
        ],
        states={
            "source": [CallbackQueryHandler(chose_warehouse, pattern=rf"^stk:wh:{ID}$"),
                       *buttons_only],
            "destination": [CallbackQueryHandler(chose_warehouse, pattern=rf"^stk:wh:{ID}$"),
                            *buttons_only],
            "part": picker,
            "quantity": [MessageHandler(text, typed_quantity), *typed_only],
            "note": [CallbackQueryHandler(no_note, pattern=r"^stk:nonote$"),
                     MessageHandler(text, typed_note), *typed_only],
            "reason": [MessageHandler(text, typed_reason), *typed_only],
            "confirm": [CallbackQueryHandler(confirmed, pattern=r"^stk:ok$"), *buttons_only],
            "count_part": [CallbackQueryHandler(count_skipped, pattern=r"^stk:ck$"),
                           CallbackQueryHandler(count_finished, pattern=r"^stk:ce$"),
                           *counting],
            "count_extra": counting,
            "count_confirm": [CallbackQueryHandler(count_recorded, pattern=r"^stk:ok$"),
                              CallbackQueryHandler(count_more, pattern=r"^stk:cm$"),
                              *buttons_only],
            "parts": [CallbackQueryHandler(list_page, pattern=rf"^stk:lp:{PAGE}$"),
                      CallbackQueryHandler(list_all, pattern=r"^stk:lq$"),
                      CallbackQueryHandler(part_card, pattern=rf"^stk:pv:{ID}$"),
                      CallbackQueryHandler(
                          edit_field, pattern=rf"^stk:pe:{ID}:({'|'.join(PART_FIELDS)})$"),
                      CallbackQueryHandler(toggle_active, pattern=rf"^stk:pa:{ID}$"),
                      CallbackQueryHandler(new_part, pattern=r"^stk:new$"),
                      MessageHandler(text, list_search), *typed_only],
            "part_field": [CallbackQueryHandler(warranty_pressed, pattern=r"^stk:w:\d{1,3}$"),
                           MessageHandler(text, typed_field), *typed_only],
            "sku": [MessageHandler(text, typed_sku), *typed_only],
            "name": [MessageHandler(text, _typed_new("name")), *typed_only],
            "price": [MessageHandler(text, _typed_new("price")), *typed_only],
            "warranty": [CallbackQueryHandler(warranty_pressed, pattern=r"^stk:w:\d{1,3}$"),
                         MessageHandler(text, _typed_new("warranty_months")), *typed_only],
            "min_level": [CallbackQueryHandler(min_level_zero, pattern=r"^stk:m:0$"),
                          MessageHandler(text, _typed_new("min_level")), *typed_only],
            "part_confirm": [CallbackQueryHandler(part_saved, pattern=r"^stk:ok$"),
                             *buttons_only],
            **sales.states(),
        },
        fallbacks=[
            CallbackQueryHandler(back, pattern=r"^stk:back$"),
            CallbackQueryHandler(cancel, pattern=r"^stk:cancel$"),
            *sales.fallbacks(),
            CommandHandler("cancel", cancel_any),
            MessageHandler(filters.COMMAND, leave_for_command),
        ],
    )


async def cancel_any(update: Update, context: Context):
    """/cancel: leaves whichever operation (stock or sales order) is under way."""
    if SALE_DRAFT in context.user_data and DRAFT not in context.user_data:
        from . import sales

        return await sales.cancel(update, context)
    return await cancel(update, context)


def handlers():
    """The stateless part: /stock and its pages."""
    return [
        CommandHandler("stock", stock_command),
        CallbackQueryHandler(warehouses_pressed, pattern=r"^lvl:w$"),
        CallbackQueryHandler(levels_pressed, pattern=rf"^lvl:v:{ID}:{PAGE}:[al]$"),
        CallbackQueryHandler(history_pressed, pattern=rf"^lvl:h:{ID}:{PAGE}$"),
    ]
