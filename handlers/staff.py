"""Managers and their staff (/staff): technicians and managers with their state, paged; a
person's card; deactivating and reactivating them; a technician's appliance categories and
service areas.

No conversation: every button carries the person's id (and, while choosing categories or
areas, the choice so far as a bit mask), and is checked on the server, so a forged or stale
button changes nothing it should not. Deactivating a technician gives their scheduled jobs
back to dispatch (core.dispatch.release_jobs), and the manager is told which, and which jobs
are already under way and need handling.

Callback data:
  stf:p:<page>              the list
  stf:v:<user id>           a person's card
  stf:d:<user id>           "deactivate?"          stf:dy:<user id>  deactivate
  stf:r:<user id>           reactivate
  stf:sk:<user id>:<mask>[:<page>]   categories being chosen  stf:sks:<user id>:<mask>  save
  stf:ar:<user id>:<mask>[:<page>]   areas being chosen       stf:ars:<user id>:<mask>  save
The masks' bits follow core.lifecycle.APPLIANCE_CATEGORIES and the company's SERVICE_AREAS,
written in base 36 (150 areas fit in 29 characters, so the data stays within 64 bytes); the
options come PICK_PAGE at a time (100 buttons at most in a message).
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import ratings, staff, stock, stock_levels
from core.errors import InvalidInput, NotAllowed, NotFound
from core.lifecycle import APPLIANCE_CATEGORIES, TECHNICIAN
from core.roles import require_manager

from .chat import Context, desk, keyboard, label, page_turns, person, say, show, toast
from .notify import wake_reminders
from .stock import pages

log = logging.getLogger(__name__)

ID = r"\d{1,12}"
MASK = r"[0-9a-z]{1,30}"
PICK_PAGE = 12
DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = DIGITS36[digit] + text
        if not number:
            return text


async def _manager(uow, update: Update, context: Context):
    user = await person(uow, update, context)
    require_manager(user)
    return user


def _mask(chosen, options) -> int:
    return sum(1 << i for i, option in enumerate(options) if option in chosen)


def _chosen(mask: int, options) -> list:
    return [option for i, option in enumerate(options) if mask & (1 << i)]


# --- the list ---------------------------------------------------------------------------------

async def staff_command(update: Update, context: Context):
    await _list(update, context, 1, edit=False)


async def page_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _list(update, context, int(update.callback_query.data.split(":")[2]))


async def _list(update: Update, context: Context, page: int, *, edit: bool = True):
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        listing = await staff.staff_page(uow, manager, page)
        people_shown = [await _summary(uow, update, context, user) for user in listing.items]
        await uow.commit()
    rows = [[(_button(update, context, p), f"stf:v:{p['id']}")] for p in people_shown]
    rows += pages(update, context, listing, "stf:p:{page}")
    reply = show if edit else say
    await reply(update, context, "staff_list", staff=people_shown, total=listing.total,
                page=listing.page, pages=listing.pages,
                reply_markup=keyboard(rows) if rows else None)


async def _summary(uow, update, context, user) -> dict:
    """What the list and the card show of a person."""
    technician = user.role == TECHNICIAN
    rating = await ratings.technician_rating(uow, user) if technician else None
    await user.awaitable_attrs.skills
    await user.awaitable_attrs.areas
    configured = desk(context).company.service_areas
    skills = sorted((s.category for s in user.skills),
                    key=lambda c: APPLIANCE_CATEGORIES.index(c)
                    if c in APPLIANCE_CATEGORIES else len(APPLIANCE_CATEGORIES))
    areas = sorted((a.area for a in user.areas),
                   key=lambda a: configured.index(a) if a in configured else len(configured))
    return dict(
        id=user.id, name=_name(user), role=user.role, active=user.active,
        phone=user.phone, technician=technician,
        skills=skills if technician else [],
        categories=[label(update, context, f"category.{c}") for c in skills]
        if technician else [],
        areas=areas if technician else [],
        rating=rating.average if rating else None, ratings=rating.count if rating else 0)


def _name(user) -> str:
    """Staff made managers by MANAGER_IDS may never have given a name: their Telegram id."""
    return user.name or f"#{user.telegram_id}"


def _button(update, context, p) -> str:
    state = "" if p["active"] else "⛔ "
    return f"{state}{p['name']} · {label(update, context, 'role.' + p['role'])}"[:60]


# --- a person's card --------------------------------------------------------------------------

async def card_pressed(update: Update, context: Context):
    user_id = int(update.callback_query.data.split(":")[2])
    await _card(update, context, user_id)


async def _card(update: Update, context: Context, user_id: int, *, notice: str | None = None):
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        try:
            user = await staff.get_staff(uow, manager, user_id)
        except NotFound:
            await toast(update, context, "toast.stale_button")
            return
        shown = await _summary(uow, update, context, user)
        yourself = user.id == manager.id
    if notice:
        await toast(update, context, notice)
    else:
        await update.callback_query.answer()
    rows = []
    if shown["technician"]:
        rows.append([
            (label(update, context, "staff_button.categories"),
             f"stf:sk:{user_id}:{_b36(_mask(shown['skills'], APPLIANCE_CATEGORIES))}"),
            (label(update, context, "staff_button.areas"),
             f"stf:ar:{user_id}:"
             f"{_b36(_mask(shown['areas'], desk(context).company.service_areas))}")])
    if not yourself:
        rows.append([(label(update, context, "staff_button.deactivate"), f"stf:d:{user_id}")]
                    if shown["active"] else
                    [(label(update, context, "staff_button.reactivate"), f"stf:r:{user_id}")])
    rows.append([(label(update, context, "staff_button.list"), "stf:p:1")])
    await show(update, context, "staff_card", person=shown, yourself=yourself,
               reply_markup=keyboard(rows))


# --- deactivating and reactivating -------------------------------------------------------------

async def deactivate_pressed(update: Update, context: Context):
    user_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        try:
            user = await staff.get_staff(uow, manager, user_id)
        except NotFound:
            await toast(update, context, "toast.stale_button")
            return
        if user.id == manager.id:
            await toast(update, context, "staff_toast.not_yourself")
            return
        name, role, active = _name(user), user.role, user.active
    if not active:
        await _card(update, context, user_id, notice="staff_toast.inactive_already")
        return
    await update.callback_query.answer()
    await show(update, context, "staff_deactivate_confirm", name=name, role=role,
               reply_markup=keyboard([
                   [(label(update, context, "staff_button.deactivate_yes"), f"stf:dy:{user_id}")],
                   [(label(update, context, "staff_button.keep"), f"stf:v:{user_id}")]]))


async def deactivate_confirmed(update: Update, context: Context):
    user_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        try:
            user, released, changed = await staff.deactivate_staff(uow, manager, user_id)
        except NotFound:
            await toast(update, context, "toast.stale_button")
            return
        except NotAllowed as refused:
            if refused.details.get("reason") != "not_yourself":
                raise
            await toast(update, context, "staff_toast.not_yourself")
            return
        name, role = _name(user), user.role
        van_parts = 0
        if role == TECHNICIAN:
            van = await stock.van(uow, user)
            van_parts = (await stock_levels.levels(uow, van.id)).total
        await uow.commit()
    if not changed:
        await _card(update, context, user_id, notice="staff_toast.inactive_already")
        return
    await update.callback_query.answer()
    log.info("staff %s deactivated in chat; %s jobs back to dispatch", user_id,
             len(released.unassigned) if released else 0)
    await show(update, context, "staff_deactivated", name=name, role=role,
               unassigned=list(released.unassigned) if released else [],
               under_way=list(released.under_way) if released else [], van_parts=van_parts,
               reply_markup=keyboard([[(label(update, context, "staff_button.list"),
                                        "stf:p:1")]]))
    if released and released.unassigned:
        wake_reminders(context)  # the orders' reminders were re-planned: managers are told


async def reactivate_pressed(update: Update, context: Context):
    user_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        try:
            _, changed = await staff.reactivate_staff(uow, manager, user_id)
        except NotFound:
            await toast(update, context, "toast.stale_button")
            return
        await uow.commit()
    await _card(update, context, user_id,
                notice="staff_toast.reactivated" if changed else "staff_toast.active_already")


# --- categories and areas ---------------------------------------------------------------------

def _options(context: Context, kind: str):
    return (APPLIANCE_CATEGORIES if kind == "sk"
            else desk(context).company.service_areas)


async def choosing_pressed(update: Update, context: Context):
    """Shows the choice so far (the mask in the data) with a toggle button per option."""
    kind, user_id, mask, page = _parse(update)
    options = _options(context, kind)
    if mask >= 1 << len(options):
        await toast(update, context, "toast.stale_button")
        return
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        try:
            user = await staff.get_staff(uow, manager, user_id)
        except NotFound:
            user = None
        name = _name(user) if user else None
    if user is None or user.role != TECHNICIAN:
        await toast(update, context, "toast.stale_button")
        return
    await update.callback_query.answer()
    pages = max(1, -(-len(options) // PICK_PAGE))
    page = min(max(page, 1), pages)
    first = (page - 1) * PICK_PAGE
    rows = []
    for i, option in enumerate(options[first:first + PICK_PAGE], start=first):
        text = label(update, context, f"category.{option}") if kind == "sk" else option
        rows.append([(("✅ " if mask & (1 << i) else "") + text,
                      f"stf:{kind}:{user_id}:{_b36(mask ^ (1 << i))}:{page}")])
    rows += page_turns(update, context, page, pages,
                       f"stf:{kind}:{user_id}:{_b36(mask)}:{{page}}")
    rows.append([(label(update, context, "staff_button.save"),
                  f"stf:{kind}s:{user_id}:{_b36(mask)}"),
                 (label(update, context, "button.back"), f"stf:v:{user_id}")])
    await show(update, context, "staff_pick", what="categories" if kind == "sk" else "areas",
               name=name or "?", reply_markup=keyboard(rows))


async def save_pressed(update: Update, context: Context):
    kind, user_id, mask, _ = _parse(update)
    kind = kind.removesuffix("s")
    options = _options(context, kind)
    if mask >= 1 << len(options):
        await toast(update, context, "toast.stale_button")
        return
    chosen = _chosen(mask, options)
    async with desk(context).uow() as uow:
        manager = await _manager(uow, update, context)
        try:
            if kind == "sk":
                await staff.set_technician_skills(uow, manager, user_id, chosen)
            else:
                await staff.set_technician_areas(uow, manager, user_id, chosen)
        except NotFound:
            await toast(update, context, "toast.stale_button")
            return
        except InvalidInput:
            await toast(update, context, "toast.choose_one")
            return
        await uow.commit()
    log.info("technician %s: %s changed by a manager", user_id,
             "categories" if kind == "sk" else "areas")
    await _card(update, context, user_id, notice="staff_toast.saved")


def _parse(update: Update) -> tuple[str, int, int, int]:
    _, kind, user_id, mask, *page = update.callback_query.data.split(":")
    return kind, int(user_id), int(mask, 36), int(page[0]) if page else 1


def handlers():
    return [
        CommandHandler("staff", staff_command),
        CallbackQueryHandler(page_pressed, pattern=r"^stf:p:\d{1,6}$"),
        CallbackQueryHandler(card_pressed, pattern=rf"^stf:v:{ID}$"),
        CallbackQueryHandler(deactivate_pressed, pattern=rf"^stf:d:{ID}$"),
        CallbackQueryHandler(deactivate_confirmed, pattern=rf"^stf:dy:{ID}$"),
        CallbackQueryHandler(reactivate_pressed, pattern=rf"^stf:r:{ID}$"),
        CallbackQueryHandler(choosing_pressed, pattern=rf"^stf:(sk|ar):{ID}:{MASK}(:\d{{1,3}})?$"),
        CallbackQueryHandler(save_pressed, pattern=rf"^stf:(sks|ars):{ID}:{MASK}$"),
    ]
