"""Quotes: built by the technician on site, line by line, approved or declined by the customer.

A quote belongs to an order and has versions. The technician builds a draft (stored at once,
so a half-built quote survives a restart of the bot): parts from the catalogue (name, SKU,
price and warranty months copied from the catalogue at that moment), labour items, typed
labour (a description and an amount). Sending freezes the version (status "sent") and moves
the order to awaiting_approval; the customer approves it (the order goes to in_progress, the
version becomes "approved" and any earlier approved version "superseded") or declines it (the
order is closed: diagnosis only). A revised quote, when the work needs more than was approved,
is the next version: its draft starts as a copy of the approved version's lines.

Warranty pricing is automatic (see core.warranty for what is covered): a covered part is put
on the quote at unit price 0, marked warranty, with its catalogue price kept as `list_price`;
when only some units are covered the part becomes two lines, covered and charged. Labour on a
warranty order is free in the same way while the workmanship warranty of the claimed order
holds.

Money is integer fen throughout.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from . import lifecycle, orders
from .access import find, locked
from .catalogue import PRICE_MAX, get_labour_item, get_part, whole_number
from .desk import UnitOfWork
from .errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from .lifecycle import CUSTOMER, TECHNICIAN
from .models import Diagnosis, LabourItem, Part, Quote, QuoteLine, ServiceOrder, User
from .parsing import clean_text
from .roles import require_customer, require_technician
from .warranty import labour_coverage, part_coverage

log = logging.getLogger(__name__)

DRAFT, SENT, APPROVED, DECLINED, SUPERSEDED = (
    "draft", "sent", "approved", "declined", "superseded")
PART, LABOUR, TYPED_LABOUR = "part", "labour", "typed_labour"
LABOUR_KINDS = (LABOUR, TYPED_LABOUR)
LINES_MAX = 30
LINE_QUANTITY_MAX = 99
TYPED_MIN, TYPED_MAX = 2, 100
DECLINE_NOTE = "diagnosis_only"


@dataclass(frozen=True)
class QuoteLineView:
    id: int
    position: int
    kind: str  # part, labour, typed_labour
    sku: str | None  # parts only
    name: str
    quantity: int
    unit_price: int  # fen; 0 when covered by warranty
    line_total: int  # fen
    list_price: int  # fen: the price without warranty
    warranty: bool  # covered by a still-valid warranty, priced at zero
    warranty_months: int | None  # parts: the part's own warranty once fitted


@dataclass(frozen=True)
class QuoteView:
    id: int
    order_id: int
    order_number: str
    version: int
    status: str  # draft, sent, approved, declined, superseded
    lines: tuple[QuoteLineView, ...]
    parts_total: int  # fen
    labour_total: int  # fen
    total: int  # fen
    warranty_saving: int  # fen: what the warranty lines would have cost
    created_at: datetime  # aware UTC
    sent_at: datetime | None
    decided_at: datetime | None

    @property
    def has_warranty_lines(self) -> bool:
        return any(line.warranty for line in self.lines)


def view(quote: Quote, order: ServiceOrder) -> QuoteView:
    lines = tuple(
        QuoteLineView(id=line.id, position=line.position, kind=line.kind, sku=line.sku,
                      name=line.description, quantity=line.quantity,
                      unit_price=line.unit_price, line_total=line.total,
                      list_price=line.list_price, warranty=line.warranty,
                      warranty_months=line.warranty_months)
        for line in sorted(quote.lines, key=lambda line: line.position))
    parts_total = sum(line.line_total for line in lines if line.kind == PART)
    labour_total = sum(line.line_total for line in lines if line.kind in LABOUR_KINDS)
    saving = sum(line.list_price * line.quantity for line in lines if line.warranty)
    return QuoteView(id=quote.id, order_id=order.id, order_number=order.number,
                     version=quote.version, status=quote.status, lines=lines,
                     parts_total=parts_total, labour_total=labour_total,
                     total=parts_total + labour_total, warranty_saving=saving,
                     created_at=quote.created_at, sent_at=quote.sent_at,
                     decided_at=quote.decided_at)


def total(quote: Quote) -> int:
    return sum(line.total for line in quote.lines)


# --- reading quotes ---------------------------------------------------------------------------

async def _quotes(uow: UnitOfWork, order: ServiceOrder, *statuses: str) -> list[Quote]:
    query = select(Quote).where(Quote.order_id == order.id)
    if statuses:
        query = query.where(Quote.status.in_(statuses))
    return list(await uow.session.scalars(query.order_by(Quote.version.desc())))


async def approved_quote(uow: UnitOfWork, order: ServiceOrder) -> Quote | None:
    """The version the customer approved last (the work and the bill follow it)."""
    found = await _quotes(uow, order, APPROVED)
    return found[0] if found else None


async def current_draft(uow: UnitOfWork, order: ServiceOrder) -> Quote | None:
    found = await _quotes(uow, order, DRAFT)
    return found[0] if found else None


async def quote_view(uow: UnitOfWork, viewer: User, order: ServiceOrder | int | str,
                     version: int | None = None) -> QuoteView:
    """A version of the order's quote (the latest without `version`) as `viewer` may see it:
    customers see what was sent to them, never a draft. NotFound(what="quote") when there is
    none; NotFound(what="order") for someone else's order."""
    order = await find(uow, viewer, order)
    hidden = (DRAFT,) if viewer.role == CUSTOMER else ()
    for quote in await _quotes(uow, order):
        if quote.status not in hidden and version in (None, quote.version):
            return view(quote, order)
    raise NotFound(what="quote")


async def is_revision(uow: UnitOfWork, viewer: User, order: ServiceOrder | int | str) -> bool:
    """Whether the order has an approved quote, so that a newer one is a revision of it."""
    order = await find(uow, viewer, order)
    return bool(await _quotes(uow, order, APPROVED))


# --- the technician builds a draft ------------------------------------------------------------

def _check_quotable(order: ServiceOrder) -> None:
    """Quotes are for repair and warranty orders, on site or in progress (a revision)."""
    try:
        lifecycle.target_status("send_quote", order.status, TECHNICIAN, order.kind)
    except TransitionRefused as refused:
        raise TransitionRefused(action="quote", status=order.status,
                                reason=refused.details["reason"], order=order.number) from None


async def _editable(uow: UnitOfWork, technician: User,
                    order: ServiceOrder | int | str) -> tuple[ServiceOrder, Quote]:
    require_technician(technician)
    order = await locked(uow, technician, order)
    _check_quotable(order)
    return order, await _draft(uow, technician, order)


async def _draft(uow: UnitOfWork, technician: User, order: ServiceOrder) -> Quote:
    """The order's draft quote, started when there is none: the next version, with a copy of
    the approved version's lines when revising. Call with the order locked (`_editable`)."""
    existing = await current_draft(uow, order)
    if existing is not None:
        return existing
    latest = await uow.session.scalar(
        select(func.max(Quote.version)).where(Quote.order_id == order.id)) or 0
    now = uow.now()
    quote = Quote(order_id=order.id, version=latest + 1, status=DRAFT,
                  created_by_id=technician.id, created_at=now, lines=[])
    # Revising: the approved version's lines; after the customer asked for a different quote
    # (the order is back on site), the lines of the one they asked to change.
    basis = await approved_quote(uow, order)
    if basis is None and order.status == lifecycle.ON_SITE:
        declined = await _quotes(uow, order, DECLINED)
        basis = declined[0] if declined else None
    for line in sorted(basis.lines, key=lambda line: line.position) if basis else ():
        quote.lines.append(QuoteLine(
            position=line.position, kind=line.kind, part_id=line.part_id,
            labour_item_id=line.labour_item_id, sku=line.sku, description=line.description,
            quantity=line.quantity, unit_price=line.unit_price, list_price=line.list_price,
            warranty=line.warranty, warranty_months=line.warranty_months,
            covered_by_order_id=line.covered_by_order_id, created_at=now))
    uow.session.add(quote)
    await uow.session.flush()
    log.info("order %s: quote v%s started", order.number, quote.version)
    return quote


def _room_for(quote: Quote, lines: int) -> None:
    if len(quote.lines) + lines > LINES_MAX:
        raise InvalidInput(field="lines", reason="too_many", limit=LINES_MAX)


def _next_position(quote: Quote) -> int:
    return max((line.position for line in quote.lines), default=0) + 1


def _line_quantity(quantity) -> int:
    return whole_number(quantity, "quantity", 1, LINE_QUANTITY_MAX)


async def add_part(uow: UnitOfWork, technician: User, order: ServiceOrder | int | str,
                   part: Part | int | str, quantity: int = 1) -> list[QuoteLine]:
    """Adds a catalogue part (active parts only) to the draft: one line, or two when only
    some of the units are covered by warranty (the covered line first)."""
    quantity = _line_quantity(quantity)
    order, quote = await _editable(uow, technician, order)
    part = await get_part(uow, part)
    covered, covering_order = await part_coverage(uow, order, part.id)
    covered -= sum(line.quantity for line in quote.lines
                   if line.kind == PART and line.part_id == part.id and line.warranty)
    free = min(quantity, max(covered, 0))
    pieces = [(free, True), (quantity - free, False)]
    pieces = [(n, warranty) for n, warranty in pieces if n]
    _room_for(quote, len(pieces))
    added = []
    for n, warranty in pieces:
        line = QuoteLine(position=_next_position(quote), kind=PART, part_id=part.id,
                         sku=part.sku, description=part.name, quantity=n,
                         unit_price=0 if warranty else part.price, list_price=part.price,
                         warranty=warranty, warranty_months=part.warranty_months,
                         covered_by_order_id=covering_order if warranty else None,
                         created_at=uow.now())
        quote.lines.append(line)
        added.append(line)
    await uow.session.flush()
    return added


async def add_labour(uow: UnitOfWork, technician: User, order: ServiceOrder | int | str,
                     item: LabourItem | int | str, quantity: int = 1) -> QuoteLine:
    """Adds a labour item (e.g. 2 × repair labour per hour) at its catalogue price."""
    quantity = _line_quantity(quantity)
    order, quote = await _editable(uow, technician, order)
    item = await get_labour_item(uow, item)
    _room_for(quote, 1)
    return await _add_labour_line(uow, order, quote, LABOUR, item.name, item.price, quantity,
                                  labour_item_id=item.id)


async def add_typed_labour(uow: UnitOfWork, technician: User, order: ServiceOrder | int | str,
                           description: str, amount: int) -> QuoteLine:
    """Adds labour described in words (2 to 100 characters) with an amount in fen."""
    description = clean_text(description, "description", minimum=TYPED_MIN, maximum=TYPED_MAX)
    amount = whole_number(amount, "amount", 1, PRICE_MAX)
    order, quote = await _editable(uow, technician, order)
    _room_for(quote, 1)
    return await _add_labour_line(uow, order, quote, TYPED_LABOUR, description, amount, 1)


async def _add_labour_line(uow: UnitOfWork, order: ServiceOrder, quote: Quote, kind: str,
                           description: str, price: int, quantity: int, *,
                           labour_item_id: int | None = None) -> QuoteLine:
    covering_order = await labour_coverage(uow, order)
    line = QuoteLine(position=_next_position(quote), kind=kind, labour_item_id=labour_item_id,
                     description=description, quantity=quantity,
                     unit_price=0 if covering_order else price, list_price=price,
                     warranty=covering_order is not None, covered_by_order_id=covering_order,
                     created_at=uow.now())
    quote.lines.append(line)
    await uow.session.flush()
    return line


async def remove_line(uow: UnitOfWork, technician: User, order: ServiceOrder | int | str,
                      line_id: int) -> None:
    """Removes a line from the draft; NotFound(what="quote_line") for any other line."""
    order, quote = await _editable(uow, technician, order)
    line = next((line for line in quote.lines
                 if line.id == line_id and not isinstance(line_id, bool)), None)
    if line is None:
        raise NotFound(what="quote_line")
    quote.lines.remove(line)
    await uow.session.flush()


async def draft_view(uow: UnitOfWork, technician: User,
                     order: ServiceOrder | int | str) -> QuoteView:
    """The draft as it stands (started if there is none): lines and totals so far."""
    order, quote = await _editable(uow, technician, order)
    return view(quote, order)


async def send_quote(uow: UnitOfWork, technician: User,
                     order: ServiceOrder | int | str) -> QuoteView:
    """Freezes the draft and sends it: the order goes to awaiting_approval. Needs a diagnosis
    (NotAllowed reason "diagnosis_missing") and at least one line (InvalidInput field
    "lines", reason "empty")."""
    require_technician(technician)
    order = await locked(uow, technician, order)
    _check_quotable(order)
    if not await uow.session.scalar(
            select(Diagnosis.id).where(Diagnosis.order_id == order.id).limit(1)):
        raise NotAllowed(reason="diagnosis_missing")
    quote = await current_draft(uow, order)
    if quote is None or not quote.lines:
        raise InvalidInput(field="lines", reason="empty")
    quote.status, quote.sent_at = SENT, uow.now()
    await orders.apply(uow, order, "send_quote", technician,
                       note=f"v{quote.version} {total(quote)}")
    log.info("order %s: quote v%s sent, %s fen", order.number, quote.version, total(quote))
    return view(quote, order)


# --- the customer decides ---------------------------------------------------------------------

async def _sent(uow: UnitOfWork, customer: User, order: ServiceOrder | int | str,
                action: str) -> tuple[ServiceOrder, Quote]:
    require_customer(customer)
    order = await locked(uow, customer, order)
    try:
        lifecycle.target_status(action, order.status, CUSTOMER, order.kind)
    except TransitionRefused as refused:
        refused.details["order"] = order.number
        raise
    found = await _quotes(uow, order, SENT)
    if not found:
        raise NotFound(what="quote")
    return order, found[0]


async def approve_quote(uow: UnitOfWork, customer: User,
                        order: ServiceOrder | int | str) -> QuoteView:
    """The customer approves the quote sent to them: work may start (in_progress) and the
    bill may come to at most its total."""
    order, quote = await _sent(uow, customer, order, "approve_quote")
    now = uow.now()
    for earlier in await _quotes(uow, order, APPROVED):
        earlier.status = SUPERSEDED
    quote.status, quote.decided_at, quote.decided_by_id = APPROVED, now, customer.id
    order.quote_total = total(quote)
    await orders.apply(uow, order, "approve_quote", customer,
                       note=f"v{quote.version} {order.quote_total}")
    return view(quote, order)


async def request_requote(uow: UnitOfWork, customer: User,
                          order: ServiceOrder | int | str) -> QuoteView:
    """The customer would rather have a different quote than decline the work: this version
    is declined and the order goes back on site, where the technician revises it (the next
    version starts as a copy of this one) and sends it again. A revised quote (one approved
    before) cannot be sent back: declining it keeps the approved one (NotAllowed reason
    "revision")."""
    order, quote = await _sent(uow, customer, order, "request_requote")
    if await _quotes(uow, order, APPROVED):
        raise NotAllowed(reason="revision")
    quote.status, quote.decided_at, quote.decided_by_id = DECLINED, uow.now(), customer.id
    await orders.apply(uow, order, "request_requote", customer, note=f"v{quote.version}")
    log.info("order %s: the customer asked for another quote than v%s", order.number,
             quote.version)
    return view(quote, order)


async def decline_quote(uow: UnitOfWork, customer: User,
                        order: ServiceOrder | int | str) -> QuoteView:
    """The customer declines: the order is closed, diagnosis only; or, for a revised quote,
    the work goes on as the quote they approved earlier allows."""
    order, quote = await _sent(uow, customer, order, "decline_quote")
    quote.status, quote.decided_at, quote.decided_by_id = DECLINED, uow.now(), customer.id
    if await _quotes(uow, order, APPROVED):
        await orders.apply(uow, order, "decline_revision", customer, note=f"v{quote.version}")
    else:
        await orders.apply(uow, order, "decline_quote", customer, note=DECLINE_NOTE)
    return view(quote, order)
