"""People: customers registering, staff roles, languages, technicians' skills and areas."""
from __future__ import annotations

import logging
import unicodedata

import phonenumbers
from sqlalchemy import bindparam, select

from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed
from .lifecycle import APPLIANCE_CATEGORIES, CUSTOMER, MANAGER, ROLES, TECHNICIAN
from .models import TechnicianArea, TechnicianSkill, User

log = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
NAME_MAX = 64
PHONE_REGION = "CN"  # numbers typed without +country are read as Chinese numbers


# Built once: nearly every update looks its person up, and building the statement cost as
# much as running it.
_BY_TELEGRAM_ID = select(User).where(User.telegram_id == bindparam("telegram_id"))


async def find_user(uow: UnitOfWork, telegram_id: int) -> User | None:
    return await uow.session.scalar(_BY_TELEGRAM_ID, {"telegram_id": telegram_id})


async def ensure_user(uow: UnitOfWork, telegram_id: int, language_code: str | None = None) -> User:
    """The person behind a chat, created on first contact as a not yet registered customer.

    Telegram user ids in the company's MANAGER_IDS are managers from the first contact.
    """
    return await note_contact(uow, await find_user(uow, telegram_id), telegram_id, language_code)


async def note_contact(uow: UnitOfWork, user: User | None, telegram_id: int,
                       language_code: str | None = None) -> User:
    """ensure_user for a caller that has already looked the person up (None: not found)."""
    if user is None:
        user = User(telegram_id=telegram_id, role=CUSTOMER, active=True,
                    language=None, created_at=uow.now())
        uow.session.add(user)
    # Only what differs is set: an unchanged person leaves the unit of work clean, so the
    # update that only reads needs no write (most updates).
    changes = {"unreachable": False}  # they just wrote to us
    if language_code:
        changes["telegram_language"] = language_code[:16]
    if telegram_id in uow.company.manager_ids and user.role != MANAGER:
        changes.update(role=MANAGER, active=True)
        log.info("user %s is a manager by MANAGER_IDS", telegram_id)
    if (changes.get("role") == MANAGER or user.role == MANAGER) and user.registered_at is None:
        changes["registered_at"] = uow.now()
    for name, value in changes.items():
        if getattr(user, name) != value:
            setattr(user, name, value)
    if user in uow.session.new or user in uow.session.dirty:
        await uow.session.flush()
    return user


async def mark_unreachable(uow: UnitOfWork, telegram_id: int) -> None:
    """They blocked the bot: stop trying until they write again."""
    user = await find_user(uow, telegram_id)
    if user is not None:
        user.unreachable = True
        await uow.session.flush()


def clean_name(text: str) -> str:
    """A person's name as typed: trimmed, no control characters, 1 to 64 characters."""
    name = " ".join((text or "").split())
    if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d" for ch in name):
        raise InvalidInput(field="name", reason="characters")
    if not name:
        raise InvalidInput(field="name", reason="empty")
    if len(name) > NAME_MAX:
        raise InvalidInput(field="name", reason="too_long", limit=NAME_MAX)
    return name


def clean_phone(text: str) -> str:
    """A phone number in E.164 form (+8613800138000), or InvalidInput."""
    try:
        number = phonenumbers.parse((text or "").strip(), PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidInput(field="phone", reason="format") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(field="phone", reason="format")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_shown(phone: str | None) -> str:
    """A stored (E.164) number as people read it, grouped and still tappable in Telegram:
    +86 138 0013 8000."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


async def register_customer(uow: UnitOfWork, user: User, name: str, phone: str) -> User:
    user.name = clean_name(name)
    user.phone = clean_phone(phone)
    if user.registered_at is None:
        user.registered_at = uow.now()
    await uow.session.flush()
    log.info("customer %s registered", user.id)
    return user


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput(field="language")
    user.language = language


def make_staff(uow: UnitOfWork, user: User, role: str, name: str | None) -> None:
    if role not in ROLES or role == CUSTOMER:
        raise InvalidInput(field="role")
    user.role = role
    user.active = True
    if not user.name and name:
        user.name = clean_name(name)[:NAME_MAX]
    user.registered_at = user.registered_at or uow.now()


async def set_skills(uow: UnitOfWork, technician: User, categories: list[str]) -> None:
    _require_technician(technician)
    wanted = [c for c in dict.fromkeys(categories) if c in APPLIANCE_CATEGORIES]
    if not wanted:
        raise InvalidInput(field="skills", reason="empty")
    await technician.awaitable_attrs.skills  # loaded, so replacing it deletes the old rows
    technician.skills = [TechnicianSkill(category=c) for c in wanted]
    await uow.session.flush()


async def set_areas(uow: UnitOfWork, technician: User, areas: list[str]) -> None:
    _require_technician(technician)
    wanted = [a for a in dict.fromkeys(areas) if a in uow.company.service_areas]
    if not wanted:
        raise InvalidInput(field="areas", reason="empty")
    await technician.awaitable_attrs.areas
    technician.areas = [TechnicianArea(area=a) for a in wanted]
    await uow.session.flush()


def _require_technician(user: User) -> None:
    if user.role != TECHNICIAN or not user.active:
        raise NotAllowed(reason="technician_only")


async def add_manager(uow: UnitOfWork, telegram_id: int) -> User:
    """From the command line: make a Telegram user a manager, whether or not they wrote yet."""
    user = await find_user(uow, telegram_id)
    if user is None:
        user = User(telegram_id=telegram_id, role=MANAGER, active=True, created_at=uow.now())
        uow.session.add(user)
    user.role = MANAGER
    user.active = True
    user.registered_at = user.registered_at or uow.now()
    await uow.session.flush()
    return user


# --- added for the managers' chat (issue 5): the staff list, deactivating, skills and areas --
