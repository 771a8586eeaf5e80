"""Customers booking a visit: a repair (/book) or the delivery and installation of something
they bought (/deliver). One conversation, one question a step, each with Back and Cancel.

The answers so far are a draft in user_data (persisted), so a restart resumes the step. Every
button of the conversation is checked against the newest question message, so an older
message's buttons are refused as out of date rather than acting on the current step.
"""
from __future__ import annotations

import logging
from datetime import date

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core import access, booking, people, sales, warranty
from core.booking import WindowFull
from core.errors import DomainError, InvalidInput
from core.lifecycle import CUSTOMER, INSTALLATION, REPAIR, WARRANTY

from .chat import (
    Context,
    day_label,
    desk,
    keyboard,
    label,
    on_newest_question,
    person,
    rows_of,
    say,
    toast,
)
from .texts import window_label

log = logging.getLogger(__name__)

DRAFT = "booking"
BRANDS = ("Haier", "Midea", "Gree", "Hisense", "TCL", "Siemens", "Panasonic", "Samsung", "LG")
STEPS = {
    REPAIR: ("category", "brand", "model", "serial", "description", "photos", "address",
             "phone", "day", "window", "confirm"),
    INSTALLATION: ("sales_number", "sales_phone", "address", "day", "window", "confirm"),
    WARRANTY: ("warranty_parts", "description", "photos", "day", "window", "confirm"),
}
# What "Edit" on the summary offers, and the step each part starts at and ends after.
EDITABLE = {
    REPAIR: {"appliance": ("category", "serial"), "problem": ("description", "photos"),
             "address": ("address", "address"), "phone": ("phone", "phone"),
             "time": ("day", "window")},
    INSTALLATION: {"address": ("address", "address"), "time": ("day", "window")},
    WARRANTY: {"problem": ("description", "photos"), "time": ("day", "window")},
}
END = ConversationHandler.END


def draft(context: Context) -> dict:
    return context.user_data.setdefault(DRAFT, {})


# --- moving between steps ----------------------------------------------------------------

async def ask(update: Update, context: Context, step: str):
    """Asks the question of `step` and makes it the conversation's state."""
    d = draft(context)
    d["step"] = step
    text, markup = await QUESTIONS[step](update, context, d)
    rows = markup or []
    message = await say(update, context, text["template"],
                        reply_markup=keyboard(rows + [_nav(update, context, d)]),
                        **text.get("values", {}))
    d["message"] = message.message_id
    return step


def _nav(update: Update, context: Context, d: dict) -> list[tuple[str, str]]:
    nav = [(label(update, context, "button.cancel"), "bk:cancel")]
    if STEPS[d["kind"]].index(d["step"]) > 0:
        nav.insert(0, (label(update, context, "button.back"), "bk:back"))
    return nav


async def advance(update: Update, context: Context):
    """The step after the current one, or the summary when an edit is finished."""
    d = draft(context)
    if d.get("editing_until") == d["step"]:
        d.pop("editing_until")
        return await ask(update, context, "confirm")
    steps = STEPS[d["kind"]]
    return await ask(update, context, steps[steps.index(d["step"]) + 1])


async def back(update: Update, context: Context):
    if not await current_button(update, context):
        return None
    await update.callback_query.answer()
    d = draft(context)
    steps = STEPS[d["kind"]]
    return await ask(update, context, steps[max(steps.index(d["step"]) - 1, 0)])


async def cancel(update: Update, context: Context):
    if update.callback_query:
        if not await current_button(update, context):
            return None
        await update.callback_query.answer()
    context.user_data.pop(DRAFT, None)
    await say(update, context, "booking_cancelled", reply_markup=ReplyKeyboardRemove())
    return END


async def current_button(update: Update, context: Context) -> bool:
    return await on_newest_question(update, context, draft(context).get("message"))


def button_step(handler):
    """A button handler of this conversation: checked to be current, then answered."""
    async def checked(update: Update, context: Context):
        if not await current_button(update, context):
            return None
        await update.callback_query.answer()
        return await handler(update, context, update.callback_query.data.split(":", 2)[-1])
    return checked


def text_step(clean):
    """A typed answer: cleaned by `clean` (InvalidInput keeps the step), stored, advanced."""
    def decorate(handler):
        async def typed(update: Update, context: Context):
            try:
                value = clean(update.message.text)
            except InvalidInput as error:
                await say(update, context, "error_invalid_input", **error.details)
                return None
            return await handler(update, context, value)
        return typed
    return decorate


# --- starting ----------------------------------------------------------------------------

async def start_repair(update: Update, context: Context):
    return await _start(update, context, REPAIR)


async def start_delivery(update: Update, context: Context):
    return await _start(update, context, INSTALLATION)


async def start_warranty_claim(update: Update, context: Context):
    """From a finished order's card: claim its warranty, booked like a repair."""
    original = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        status = await warranty.warranty_status(uow, user, original)
        order = await access.find(uow, user, original)
    if not status.claimable:
        await update.callback_query.answer()
        await say(update, context, "error_not_allowed", reason="warranty_expired")
        return END
    return await _start(update, context, WARRANTY, original=original,
                        original_number=status.order_number, category=order.category,
                        parts=[[p.replaced_part_id, p.name, p.warranty_until.isoformat()]
                               for p in status.parts], chosen=[])


async def _start(update: Update, context: Context, kind: str, **prefilled):
    if update.callback_query:
        await update.callback_query.answer()
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        await uow.commit()
    if user.role != CUSTOMER:
        await say(update, context, "error_not_allowed", reason="customer_only")
        return END
    if user.registered_at is None:
        await say(update, context, "register_first")
        return END
    context.user_data[DRAFT] = {"kind": kind, "phone": user.phone, **prefilled}
    return await ask(update, context, STEPS[kind][0])


# --- the questions: each returns (template and values, button rows) ------------------------

async def q_category(update, context, d):
    return {"template": "ask_category"}, rows_of(
        [(label(update, context, f"category.{c}"), f"bk:cat:{c}")
         for c in people.APPLIANCE_CATEGORIES])


async def q_brand(update, context, d):
    buttons = [(b, f"bk:brand:{i}") for i, b in enumerate(BRANDS)]
    buttons.append((label(update, context, "button.other_brand"), "bk:brand:other"))
    return {"template": "ask_brand"}, rows_of(buttons, 3)


async def q_model(update, context, d):
    return {"template": "ask_model"}, [[(label(update, context, "button.skip"), "bk:skip:model")]]


async def q_serial(update, context, d):
    return {"template": "ask_serial"}, [[(label(update, context, "button.skip"), "bk:skip:serial")]]


async def q_description(update, context, d):
    return {"template": "ask_description", "values": {
        "minimum": booking.DESCRIPTION_MIN, "maximum": booking.DESCRIPTION_MAX}}, []


async def q_photos(update, context, d):
    return {"template": "ask_photos", "values": {
        "count": len(d.get("photos", [])), "maximum": booking.PHOTOS_MAX}}, [
        [(label(update, context, "button.photos_done"), "bk:photos:done")]]


async def q_address(update, context, d):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        saved = await booking.saved_addresses(uow, user)
    rows = []
    if d.get("sales_address"):
        rows.append([(_short(d["sales_address"]), "bk:addr:sales")])
    rows += [[(_short(a.text), f"bk:addr:{a.id}")] for a in saved[:5]]
    return {"template": "ask_address", "values": {"has_saved": bool(rows)}}, rows


async def q_phone(update, context, d):
    rows = [[(d["phone"], "bk:phone:saved")]] if d.get("phone") else []
    # The contact button lives on the reply keyboard: send it with a short message first.
    await say(update, context, "phone_keyboard", reply_markup=ReplyKeyboardMarkup(
        [[KeyboardButton(label(update, context, "button.share_phone"), request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True))
    return {"template": "ask_booking_phone"}, rows


async def q_day(update, context, d):
    async with desk(context).uow() as uow:
        days = await booking.offers(uow, _category(d))
    rows = []
    for offer in days:
        text = day_label(update, context, offer.day)
        if offer.free < 1:
            text += " · " + label(update, context, "button.full")
        rows.append((text, f"bk:day:{offer.day.isoformat()}"))
    return {"template": "ask_day"}, rows_of(rows)


async def q_window(update, context, d):
    async with desk(context).uow() as uow:
        windows = await booking.window_offers(uow, date.fromisoformat(d["day"]), _category(d))
    rows = [[(window_label(w.window), f"bk:win:{w.window}")] for w in windows if w.free > 0]
    return {"template": "ask_window", "values": {
        "day": day_label(update, context, d["day"]), "none_left": not rows}}, rows


async def q_confirm(update, context, d):
    return {"template": "booking_summary", "values": _summary(update, context, d)}, [
        [(label(update, context, "button.confirm"), "bk:confirm:yes")],
        [(label(update, context, "button.edit"), "bk:confirm:edit")],
    ]


async def q_warranty_parts(update, context, d):
    chosen = set(d.get("chosen", []))
    rows = [[(("✅ " if part_id in chosen else "") + f"{name} ({until})", f"bk:wp:{part_id}")]
            for part_id, name, until in d["parts"]]
    rows.append([(label(update, context, "button.done"), "bk:wp:done")])
    return {"template": "ask_warranty_parts", "values": {
        "number": d["original_number"], "has_parts": bool(d["parts"])}}, rows


async def q_sales_number(update, context, d):
    return {"template": "ask_sales_number"}, []


async def q_sales_phone(update, context, d):
    return {"template": "ask_sales_phone"}, []


QUESTIONS = {
    "category": q_category, "brand": q_brand, "model": q_model, "serial": q_serial,
    "description": q_description, "photos": q_photos, "address": q_address, "phone": q_phone,
    "day": q_day, "window": q_window, "confirm": q_confirm,
    "sales_number": q_sales_number, "sales_phone": q_sales_phone,
    "warranty_parts": q_warranty_parts,
}


# --- the answers -------------------------------------------------------------------------

@button_step
async def chose_category(update, context, category):
    draft(context)["category"] = category
    return await advance(update, context)


@button_step
async def chose_brand(update, context, choice):
    if choice == "other":
        await say(update, context, "ask_brand_text")
        return None
    index = int(choice)
    if index >= len(BRANDS):
        await toast(update, context, "toast.stale_button")
        return None
    draft(context)["brand"] = BRANDS[index]
    return await advance(update, context)


def _appliance_text(field):
    return lambda text: booking.clean_text(text, field, minimum=1,
                                           maximum=booking.APPLIANCE_TEXT_MAX)


@text_step(_appliance_text("brand"))
async def typed_brand(update, context, brand):
    draft(context)["brand"] = brand
    return await advance(update, context)


@text_step(_appliance_text("model"))
async def typed_model(update, context, model):
    draft(context)["model"] = model
    return await advance(update, context)


@text_step(_appliance_text("serial"))
async def typed_serial(update, context, serial):
    draft(context)["serial"] = serial
    return await advance(update, context)


@button_step
async def skipped(update, context, field):
    if field != draft(context)["step"]:
        await toast(update, context, "toast.stale_button")
        return None
    draft(context)[field] = None
    return await advance(update, context)


@text_step(lambda text: booking.clean_text(text, "description", minimum=booking.DESCRIPTION_MIN,
                                           maximum=booking.DESCRIPTION_MAX, multiline=True))
async def typed_description(update, context, description):
    draft(context)["description"] = description
    return await advance(update, context)


async def got_photo(update: Update, context: Context):
    d = draft(context)
    photos = d.setdefault("photos", [])
    if len(photos) >= booking.PHOTOS_MAX:
        await say(update, context, "photos_full", maximum=booking.PHOTOS_MAX)
        return None
    photos.append(update.message.photo[-1].file_id)  # the largest size
    message = await say(update, context, "photo_received", count=len(photos),
                        maximum=booking.PHOTOS_MAX, reply_markup=keyboard([
                            [(label(update, context, "button.photos_done"), "bk:photos:done")],
                            [(label(update, context, "button.back"), "bk:back"),
                             (label(update, context, "button.cancel"), "bk:cancel")]]))
    d["message"] = message.message_id
    return None


@button_step
async def photos_done(update, context, _):
    return await advance(update, context)


@button_step
async def chose_address(update, context, choice):
    d = draft(context)
    if choice == "sales" and d.get("sales_address"):
        d["address"] = {"text": d["sales_address"]}
        return await advance(update, context)
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        picked = await booking.choose_address(uow, user, address_id=int(choice))
    d["address"] = {"id": picked.saved.id, "text": picked.saved.text}
    return await advance(update, context)


async def typed_address(update: Update, context: Context):
    d = draft(context)
    where = d.pop("location", None) or {}
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        try:
            picked = await booking.choose_address(uow, user, update.message.text,
                                                  latitude=where.get("latitude"),
                                                  longitude=where.get("longitude"))
        except InvalidInput as error:
            if where:
                d["location"] = where
            await say(update, context, "error_invalid_input", **error.details)
            return None
    d["address"] = {"text": picked.text, "latitude": picked.latitude,
                    "longitude": picked.longitude}
    return await advance(update, context)


async def got_location(update: Update, context: Context):
    where = update.message.location
    draft(context)["location"] = {"latitude": where.latitude, "longitude": where.longitude}
    await say(update, context, "location_received")
    return None


@button_step
async def chose_saved_phone(update, context, _):
    return await _phone_chosen(update, context)


async def typed_phone(update: Update, context: Context):
    message = update.message
    if message.contact:
        if message.contact.user_id != update.effective_user.id:
            await say(update, context, "phone_not_yours")
            return None
        typed = message.contact.phone_number
        typed = typed if typed.startswith("+") else "+" + typed
    else:
        typed = message.text
    try:
        draft(context)["phone"] = people.clean_phone(typed)
    except InvalidInput as error:
        await say(update, context, "error_invalid_input", **error.details)
        return None
    return await _phone_chosen(update, context)


async def _phone_chosen(update, context):
    await say(update, context, "phone_noted", phone=draft(context)["phone"],
              reply_markup=ReplyKeyboardRemove())
    return await advance(update, context)


@button_step
async def chose_day(update, context, day):
    d = draft(context)
    async with desk(context).uow() as uow:
        windows = await booking.window_offers(uow, date.fromisoformat(day), _category(d))
    if not any(w.free > 0 for w in windows):
        await say(update, context, "day_full", day=day_label(update, context, day))
        return await ask(update, context, "day")
    d["day"] = day
    return await advance(update, context)


@button_step
async def chose_window(update, context, window):
    d = draft(context)
    try:
        async with desk(context).uow() as uow:
            booking.check_slot(uow, d["day"], window)
    except InvalidInput as error:  # the window began while they were choosing
        await say(update, context, "error_invalid_input", **error.details)
        return await ask(update, context, "day")
    d["window"] = window
    return await advance(update, context)


@button_step
async def confirmed(update, context, answer):
    d = draft(context)
    if answer == "edit":
        rows = [[(label(update, context, f"button.edit_{part}"), f"bk:edit:{part}")]
                for part in EDITABLE[d["kind"]]]
        rows.append([(label(update, context, "button.back"), "bk:edit:none")])
        message = await say(update, context, "booking_edit", reply_markup=keyboard(rows))
        d["message"] = message.message_id
        return None
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            order = await _book(uow, user, d)
            await uow.commit()
    except WindowFull:
        await say(update, context, "window_taken", day=day_label(update, context, d["day"]),
                  window=window_label(d["window"]))
        return await ask(update, context, "window")
    except InvalidInput as error:
        await say(update, context, "error_invalid_input", **error.details)
        step = {"day": "day", "window": "day"}.get(error.details.get("field"), "confirm")
        return await ask(update, context, step)
    context.user_data.pop(DRAFT, None)
    log.info("order %s booked in chat", order.number)
    await say(update, context, "booked", number=order.number, kind=order.kind,
              day=day_label(update, context, order.booked_date),
              window=window_label(order.window))
    return END


@button_step
async def edit_part(update, context, part):
    d = draft(context)
    if part == "none" or part not in EDITABLE[d["kind"]]:
        return await ask(update, context, "confirm")
    first, last = EDITABLE[d["kind"]][part]
    d["editing_until"] = last
    return await ask(update, context, first)


async def _book(uow, user, d):
    if d["kind"] == WARRANTY:
        return await warranty.open_warranty_claim(
            uow, user, d["original"], d.get("chosen", []), d["description"], d["day"],
            d["window"], photos=d.get("photos", []), phone=d["phone"])
    address = d["address"]
    where = dict(address_id=address["id"]) if address.get("id") else dict(
        address=address["text"], latitude=address.get("latitude"),
        longitude=address.get("longitude"))
    if d["kind"] == REPAIR:
        return await booking.book_repair(
            uow, user, category=d["category"], brand=d.get("brand"), model=d.get("model"),
            serial=d.get("serial"), description=d["description"], photos=d.get("photos", []),
            phone=d["phone"], day=d["day"], window=d["window"], **where)
    return await sales.book_installation(uow, user, d["sales_order"], phone=d["phone"],
                                         day=d["day"], window=d["window"], **where)


@button_step
async def toggled_warranty_part(update, context, choice):
    d = draft(context)
    if choice == "done":
        return await advance(update, context)
    part_id = int(choice)
    if part_id not in {p[0] for p in d["parts"]}:
        await toast(update, context, "toast.stale_button")
        return None
    chosen = d.setdefault("chosen", [])
    chosen.remove(part_id) if part_id in chosen else chosen.append(part_id)
    await update.callback_query.edit_message_reply_markup(
        keyboard((await q_warranty_parts(update, context, d))[1] + [_nav(update, context, d)]))
    return None


# --- delivery: proving the sales order is theirs ------------------------------------------

@text_step(lambda text: booking.clean_text(text, "sales_number", minimum=1, maximum=32))
async def typed_sales_number(update, context, number):
    draft(context)["sales_number"] = number
    return await advance(update, context)


async def typed_sales_phone(update: Update, context: Context):
    d = draft(context)
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            try:
                found = await sales.verify_sales_order(uow, user, d["sales_number"],
                                                       update.message.text)
            finally:
                await uow.commit()  # a wrong try is recorded: it counts toward the limit
    except DomainError as error:
        await say(update, context, f"error_{error.code}", **error.details)
        if error.details.get("reason") == "too_many_tries":
            context.user_data.pop(DRAFT, None)
            return END
        return await ask(update, context, "sales_number")
    d.update(sales_order=found.id, sales_number=found.number, phone=found.phone,
             sales_address=found.address, category=found.category, brand=found.brand,
             model=found.model)
    await say(update, context, "sales_order_found", number=found.number,
              category=label(update, context, f"category.{found.category}"),
              brand=found.brand or "", model=found.model or "")
    return await advance(update, context)


# --- wrong kinds of answers ---------------------------------------------------------------

async def use_buttons(update: Update, context: Context):
    await say(update, context, "use_buttons")
    return None


async def type_it(update: Update, context: Context):
    await say(update, context, "expected_text")
    return None


async def photos_or_done(update: Update, context: Context):
    await say(update, context, "photos_or_done")
    return None


# --- helpers -----------------------------------------------------------------------------

def _category(d) -> str:
    return d.get("category") or "other"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(update, context, d) -> dict:
    address = d.get("address") or {}
    return {
        "kind": d["kind"],
        "category": label(update, context, f"category.{_category(d)}"),
        "brand": d.get("brand"), "model": d.get("model"), "serial": d.get("serial"),
        "description": d.get("description"), "photos": len(d.get("photos", [])),
        "address": address.get("text", ""), "located": address.get("latitude") is not None,
        "phone": d.get("phone"), "day": day_label(update, context, d["day"]),
        "window": window_label(d["window"]), "sales_number": d.get("sales_number"),
    }


def conversation() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND
    buttons_only = [MessageHandler(other, use_buttons)]
    cats = "|".join(people.APPLIANCE_CATEGORIES)
    return ConversationHandler(
        name="booking",
        persistent=True,
        allow_reentry=True,
        entry_points=[
            CommandHandler("book", start_repair),
            CommandHandler("deliver", start_delivery),
            CallbackQueryHandler(start_repair, pattern=r"^menu:book$"),
            CallbackQueryHandler(start_delivery, pattern=r"^menu:deliver$"),
            CallbackQueryHandler(start_warranty_claim, pattern=r"^or:wc:\d{1,12}$"),
        ],
        states={
            "category": [CallbackQueryHandler(chose_category, pattern=rf"^bk:cat:({cats})$"),
                         *buttons_only],
            "brand": [CallbackQueryHandler(chose_brand, pattern=r"^bk:brand:(\d{1,2}|other)$"),
                      MessageHandler(text, typed_brand), *buttons_only],
            "model": [CallbackQueryHandler(skipped, pattern=r"^bk:skip:model$"),
                      MessageHandler(text, typed_model), MessageHandler(other, type_it)],
            "serial": [CallbackQueryHandler(skipped, pattern=r"^bk:skip:serial$"),
                       MessageHandler(text, typed_serial), MessageHandler(other, type_it)],
            "description": [MessageHandler(text, typed_description),
                            MessageHandler(other, type_it)],
            "photos": [MessageHandler(filters.PHOTO, got_photo),
                       CallbackQueryHandler(photos_done, pattern=r"^bk:photos:done$"),
                       MessageHandler(other, photos_or_done)],
            "address": [CallbackQueryHandler(chose_address, pattern=r"^bk:addr:(\d{1,12}|sales)$"),
                        MessageHandler(text, typed_address),
                        MessageHandler(filters.LOCATION, got_location),
                        MessageHandler(other, type_it)],
            "phone": [CallbackQueryHandler(chose_saved_phone, pattern=r"^bk:phone:saved$"),
                      MessageHandler(filters.CONTACT | text, typed_phone),
                      MessageHandler(other, type_it)],
            "day": [CallbackQueryHandler(chose_day, pattern=r"^bk:day:\d{4}-\d{2}-\d{2}$"),
                    *buttons_only],
            "window": [CallbackQueryHandler(chose_window, pattern=r"^bk:win:\d{2}-\d{2}$"),
                       *buttons_only],
            "confirm": [CallbackQueryHandler(confirmed, pattern=r"^bk:confirm:(yes|edit)$"),
                        CallbackQueryHandler(edit_part, pattern=r"^bk:edit:[a-z]{1,12}$"),
                        *buttons_only],
            "sales_number": [MessageHandler(text, typed_sales_number),
                             MessageHandler(other, type_it)],
            "sales_phone": [MessageHandler(text, typed_sales_phone),
                            MessageHandler(other, type_it)],
            "warranty_parts": [CallbackQueryHandler(toggled_warranty_part,
                                                    pattern=r"^bk:wp:(\d{1,12}|done)$"),
                               *buttons_only],
        },
        fallbacks=[
            CallbackQueryHandler(back, pattern=r"^bk:back$"),
            CallbackQueryHandler(cancel, pattern=r"^bk:cancel$"),
            CommandHandler("cancel", cancel),
        ],
    )
