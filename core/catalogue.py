"""The parts catalogue and the labour items a quote is built from.

Prices are integer fen everywhere (`parse_price` turns what a manager types, in yuan, into
fen). A part's SKU is its unique, upper-case code; it never changes once the part exists, since
quotes, stock rows and warranty records copy it. Parts and labour items are never deleted:
one no longer sold is made inactive, and then cannot be put on a new quote.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import case, func, or_, select

from .desk import UnitOfWork
from .errors import InvalidInput, NotFound
from .lifecycle import APPLIANCE_CATEGORIES
from .models import LabourItem, Part, User
from .paging import Page, page_bounds
from .parsing import clean_text, parse_money, parse_quantity
from .roles import require_manager

log = logging.getLogger(__name__)

CODE = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,31}$")  # SKUs and labour codes, upper case
NAME_MAX = 100
PRICE_MAX = 100_000_000  # fen: one million yuan
WARRANTY_MONTHS_MAX = 120
MIN_LEVEL_MAX = 100_000
PAGE_SIZE = 8
QUERY_MAX = 64


# --- checking what managers type --------------------------------------------------------------

def clean_code(text, field: str = "sku") -> str:
    """A SKU or labour code: spaces dropped, upper case, letters, digits and . _ / -."""
    code = "".join(text.split()).upper() if isinstance(text, str) else ""
    if not CODE.match(code):
        raise InvalidInput(field=field, reason="format")
    return code


def whole_number(value, field: str, low: int, high: int) -> int:
    """An int within low..high (a bool or float is not one): InvalidInput otherwise."""
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(field=field, reason="format")
    if not low <= value <= high:
        raise InvalidInput(field=field, reason="range", minimum=low, maximum=high)
    return value


def parse_number(text, field: str, maximum: int) -> int:
    """A whole number from 0 to `maximum` as typed (a count, a minimum level, months): read
    by core.parsing.parse_quantity, which also takes full-width digits, with 0 allowed."""
    typed = text.strip() if isinstance(text, str) else ""
    bounds = dict(field=field, minimum=0, maximum=maximum)
    if typed and set(typed) <= {"0", "０"}:
        return 0
    try:
        number = parse_quantity(typed, maximum=maximum, field=field)
    except InvalidInput as error:
        raise InvalidInput(reason=error.details.get("reason", "format"), **bounds) from None
    if number > maximum:
        raise InvalidInput(reason="range", **bounds)
    return number


def clean_price(value, field: str = "price") -> int:
    """A price in fen: a whole number from 0 to PRICE_MAX."""
    return whole_number(value, field, 0, PRICE_MAX)


def parse_price(text: str, field: str = "price") -> int:
    """Fen from a price typed in yuan: "120", "120.5", "120.50", "¥120", "120元", "０,5"...
    (core.parsing.parse_money, with the catalogue's yuan suffix and decimal comma)."""
    cleaned = text.strip().removesuffix("元").strip().replace(",", ".") \
        if isinstance(text, str) else ""
    if cleaned.lstrip("¥￥").startswith(("-", "−", "－")):
        raise InvalidInput(field=field, reason="format")  # not a price at all
    try:
        fen = parse_money(cleaned)
    except InvalidInput as error:
        raise InvalidInput(**{**error.details, "field": field}) from None
    return clean_price(fen, field)


def clean_name(text, field: str = "name") -> str:
    return clean_text(text, field, minimum=1, maximum=NAME_MAX)


# --- parts ------------------------------------------------------------------------------------

async def add_part(uow: UnitOfWork, manager: User, *, sku: str, name: str, price: int,
                   warranty_months: int = 0, min_level: int = 0) -> Part:
    """A new catalogue part. Refuses a SKU that is taken (InvalidInput field "sku", reason
    "taken"), whatever its letter case."""
    require_manager(manager)
    sku = clean_code(sku, "sku")
    name = clean_name(name)
    price = clean_price(price)
    warranty_months = whole_number(warranty_months, "warranty_months", 0, WARRANTY_MONTHS_MAX)
    min_level = whole_number(min_level, "min_level", 0, MIN_LEVEL_MAX)
    if await uow.session.scalar(select(Part.id).where(Part.sku == sku)):
        raise InvalidInput(field="sku", reason="taken", sku=sku)
    now = uow.now()
    part = Part(sku=sku, name=name, name_key=name.casefold()[:NAME_MAX], price=price,
                warranty_months=warranty_months, min_level=min_level, active=True,
                created_at=now, updated_at=now)
    uow.session.add(part)
    await uow.session.flush()
    log.info("part %s added by %s", sku, manager.id)
    return part


async def edit_part(uow: UnitOfWork, manager: User, part: Part | int | str, *,
                    name: str | None = None, price: int | None = None,
                    warranty_months: int | None = None, min_level: int | None = None,
                    active: bool | None = None) -> Part:
    """Changes what is given (None leaves a field as it is). Quotes already written keep the
    price and warranty they were made with."""
    require_manager(manager)
    part = await get_part(uow, part, include_inactive=True)
    if name is not None:
        part.name = clean_name(name)
        part.name_key = part.name.casefold()[:NAME_MAX]
    if price is not None:
        part.price = clean_price(price)
    if warranty_months is not None:
        part.warranty_months = whole_number(warranty_months, "warranty_months", 0,
                                            WARRANTY_MONTHS_MAX)
    if min_level is not None:
        part.min_level = whole_number(min_level, "min_level", 0, MIN_LEVEL_MAX)
    if active is not None:
        if not isinstance(active, bool):
            raise InvalidInput(field="active", reason="format")
        part.active = active
    part.updated_at = uow.now()
    await uow.session.flush()
    return part


async def get_part(uow: UnitOfWork, part: Part | int | str, *,
                   include_inactive: bool = False) -> Part:
    """A part by id, by SKU (any letter case) or itself; NotFound(what="part") otherwise,
    also for an inactive part unless `include_inactive`."""
    found = None
    if isinstance(part, Part):
        found = part
    elif isinstance(part, int) and not isinstance(part, bool):
        found = await uow.session.get(Part, part)
    elif isinstance(part, str):
        try:
            sku = clean_code(part, "sku")
        except InvalidInput:
            sku = None
        if sku:
            found = await uow.session.scalar(select(Part).where(Part.sku == sku))
    if found is None or not (found.active or include_inactive):
        raise NotFound(what="part")
    return found


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_parts(uow: UnitOfWork, query: str | None = "", page: int = 1,
                       page_size: int = PAGE_SIZE, *,
                       include_inactive: bool = False) -> Page[Part]:
    """Parts whose SKU or name contains `query` (letter case aside), an exact SKU first,
    then by SKU; all parts for an empty query."""
    text = " ".join(query.split())[:QUERY_MAX] if isinstance(query, str) else ""
    conditions = []
    if not include_inactive:
        conditions.append(Part.active.is_(True))
    exact = None
    if text:
        sku_text = "".join(text.split()).upper()
        conditions.append(or_(Part.sku.like(_like(sku_text), escape="\\"),
                              Part.name_key.like(_like(text.casefold()), escape="\\")))
        exact = case((Part.sku == sku_text, 0), else_=1)
    total = await uow.session.scalar(
        select(func.count(Part.id)).where(*conditions)) or 0
    page, page_size, offset = page_bounds(page, page_size, total, PAGE_SIZE)
    ordering = ([exact] if exact is not None else []) + [Part.sku]
    items = (await uow.session.scalars(
        select(Part).where(*conditions).order_by(*ordering).offset(offset).limit(page_size)
    )).all()
    return Page(tuple(items), page, page_size, total)


# --- labour items -----------------------------------------------------------------------------

def clean_category(category: str | None) -> str | None:
    """An appliance category key (see core.lifecycle.APPLIANCE_CATEGORIES), or None for any."""
    if category is None or (isinstance(category, str) and not category.strip()):
        return None
    if not isinstance(category, str) or category.strip().lower() not in APPLIANCE_CATEGORIES:
        raise InvalidInput(field="category", reason="unknown")
    return category.strip().lower()


async def add_labour_item(uow: UnitOfWork, manager: User, *, code: str, name: str,
                          price: int, category: str | None = None) -> LabourItem:
    """A priced piece of work, e.g. CALLOUT "Call-out" 5000, LABOUR-H "Repair labour, per
    hour" 8000, for one appliance category or (None) any. A taken code: InvalidInput field
    "code", reason "taken"."""
    require_manager(manager)
    code = clean_code(code, "code")
    name = clean_name(name)
    price = clean_price(price)
    category = clean_category(category)
    if await uow.session.scalar(select(LabourItem.id).where(LabourItem.code == code)):
        raise InvalidInput(field="code", reason="taken", labour_code=code)
    now = uow.now()
    item = LabourItem(code=code, name=name, price=price, category=category, active=True,
                      created_at=now, updated_at=now)
    uow.session.add(item)
    await uow.session.flush()
    return item


async def edit_labour_item(uow: UnitOfWork, manager: User, item: LabourItem | int | str, *,
                           name: str | None = None, price: int | None = None,
                           active: bool | None = None) -> LabourItem:
    require_manager(manager)
    item = await get_labour_item(uow, item, include_inactive=True)
    if name is not None:
        item.name = clean_name(name)
    if price is not None:
        item.price = clean_price(price)
    if active is not None:
        if not isinstance(active, bool):
            raise InvalidInput(field="active", reason="format")
        item.active = active
    item.updated_at = uow.now()
    await uow.session.flush()
    return item


async def get_labour_item(uow: UnitOfWork, item: LabourItem | int | str, *,
                          include_inactive: bool = False) -> LabourItem:
    """A labour item by id, code or itself; NotFound(what="labour_item") otherwise."""
    found = None
    if isinstance(item, LabourItem):
        found = item
    elif isinstance(item, int) and not isinstance(item, bool):
        found = await uow.session.get(LabourItem, item)
    elif isinstance(item, str):
        try:
            code = clean_code(item, "code")
        except InvalidInput:
            code = None
        if code:
            found = await uow.session.scalar(select(LabourItem).where(LabourItem.code == code))
    if found is None or not (found.active or include_inactive):
        raise NotFound(what="labour_item")
    return found


ANY_APPLIANCE = "any"


async def labour_items(uow: UnitOfWork, page: int = 1, page_size: int = PAGE_SIZE, *,
                       include_inactive: bool = False,
                       category: str | None = None) -> Page[LabourItem]:
    """The labour items, those for one appliance first, then by code; with `category`, those
    for that appliance and those for any (`ANY_APPLIANCE`: only those for any appliance)."""
    conditions = [] if include_inactive else [LabourItem.active.is_(True)]
    if category == ANY_APPLIANCE:
        conditions.append(LabourItem.category.is_(None))
    elif category is not None:
        conditions.append(or_(LabourItem.category == clean_category(category),
                              LabourItem.category.is_(None)))
    total = await uow.session.scalar(select(func.count(LabourItem.id)).where(*conditions)) or 0
    page, page_size, offset = page_bounds(page, page_size, total, PAGE_SIZE)
    items = (await uow.session.scalars(
        select(LabourItem).where(*conditions)
        .order_by(LabourItem.category.is_(None), LabourItem.code)  # the appliance's own first
        .offset(offset).limit(page_size))).all()
    return Page(tuple(items), page, page_size, total)


async def labour_counts(uow: UnitOfWork, manager: User) -> dict[str | None, int]:
    """How many active labour items each appliance category has (None: for any appliance)."""
    require_manager(manager)
    rows = await uow.session.execute(
        select(LabourItem.category, func.count(LabourItem.id))
        .where(LabourItem.active.is_(True)).group_by(LabourItem.category))
    return {category: count for category, count in rows}
