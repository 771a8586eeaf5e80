"""Purchasing in chat (core.purchasing), for managers.

/suppliers lists the suppliers and the parts each supplies; "➕ Add a supplier" is a flow
("sup": name, contact) and "➕ Add a part" on a supplier another ("spp": the part from the
stock picker, its price typed in yuan, the lead time in days).

/purchase is the suggested purchase list, with "🧾 Make draft purchase orders" (one draft per
supplier; parts nobody supplies are listed apart) and the open purchase orders. A purchase
order's card (stateless buttons "po:<action>:<id>[:<line id>]"): − / + on a draft's lines,
"📤 Mark as sent", "📄 CSV" (the document to forward to the supplier), "✖ Cancel it", and
"📥 Receive" on a sent one (handlers.receiving). Every press checks on the server that the
person is an active manager and that the order allows it.
"""
from __future__ import annotations

import logging
from functools import partial

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import catalogue, purchasing, receiving
from core.catalogue import parse_number, parse_price
from core.errors import DomainError, InvalidInput
from core.models import Reminder, User
from core.parsing import clean_text, parse_quantity
from core.roles import require_manager

from .chat import Context, desk, keyboard, label, lang, person, say, show, texts
from .flow import Entry, Flow, Next, Question, Step, Turn
from .stock import short
from .stock_picking import part_step, refuse

log = logging.getLogger(__name__)

ID = r"\d{1,12}"
SHOWN = 10  # suggested lines in one message at most (then "…and N more")


# --- suppliers ---------------------------------------------------------------------------------

def supplier_buttons(labels, supplier_id: int) -> list[list[tuple[str, str]]]:
    return [[(labels("po_button.add_supplier_part"), f"spp:go:{supplier_id}")],
            [(labels("po_button.suppliers"), "po:sl:0")]]


async def _suppliers(update: Update, context: Context, *, edit: bool) -> None:
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            listed = await purchasing.suppliers(uow, manager)
    except DomainError as refused:
        if edit:
            await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    if edit:
        await update.callback_query.answer()
    labels = partial(label, update, context)
    rows = [[(short(f"🏭 {s.name}", 60), f"po:sv:{s.id}")] for s in listed[:20]]
    rows.append([(labels("po_button.add_supplier"), "sup:new")])
    await (show if edit else say)(update, context, "supplier_list", suppliers=listed[:20],
                                  total=len(listed), reply_markup=keyboard(rows))


async def suppliers_command(update: Update, context: Context):
    await _suppliers(update, context, edit=False)


async def suppliers_pressed(update: Update, context: Context):
    await _suppliers(update, context, edit=True)


async def sup_start(turn: Turn, _) -> Next:
    require_manager(turn.user)
    return turn.goto("name")


async def q_name(turn: Turn) -> Question:
    return Question("supplier_ask_name")


async def typed_name(turn: Turn, text: str) -> Next:
    turn.draft["name"] = catalogue.clean_name(text)
    return turn.next()


async def q_contact(turn: Turn) -> Question:
    return Question("supplier_ask_contact", [[(turn.label("po_button.no_contact"), "none")]],
                    dict(name=turn.draft["name"], maximum=purchasing.CONTACT_MAX))


async def _add_supplier(turn: Turn, contact: str | None) -> Next:
    supplier = await purchasing.add_supplier(turn.uow, turn.user, turn.draft["name"], contact)
    seen = await purchasing.supplier_view(turn.uow, turn.user, supplier.id)
    turn.say("supplier_card", supplier=seen,
             reply_markup=keyboard(supplier_buttons(turn.label, supplier.id)))
    return turn.end()


async def typed_contact(turn: Turn, text: str) -> Next:
    return await _add_supplier(turn, clean_text(text, "contact",
                                                maximum=purchasing.CONTACT_MAX, multiline=True))


async def no_contact(turn: Turn, value: str) -> Next:
    return await _add_supplier(turn, None) if value == "none" else refuse(turn)


SUPPLIER = Flow(
    name="supplier", prefix="sup",
    entries=[Entry(sup_start, press=r"^sup:new$")],
    order=["name", "contact"],
    cancelled="stock_cancelled",
    invalid_input="stock_invalid",
    steps={
        "name": Step(q_name, text=typed_name),
        "contact": Step(q_contact, text=typed_contact, press=no_contact),
    },
)


async def spp_start(turn: Turn, match) -> Next:
    seen = await purchasing.supplier_view(turn.uow, turn.user, int(match.group(1)))
    turn.draft.update(supplier=seen.id, op="supply", query="", page=1)
    return turn.goto("part")


async def _part_chosen(turn: Turn) -> Next:
    return turn.next()


async def _values(turn: Turn) -> dict:
    d = turn.draft
    seen = await purchasing.supplier_view(turn.uow, turn.user, d["supplier"])
    part = await catalogue.get_part(turn.uow, d["part"]) if d.get("part") else None
    return dict(supplier=seen.name, sku=part.sku if part else None,
                name=part.name if part else None, price=d.get("price"))


async def q_price(turn: Turn) -> Question:
    return Question("supplier_ask_price", values=await _values(turn))


async def typed_price(turn: Turn, text: str) -> Next:
    turn.draft["price"] = parse_price(text)
    return turn.next()


async def q_lead(turn: Turn) -> Question:
    return Question("supplier_ask_lead", values=dict(await _values(turn),
                                                     maximum=purchasing.LEAD_MAX))


async def typed_lead(turn: Turn, text: str) -> Next:
    d = turn.draft
    lead = parse_number(text, "lead_days", purchasing.LEAD_MAX)
    await purchasing.supply_part(turn.uow, turn.user, d["supplier"], d["part"], d["price"], lead)
    seen = await purchasing.supplier_view(turn.uow, turn.user, d["supplier"])
    turn.say("supplier_card", supplier=seen,
             reply_markup=keyboard(supplier_buttons(turn.label, seen.id)))
    return turn.end()


SUPPLIER_PART = Flow(
    name="supplier_part", prefix="spp",
    entries=[Entry(spp_start, press=rf"^spp:go:({ID})$")],
    order=["part", "price", "lead"],
    cancelled="stock_cancelled",
    invalid_input="stock_invalid",
    steps={
        "part": part_step(_part_chosen),
        "price": Step(q_price, text=typed_price),
        "lead": Step(q_lead, text=typed_lead),
    },
)

async def poq_start(turn: Turn, match) -> Next:
    """A draft line's quantity typed (the middle button of its − / + row)."""
    order_id, line_id = int(match.group(1)), int(match.group(2))
    await purchasing.editable_line(turn.uow, turn.user, order_id, line_id)
    turn.draft.update(po=order_id, line=line_id)
    return turn.goto("quantity")


async def q_po_quantity(turn: Turn) -> Question:
    seen = await purchasing.view(turn.uow, turn.user, turn.draft["po"])
    line = next(x for x in seen.lines if x.id == turn.draft["line"])
    return Question("purchase_ask_quantity", values=dict(order=seen, line=line,
                                                         maximum=purchasing.QUANTITY_MAX))


async def typed_po_quantity(turn: Turn, text: str) -> Next:
    d = turn.draft
    quantity = parse_quantity(text, maximum=purchasing.QUANTITY_MAX)
    await purchasing.set_quantity(turn.uow, turn.user, d["po"], d["line"], quantity)
    seen = await purchasing.view(turn.uow, turn.user, d["po"])
    turn.say("purchase_order_card", order=seen,
             reply_markup=keyboard(card_buttons(turn.label, seen)))
    return turn.end()


def _quantity_refused(turn: Turn, error: DomainError) -> Next | None:
    """The order is no longer a draft (sent meanwhile): the flow ends; a bad number stays."""
    turn.say(turn.flow.invalid_input if isinstance(error, InvalidInput)
             else f"error_{error.code}", **error.details)
    return None if isinstance(error, InvalidInput) else turn.end()


PO_QUANTITY = Flow(
    name="po_quantity", prefix="poq",
    entries=[Entry(poq_start, press=rf"^poq:go:({ID}):({ID})$")],
    order=["quantity"],
    cancelled="stock_cancelled",
    invalid_input="stock_invalid",
    refused=_quantity_refused,
    steps={"quantity": Step(q_po_quantity, text=typed_po_quantity)},
)

FLOWS = (SUPPLIER, SUPPLIER_PART, PO_QUANTITY)


# --- the suggested list and the purchase orders ----------------------------------------------------

def order_item(labels, order) -> tuple[str, str]:
    return (short(labels("po_button.item", number=order.number, supplier=order.supplier,
                         status=labels(f"po_status.{order.status}")), 60), f"po:v:{order.id}")


async def purchase_command(update: Update, context: Context):
    labels = partial(label, update, context)
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            listed = await purchasing.suggestions(uow, manager)
            open_orders = await purchasing.orders(uow, manager)
    except DomainError as refused:
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    to_buy = [s for s in listed if s.suggested]
    rows = [[order_item(labels, o)] for o in open_orders]
    if any(s.supplier_id for s in to_buy):
        rows.insert(0, [(labels("po_button.make_drafts"), "po:mk:0")])
    rows.append([(labels("po_button.list_csv"), "po:lc:0"),
                 (labels("po_button.suppliers"), "po:sl:0")])
    await say(update, context, "purchase_list", lines=to_buy[:SHOWN],
              more=max(0, len(to_buy) - SHOWN), parts=len(listed), orders=open_orders,
              reply_markup=keyboard(rows))


def card_buttons(labels, seen) -> list[list[tuple[str, str]]]:
    """A purchase order card's buttons: a draft's lines (− / typed / +), then what its status
    allows."""
    rows = []
    if seen.status == purchasing.DRAFT:
        for line in seen.lines[:15]:
            row = [(short(f"{line.sku} × {line.quantity}", 30), f"poq:go:{seen.id}:{line.id}")]
            if line.quantity > 1:
                row.insert(0, ("−", f"po:-:{seen.id}:{line.id}"))
            row.append(("+", f"po:+:{seen.id}:{line.id}"))
            rows.append(row)
        rows.append([(labels("po_button.send"), f"po:s:{seen.id}")])
    if seen.status in purchasing.RECEIVABLE:
        rows.append([(labels("po_button.receive"), f"prc:go:{seen.id}")])
    rows.append([(labels("po_button.csv"), f"po:c:{seen.id}")])
    if seen.status in purchasing.OPEN:
        rows.append([(labels("po_button.cancel"), f"po:x:{seen.id}")])
    return rows


async def _card(update: Update, context: Context, seen) -> None:
    await show(update, context, "purchase_order_card", order=seen,
               reply_markup=keyboard(card_buttons(partial(label, update, context), seen)))


async def order_pressed(update: Update, context: Context):
    """po:<v|s|x|+|->:<id>[:<line>] and po:mk:0."""
    _, action, order_id, *line = update.callback_query.data.split(":")
    order_id = int(order_id)
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            made = unsupplied = None
            if action == "mk":
                made, unsupplied = await purchasing.make_drafts(uow, manager)
                made = [await purchasing.view(uow, manager, o.id) for o in made]
            elif action == "s":
                await purchasing.send(uow, manager, order_id)
            elif action == "x":
                await purchasing.cancel(uow, manager, order_id)
            elif action in "+-":
                current = await purchasing.view(uow, manager, order_id)
                found = next((x for x in current.lines if x.id == int(line[0])), None)
                if found is not None:
                    step = 1 if action == "+" else -1
                    await purchasing.set_quantity(uow, manager, order_id, found.id,
                                                  found.quantity + step)
            seen = None if action == "mk" else await purchasing.view(uow, manager, order_id)
            await uow.commit()
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, "stock_invalid" if isinstance(refused, InvalidInput)
                  else f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    if action == "mk":
        labels = partial(label, update, context)
        await say(update, context, "purchase_drafts", orders=made, unsupplied=unsupplied,
                  reply_markup=keyboard([[order_item(labels, o)] for o in made]))
        return
    log.info("purchase order %s: %s", seen.number, action)
    await _card(update, context, seen)


async def csv_pressed(update: Update, context: Context):
    order_id = int(update.callback_query.data.split(":")[2])
    language = lang(update, context)
    words = lambda key: texts(context).label(language, f"po_column.{key}")  # noqa: E731
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            seen = await purchasing.view(uow, manager, order_id)
            data, filename = purchasing.export_csv(seen, words)
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    caption = texts(context).render(lang(update, context), "purchase_order_csv", order=seen)
    await context.bot.send_document(update.effective_chat.id, document=data, filename=filename,
                                    caption=caption, parse_mode=ParseMode.HTML)


async def supplier_pressed(update: Update, context: Context):
    supplier_id = int(update.callback_query.data.split(":")[2])
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            seen = await purchasing.supplier_view(uow, manager, supplier_id)
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    await show(update, context, "supplier_card", supplier=seen,
               reply_markup=keyboard(supplier_buttons(partial(label, update, context), seen.id)))


async def list_csv_pressed(update: Update, context: Context):
    """The whole suggested list, every active part, as a CSV document."""
    language = lang(update, context)
    words = lambda key: texts(context).label(language, f"po_column.{key}")  # noqa: E731
    try:
        async with desk(context).uow() as uow:
            manager = await person(uow, update, context)
            listed = await purchasing.suggestions(uow, manager)
            day = uow.now().astimezone(uow.company.timezone).date().isoformat()
            data, filename = purchasing.suggestions_csv(listed, words, day)
    except DomainError as refused:
        await update.callback_query.answer()
        await say(update, context, f"error_{refused.code}", **refused.details)
        return
    await update.callback_query.answer()
    caption = texts(context).render(language, "purchase_list_csv", parts=len(listed))
    await context.bot.send_document(update.effective_chat.id, document=data, filename=filename,
                                    caption=caption, parse_mode=ParseMode.HTML)


def handlers():
    return [
        CallbackQueryHandler(list_csv_pressed, pattern=r"^po:lc:0$"),
        CallbackQueryHandler(supplier_pressed, pattern=rf"^po:sv:{ID}$"),
        CommandHandler("suppliers", suppliers_command),
        CommandHandler("purchase", purchase_command),
        CallbackQueryHandler(suppliers_pressed, pattern=r"^po:sl:0$"),
        CallbackQueryHandler(csv_pressed, pattern=rf"^po:c:{ID}$"),
        CallbackQueryHandler(order_pressed, pattern=rf"^po:(v|s|x|mk):{ID}$"),
        CallbackQueryHandler(order_pressed, pattern=rf"^po:[+-]:{ID}:{ID}$"),
    ]


# --- the notice of a delivery that differs from its order (rendered by handlers.reminder_texts) ---

KINDS = (receiving.NOTICE,)


async def notice(uow, texts_, lang_: str, recipient: User,
                 reminder: Reminder) -> tuple[dict, list] | None:
    if recipient.role != "manager" or not recipient.active:
        return None
    found = await receiving.delivery(uow, recipient, receiving.receipt_id_of(reminder))
    if found is None:
        return None
    seen, by, reasons = found
    return (dict(order=seen, by=by, reasons=reasons),
            [[(texts_.label(lang_, "po_button.open", number=seen.number), f"po:v:{seen.id}")]])
