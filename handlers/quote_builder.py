"""Diagnosis and the quote. The diagnosis: the fault found (typed, 5 to 2000 characters) and up
to 10 photos (core.jobs.diagnose). The quote: the technician builds it on site, line by line, over the draft core keeps in the
database (core.quotes): a part found in the catalogue (by SKU or name) with a quantity, a
labour item with a quantity, typed labour (a description and an amount in yuan), removing a
line, the total, and sending it to the customer (the order goes to awaiting_approval; the
customer's quote message is a reminder). Lines covered by a warranty show as "warranty" at
zero: core prices them.

Part of the "jobs" conversation (handlers.jobs): the draft survives a restart, and so does
the step. Callback data: jd:done (diagnosis photos done); jq:part jq:lab jq:tl jq:rm jq:send jq:close jq:back
jq:pt:<part id> jq:sp:<page> jq:li:<labour item id> jq:lp:<page> jq:n:<1-5> jq:rl:<line id>.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from core import catalogue, jobs, quotes

from .chat import Context, desk, keyboard, pager, person, say
from .jobs import (
    END,
    ID,
    _guarded,
    ask,
    ask_quantity,
    end_flow,
    entry_card,
    flow,
    flow_button,
    flow_message,
    jl,
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
from .texts import money

DG_FAULT, DG_PHOTOS = "dg_fault", "dg_photos"
QB_MENU, QB_SEARCH, QB_QTY = "qb_menu", "qb_search", "qb_qty"
QB_LABOUR, QB_DESC, QB_AMOUNT, QB_REMOVE = "qb_labour", "qb_desc", "qb_amount", "qb_remove"


# --- diagnose ---------------------------------------------------------------------------------

async def diagnose_start(update: Update, context: Context):
    card = await entry_card(update, context, "diagnose")
    if card is None:
        return None
    start_flow(context, "diagnose", card, photos=[])
    return await ask(update, context, DG_FAULT, "diagnose_ask_fault", number=card.number,
                     minimum=jobs.FAULT_MIN, maximum=jobs.FAULT_MAX, earlier=card.diagnosis)


@flow_message
async def diagnose_fault(update: Update, context: Context, d: dict):
    d["fault"] = typed("fault", minimum=jobs.FAULT_MIN, maximum=jobs.FAULT_MAX,
                       multiline=True)(update.message.text)
    return await ask(update, context, DG_PHOTOS, "diagnose_ask_photos",
                     [[(jl(update, context, "button.photos_done"), "jd:done")]],
                     maximum=jobs.PHOTOS_MAX)


@flow_message
async def diagnose_photo(update: Update, context: Context, d: dict):
    photos = d.setdefault("photos", [])
    if len(photos) >= jobs.PHOTOS_MAX:
        await say(update, context, "photos_full", maximum=jobs.PHOTOS_MAX)
        return None
    photos.append(update.message.photo[-1].file_id)
    return await ask(update, context, DG_PHOTOS, "diagnose_photo_received",
                     [[(jl(update, context, "button.photos_done"), "jd:done")]],
                     count=len(photos), maximum=jobs.PHOTOS_MAX)


@flow_button
async def diagnose_done(update: Update, context: Context, d: dict, args):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        await jobs.diagnose(uow, user, d["order"], d["fault"], d.get("photos", []))
        await uow.commit()
    end_flow(context)
    rows = [[(jl(update, context, "button.quote"), f"jb:q:{d['order']}")],
            [(jl(update, context, "button.open_job"), f"jb:v:{d['order']}")]]
    await say(update, context, "diagnose_saved", number=d["number"], fault=d["fault"],
              photos=len(d.get("photos", [])), reply_markup=keyboard(rows))
    return END


# --- the quote ----------------------------------------------------------------------------

async def start(update: Update, context: Context):
    """"Quote" on a job card: the draft as it stands (a revision starts as a copy of the
    approved quote)."""
    card = await entry_card(update, context, "quote")
    if card is None:
        return None
    start_flow(context, "quote", card)
    return await _guarded(update, context, lambda: show_draft(update, context))


async def show_draft(update: Update, context: Context) -> str:
    d = flow(context)
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        view = await quotes.draft_view(uow, user, d["order"])
        await uow.commit()  # a draft started now is kept
    rows = [[(jl(update, context, "button.add_part"), "jq:part")],
            [(jl(update, context, "button.add_labour"), "jq:lab"),
             (jl(update, context, "button.typed_labour"), "jq:tl")]]
    if view.lines:
        rows.append([(jl(update, context, "button.remove_line"), "jq:rm")])
        rows.append([(jl(update, context, "button.send_quote", total=money(view.total)),
                      "jq:send")])
    rows.append([(jl(update, context, "button.close_quote"), "jq:close")])
    return await ask(update, context, QB_MENU, "quote_builder_draft", rows, stop=False,
                     quote=view, number=d["number"])


def _back(update: Update, context: Context) -> list:
    return [[(jl(update, context, "button.back"), "jq:back")]]


@flow_button
async def back_pressed(update: Update, context: Context, d: dict, args):
    d.pop("pick", None)
    d.pop("typed", None)
    return await show_draft(update, context)


# --- parts --------------------------------------------------------------------------------

@flow_button
async def add_part_pressed(update: Update, context: Context, d: dict, args):
    return await ask(update, context, QB_SEARCH, "quote_builder_search", _back(update, context))


@flow_message
async def search_typed(update: Update, context: Context, d: dict):
    d["query"] = search_query(update.message.text)
    return await part_results(update, context, QB_SEARCH, "jq")


@flow_button
async def results_page(update: Update, context: Context, d: dict, args):
    return await part_results(update, context, QB_SEARCH, "jq", int(args[0]))


@flow_button
async def part_chosen(update: Update, context: Context, d: dict, args):
    async with desk(context).uow() as uow:
        part = await catalogue.get_part(uow, int(args[0]))
        d["pick"] = {"part": part.id}
    return await ask_quantity(update, context, QB_QTY, "jq", part.name)


# --- labour -------------------------------------------------------------------------------

@flow_button
async def labour_pressed(update: Update, context: Context, d: dict, args):
    page = int(args[0]) if args else 1
    async with desk(context).uow() as uow:
        items = await catalogue.labour_items(uow, page)
    rows = [[(short(f"{item.name} · {money(item.price)}"), f"jq:li:{item.id}")]
            for item in items.items]
    rows += pager(update, context, items, "jq:lp:{page}")
    return await ask(update, context, QB_LABOUR, "quote_builder_labour",
                     rows + _back(update, context), total=items.total)


@flow_button
async def labour_chosen(update: Update, context: Context, d: dict, args):
    async with desk(context).uow() as uow:
        item = await catalogue.get_labour_item(uow, int(args[0]))
        d["pick"] = {"labour": item.id}
    return await ask_quantity(update, context, QB_QTY, "jq", item.name)


# --- how many, then the line is added ---------------------------------------------------------

async def _add(update: Update, context: Context, d: dict, quantity: int) -> str:
    pick = d.get("pick")
    if not pick:
        return await show_draft(update, context)
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        if "part" in pick:
            await quotes.add_part(uow, user, d["order"], pick["part"], quantity)
        else:
            await quotes.add_labour(uow, user, d["order"], pick["labour"], quantity)
        await uow.commit()
    d.pop("pick", None)
    return await show_draft(update, context)


@flow_button
async def quantity_pressed(update: Update, context: Context, d: dict, args):
    return await _add(update, context, d, int(args[0]))


@flow_message
async def quantity_typed(update: Update, context: Context, d: dict):
    return await _add(update, context, d, quantity_of(update.message.text))


# --- typed labour: what, then how much ----------------------------------------------------------

@flow_button
async def typed_labour_pressed(update: Update, context: Context, d: dict, args):
    return await ask(update, context, QB_DESC, "quote_builder_typed_description",
                     _back(update, context), minimum=quotes.TYPED_MIN, maximum=quotes.TYPED_MAX)


@flow_message
async def description_typed(update: Update, context: Context, d: dict):
    d["typed"] = typed("description", minimum=quotes.TYPED_MIN,
                       maximum=quotes.TYPED_MAX)(update.message.text)
    return await ask(update, context, QB_AMOUNT, "quote_builder_typed_amount",
                     _back(update, context), description=d["typed"])


@flow_message
async def amount_typed(update: Update, context: Context, d: dict):
    amount = catalogue.parse_price(update.message.text, "amount")
    if not d.get("typed"):
        return await show_draft(update, context)
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        await quotes.add_typed_labour(uow, user, d["order"], d["typed"], amount)
        await uow.commit()
    d.pop("typed", None)
    return await show_draft(update, context)


# --- removing a line ----------------------------------------------------------------------------

@flow_button
async def remove_pressed(update: Update, context: Context, d: dict, args):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        view = await quotes.draft_view(uow, user, d["order"])
        await uow.commit()
    rows = [[(short(f"{i}. {line.name} × {line.quantity} · "
                    + (jl(update, context, "warranty") if line.warranty
                       else money(line.line_total))), f"jq:rl:{line.id}")]
            for i, line in enumerate(view.lines, 1)]
    return await ask(update, context, QB_REMOVE, "quote_builder_remove",
                     rows + _back(update, context), number=d["number"])


@flow_button
async def line_removed(update: Update, context: Context, d: dict, args):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        await quotes.remove_line(uow, user, d["order"], int(args[0]))
        await uow.commit()
    return await show_draft(update, context)


# --- sending or leaving it for later ----------------------------------------------------------

@flow_button
async def send_pressed(update: Update, context: Context, d: dict, args):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        view = await quotes.send_quote(uow, user, d["order"])
        await uow.commit()
    wake_reminders(context)  # the customer gets the quote with Approve / Decline now
    end_flow(context)
    await say(update, context, "quote_builder_sent", quote=view, number=d["number"],
              reply_markup=keyboard([[(jl(update, context, "button.open_job"),
                                       f"jb:v:{d['order']}")]]))
    return END


@flow_button
async def close_pressed(update: Update, context: Context, d: dict, args):
    end_flow(context)
    await say(update, context, "quote_builder_closed", number=d["number"],
              reply_markup=keyboard([[(jl(update, context, "button.open_job"),
                                       f"jb:v:{d['order']}")]]))
    return END


def entry_points() -> list:
    return [CallbackQueryHandler(diagnose_start, pattern=rf"^jb:dg:{ID}$"),
            CallbackQueryHandler(start, pattern=rf"^jb:q:{ID}$")]


def states() -> dict:
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND
    back = CallbackQueryHandler(back_pressed, pattern=r"^jq:back$")
    return {
        DG_FAULT: [MessageHandler(text, diagnose_fault), MessageHandler(other, type_it)],
        DG_PHOTOS: [MessageHandler(filters.PHOTO, diagnose_photo),
                    CallbackQueryHandler(diagnose_done, pattern=r"^jd:done$"),
                    MessageHandler(other, photos_or_done)],
        QB_MENU: [CallbackQueryHandler(add_part_pressed, pattern=r"^jq:part$"),
                  CallbackQueryHandler(labour_pressed, pattern=r"^jq:lab$"),
                  CallbackQueryHandler(typed_labour_pressed, pattern=r"^jq:tl$"),
                  CallbackQueryHandler(remove_pressed, pattern=r"^jq:rm$"),
                  CallbackQueryHandler(send_pressed, pattern=r"^jq:send$"),
                  CallbackQueryHandler(close_pressed, pattern=r"^jq:close$"),
                  back, MessageHandler(other, use_buttons)],
        QB_SEARCH: [MessageHandler(text, search_typed),
                    CallbackQueryHandler(results_page, pattern=r"^jq:sp:\d{1,6}$"),
                    CallbackQueryHandler(part_chosen, pattern=rf"^jq:pt:{ID}$"),
                    back, MessageHandler(other, type_it)],
        QB_QTY: [CallbackQueryHandler(quantity_pressed, pattern=r"^jq:n:[1-5]$"),
                 MessageHandler(text, quantity_typed), back, MessageHandler(other, type_it)],
        QB_LABOUR: [CallbackQueryHandler(labour_chosen, pattern=rf"^jq:li:{ID}$"),
                    CallbackQueryHandler(labour_pressed, pattern=r"^jq:lp:\d{1,6}$"),
                    back, MessageHandler(other, use_buttons)],
        QB_DESC: [MessageHandler(text, description_typed), back, MessageHandler(other, type_it)],
        QB_AMOUNT: [MessageHandler(text, amount_typed), back, MessageHandler(other, type_it)],
        QB_REMOVE: [CallbackQueryHandler(line_removed, pattern=rf"^jq:rl:{ID}$"),
                    back, MessageHandler(other, use_buttons)],
    }
