"""Customers booking a visit: a repair (/book), the delivery and installation of something
they bought (/deliver), or a warranty claim on a finished order. One flow on the engine
(handlers.flow), one question a step, each with Back and Cancel, Edit from the summary.
"""
from __future__ import annotations

import logging
from datetime import date

from telegram import ReplyKeyboardRemove

from core import (
    access,
    booking,
    brands,
    parsing,
    people,
    priority,
    sales,
    warranty,
    windows,
)
from core.areas import area_of, display_name
from core.errors import InvalidInput
from core.lifecycle import (
    APPLIANCE_CATEGORIES,
    CUSTOMER,
    INSTALLATION,
    REPAIR,
    WARRANTY,
)
from core.models import Appliance
from core.windows import WindowFull

from .booking_checks import (
    q_sales_number,
    q_sales_phone,
    q_warranty_parts,
    toggled_warranty_part,
    typed_sales_number,
    typed_sales_phone,
)
from .common import phone_keyboard, shared_phone
from .flow import UNTIL, Entry, Flow, Next, Question, Step, Turn
from .texts import window_label

log = logging.getLogger(__name__)

STEPS = {
    REPAIR: ("category", "brand", "model", "serial", "description", "photos", "address",
             "district", "phone", "day", "window", "confirm"),
    INSTALLATION: ("sales_number", "sales_phone", "address", "district", "day", "window",
                   "confirm"),
    WARRANTY: ("warranty_parts", "description", "photos", "day", "window", "confirm"),
}
# What "Edit" on the summary offers, and the step each part starts at and ends after.
EDITABLE = {
    REPAIR: {"appliance": ("category", "serial"), "problem": ("description", "photos"),
             "address": ("address", "district"), "phone": ("phone", "phone"),
             "time": ("day", "window")},
    INSTALLATION: {"address": ("address", "district"), "time": ("day", "window")},
    WARRANTY: {"problem": ("description", "photos"), "time": ("day", "window")},
}


# --- starting ----------------------------------------------------------------------------

async def start_repair(turn: Turn, _) -> Next:
    return await _start(turn, REPAIR)


async def start_delivery(turn: Turn, _) -> Next:
    return await _start(turn, INSTALLATION)


async def start_warranty_claim(turn: Turn, match) -> Next:
    """From a finished order's card: claim its warranty, booked like a repair."""
    original = int(match.group(1))
    status = await warranty.warranty_status(turn.uow, turn.user, original)
    order = await access.find(turn.uow, turn.user, original)
    if not status.claimable:
        turn.say("error_not_allowed", reason="warranty_expired")
        return turn.end()
    address = await booking.order_address(turn.uow, order)
    appliance = (await turn.uow.session.get(Appliance, order.appliance_id)
                 if order.appliance_id else None)  # shown on the summary, as on the claim
    return await _start(turn, WARRANTY, original=original,
                        original_number=status.order_number, category=order.category,
                        brand=appliance.brand if appliance else None,
                        model=appliance.model if appliance else None,
                        address={"text": address.text if address else ""},
                        parts=[[p.replaced_part_id, p.name, p.warranty_until.isoformat()]
                               for p in status.parts], chosen=[])


async def _start(turn: Turn, kind: str, **prefilled) -> Next:
    user = turn.user
    if user.role != CUSTOMER:
        turn.say("error_not_allowed", reason="customer_only")
        return turn.end()
    if user.registered_at is None:
        turn.say("register_first")
        return turn.end()
    turn.draft.update(kind=kind, phone=user.phone, **prefilled)
    return turn.goto(STEPS[kind][0])


# --- the questions ----------------------------------------------------------------------

async def q_category(turn: Turn) -> Question:
    return Question("ask_category", _rows(
        [(turn.label(f"category.{c}"), c) for c in APPLIANCE_CATEGORIES]))


async def q_brand(turn: Turn) -> Question:
    if turn.draft.pop("typing_brand", False):
        return Question("ask_brand_text", nav=False)
    return Question("ask_brand", _rows(await brand_buttons(turn), 3))


async def brand_buttons(turn: Turn) -> list[tuple[str, str]]:
    """The company's brands in the reader's language, then "Other…"."""
    buttons = [(brands.brand_name(b, turn.lang), str(b.id)) for b in await brands.brands(turn.uow)]
    return buttons + [(turn.label("button.other_brand"), "other")]


async def picked_brand(turn: Turn, choice: str) -> str | None:
    """The brand name a pressed button stands for, as the person saw it; None if none."""
    found = await brands.brand(turn.uow, int(choice)) if choice.isdigit() else None
    return brands.brand_name(found, turn.lang) if found else None


async def q_model(turn: Turn) -> Question:
    return Question("ask_model", [[(turn.label("button.skip"), "skip")]])


async def q_serial(turn: Turn) -> Question:
    return Question("ask_serial", [[(turn.label("button.skip"), "skip")]])


async def q_description(turn: Turn) -> Question:
    return Question("ask_description", values={
        "minimum": booking.DESCRIPTION_MIN, "maximum": booking.DESCRIPTION_MAX})


async def q_photos(turn: Turn) -> Question:
    count = len(turn.draft.get("photos", []))
    done = [[(turn.label("button.photos_done"), "done")]]
    if turn.draft.pop("photo_received", False):
        return Question("photo_received", done, {"count": count,
                                                 "maximum": booking.PHOTOS_MAX})
    return Question("ask_photos", done, {"count": count, "maximum": booking.PHOTOS_MAX})


async def q_address(turn: Turn) -> Question:
    saved = await booking.saved_addresses(turn.uow, turn.user)
    rows = []
    if turn.draft.get("sales_address"):
        rows.append([(_short(turn.draft["sales_address"]), "sales")])
    rows += [[(_short(a.text), str(a.id))] for a in saved[:5]]
    return Question("ask_address", rows, {"has_saved": bool(rows)})


async def q_phone(turn: Turn) -> Question:
    d = turn.draft
    rows = [[(people.phone_shown(d["phone"]), "saved")]] if d.get("phone") else []
    # The contact button lives on the reply keyboard: send it with a short message first.
    turn.say("phone_keyboard", reply_markup=phone_keyboard(turn))
    return Question("ask_booking_phone", rows)


async def q_day(turn: Turn) -> Question:
    days = await windows.offers(turn.uow, _category(turn.draft))
    rows = []
    for offer in days:
        text = turn.day(offer.day)
        if offer.free < 1:
            text += " · " + turn.label("button.full")
        rows.append((text, offer.day.isoformat()))
    rows = _rows(rows)
    urgent = bool(turn.draft.get("urgent"))
    soonest = next(((d.day, w.window) for d in days for w in d.windows if w.free > 0), None)
    if urgent and soonest:  # an urgent repair: the earliest free place first, in one press
        day, window = soonest
        rows.insert(0, [(turn.label("button.soonest", day=turn.day(day),
                                    window=window_label(window)),
                         f"soonest:{day.isoformat()}:{window}")])
    return Question("ask_day", rows, {"urgent": urgent and soonest is not None})


async def q_window(turn: Turn) -> Question:
    d = turn.draft
    offered = await windows.window_offers(turn.uow, date.fromisoformat(d["day"]), _category(d))
    rows = [[(window_label(w.window), w.window)] for w in offered if w.free > 0]
    return Question("ask_window", rows, {"day": turn.day(d["day"]), "none_left": not rows})


async def q_confirm(turn: Turn) -> Question:
    rows = [[(turn.label("button.confirm"), "yes")], [(turn.label("button.edit"), "!edit")]]
    if turn.draft["kind"] == REPAIR:  # the customer may say it cannot wait, or that it can
        rows.insert(1, [(turn.label("button.not_urgent" if turn.draft.get("urgent")
                                    else "button.urgent"), "urgent")])
    return Question("booking_summary", rows, _summary(turn))


# --- the answers -------------------------------------------------------------------------

async def chose_category(turn: Turn, category: str) -> Next:
    if category not in APPLIANCE_CATEGORIES:
        turn.toast("toast.stale_button")
        return turn.stay()
    turn.draft["category"] = category
    return turn.next()


async def chose_brand(turn: Turn, choice: str) -> Next:
    if choice == "other":
        turn.draft["typing_brand"] = True
        return turn.again()
    name = await picked_brand(turn, choice)
    if name is None:
        turn.toast("toast.stale_button")
        return turn.stay()
    turn.draft["brand"] = name
    return turn.next()


def _typed(field: str):
    async def typed(turn: Turn, text: str) -> Next:
        turn.draft[field] = parsing.clean_text(text, field, minimum=1,
                                               maximum=booking.APPLIANCE_TEXT_MAX)
        return turn.next()
    return typed


async def typed_serial(turn: Turn, text: str) -> Next:
    turn.draft["serial"] = parsing.serial_number(text, maximum=booking.APPLIANCE_TEXT_MAX,
                                                 required=True)
    return turn.next()


async def skipped(turn: Turn, value: str) -> Next:
    if value != "skip":
        turn.toast("toast.stale_button")
        return turn.stay()
    turn.draft[turn.step] = None
    return turn.next()


async def typed_description(turn: Turn, text: str) -> Next:
    turn.draft["description"] = parsing.clean_text(
        text, "description", minimum=booking.DESCRIPTION_MIN, maximum=booking.DESCRIPTION_MAX,
        multiline=True)
    if turn.draft["kind"] == REPAIR:  # no heating, no water, a leak: urgent (core.priority)
        turn.draft["urgent"] = priority.sounds_urgent(turn.draft["description"])
    return turn.next()


async def got_photo(turn: Turn, file_id: str) -> Next:
    photos = turn.draft.setdefault("photos", [])
    if len(photos) >= booking.PHOTOS_MAX:
        turn.say("photos_full", maximum=booking.PHOTOS_MAX)
        return turn.stay()
    photos.append(file_id)
    turn.draft["photo_received"] = True
    return turn.again()


async def photos_done(turn: Turn, value: str) -> Next:
    return turn.next()


async def chose_address(turn: Turn, choice: str) -> Next:
    d = turn.draft
    if choice == "sales" and d.get("sales_address"):
        d["address"] = {"text": d["sales_address"]}
        return _after_address(turn)
    if not choice.isdigit():
        turn.toast("toast.stale_button")
        return turn.stay()
    picked = await booking.choose_address(turn.uow, turn.user, address_id=int(choice))
    d["address"] = {"id": picked.saved.id, "text": picked.saved.text}
    turn.step = "district"  # a saved address was placed when it was first given
    return turn.next()


def _after_address(turn: Turn) -> Next:
    """On to the district question only when the address names no area we serve."""
    company = turn.desk.company
    if area_of(turn.draft["address"]["text"], company.service_areas, company.area_names):
        turn.step = "district"
    return turn.next()


async def q_district(turn: Turn) -> Question:
    company = turn.desk.company
    buttons = [(display_name(key, turn.lang, company.area_names), str(index))
               for index, key in enumerate(company.service_areas)]
    rows = _rows(buttons, 3) + [[(turn.label("button.district_other"), "none")]]
    return Question("ask_district", rows, {"address": turn.draft["address"]["text"]})


async def chose_district(turn: Turn, choice: str) -> Next:
    company, address = turn.desk.company, turn.draft["address"]
    if choice != "none":
        if not choice.isdigit() or int(choice) >= len(company.service_areas):
            turn.toast("toast.stale_button")
            return turn.stay()
        key = company.service_areas[int(choice)]
        address["text"] = booking.in_district(address["text"],
                                              display_name(key, turn.lang, company.area_names))
    return turn.next()


async def typed_address(turn: Turn, text: str) -> Next:
    d = turn.draft
    where = d.get("location") or {}
    picked = await booking.choose_address(turn.uow, turn.user, text,
                                          latitude=where.get("latitude"),
                                          longitude=where.get("longitude"))
    d.pop("location", None)
    d["address"] = {"text": picked.text, "latitude": picked.latitude,
                    "longitude": picked.longitude}
    return _after_address(turn)


async def got_location(turn: Turn, where) -> Next:
    turn.draft["location"] = {"latitude": where.latitude, "longitude": where.longitude}
    turn.say("location_received")
    return turn.stay()


async def chose_saved_phone(turn: Turn, value: str) -> Next:
    return _phone_chosen(turn)


async def typed_phone(turn: Turn, typed: str) -> Next:
    turn.draft["phone"] = people.clean_phone(typed)
    return _phone_chosen(turn)


async def shared_contact(turn: Turn, contact) -> Next:
    number = shared_phone(turn, contact)
    return await typed_phone(turn, number) if number else turn.stay()


def _phone_chosen(turn: Turn) -> Next:
    turn.say("phone_noted", phone=turn.draft["phone"], reply_markup=ReplyKeyboardRemove())
    return turn.next()


async def chose_day(turn: Turn, day: str) -> Next:
    if day.startswith("soonest:"):  # the earliest free window, day and time in one press
        _, day, window = day.split(":", 2)
        try:
            windows.check_slot(turn.uow, day, window)
        except InvalidInput:
            turn.toast("toast.stale_button")
            return turn.refresh()
        turn.draft.update(day=day, window=window)
        turn.draft.pop(UNTIL, None)
        return turn.goto("confirm")
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        turn.toast("toast.stale_button")
        return turn.stay()
    offered = await windows.window_offers(turn.uow, chosen, _category(turn.draft))
    if not any(w.free > 0 for w in offered):
        turn.say("day_full", day=turn.day(day))
        return turn.goto("day")
    turn.draft["day"] = day
    return turn.next()


async def chose_window(turn: Turn, window: str) -> Next:
    try:
        windows.check_slot(turn.uow, turn.draft["day"], window)
    except InvalidInput as error:  # the window began while they were choosing
        turn.say("error_invalid_input", **error.details)
        return turn.goto("day")
    turn.draft["window"] = window
    return turn.next()


async def confirmed(turn: Turn, answer: str) -> Next:
    d = turn.draft
    if answer == "urgent" and d["kind"] == REPAIR:
        d["urgent"] = not d.get("urgent")
        return turn.refresh()
    if answer != "yes":
        turn.toast("toast.stale_button")
        return turn.stay()
    try:
        order = await _book(turn.uow, turn.user, d)
    except WindowFull:
        await turn.undo()
        turn.say("window_taken", day=turn.day(d["day"]), window=window_label(d["window"]))
        return turn.goto("window")
    except InvalidInput as error:
        await turn.undo()
        turn.say("error_invalid_input", **error.details)
        return turn.goto({"day": "day", "window": "day"}.get(error.details.get("field"),
                                                              "confirm"))
    log.info("order %s booked in chat", order.number)
    turn.say("booked", number=order.number, kind=order.kind, day=turn.day(order.booked_date),
             window=window_label(order.window))
    return turn.end()


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
            phone=d["phone"], day=d["day"], window=d["window"], urgent=d.get("urgent"),
            **where)
    return await sales.book_installation(uow, user, d["sales_order"], phone=d["phone"],
                                         day=d["day"], window=d["window"], **where)


# --- helpers -----------------------------------------------------------------------------

def _rows(buttons: list[tuple[str, str]], per_row: int = 2) -> list[list[tuple[str, str]]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def _category(d) -> str:
    return d.get("category") or "other"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(turn: Turn) -> dict:
    d = turn.draft
    address = d.get("address") or {}
    return {
        "kind": d["kind"],
        "category": turn.label(f"category.{_category(d)}"),
        "brand": d.get("brand"), "model": d.get("model"), "serial": d.get("serial"),
        "description": d.get("description"), "photos": len(d.get("photos", [])),
        "address": address.get("text", ""), "located": address.get("latitude") is not None,
        "phone": d.get("phone"), "day": turn.day(d["day"]), "urgent": bool(d.get("urgent")),
        "window": window_label(d["window"]), "sales_number": d.get("sales_number"),
        "original_number": d.get("original_number"),
        "claimed": [name for part_id, name, _ in d.get("parts", [])
                    if part_id in d.get("chosen", [])],
    }


BOOKING = Flow(
    name="booking", prefix="bk",
    entries=[
        Entry(start_repair, command="book"),
        Entry(start_delivery, command="deliver"),
        Entry(start_repair, press=r"^menu:book$"),
        Entry(start_delivery, press=r"^menu:deliver$"),
        Entry(start_warranty_claim, press=r"^or:wc:(\d{1,12})$"),
    ],
    order=lambda d: STEPS[d["kind"]],
    cancelled="booking_cancelled",
    summary="confirm",
    editable=lambda d: EDITABLE[d["kind"]],
    steps={
        "category": Step(q_category, press=chose_category),
        "brand": Step(q_brand, press=chose_brand, text=_typed("brand"), wrong="use_buttons"),
        "model": Step(q_model, press=skipped, text=_typed("model")),
        "serial": Step(q_serial, press=skipped, text=typed_serial),
        "description": Step(q_description, text=typed_description),
        "photos": Step(q_photos, photo=got_photo, press=photos_done, wrong="photos_or_done"),
        "address": Step(q_address, press=chose_address, text=typed_address,
                        location=got_location),
        "district": Step(q_district, press=chose_district),
        "phone": Step(q_phone, press=chose_saved_phone, text=typed_phone,
                      contact=shared_contact),
        "day": Step(q_day, press=chose_day),
        "window": Step(q_window, press=chose_window),
        "confirm": Step(q_confirm, press=confirmed),
        "sales_number": Step(q_sales_number, text=typed_sales_number),
        "sales_phone": Step(q_sales_phone, text=typed_sales_phone),
        "warranty_parts": Step(q_warranty_parts, press=toggled_warranty_part),
    },
)
