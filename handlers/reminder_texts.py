"""How each reminder reads: the template, its values and its buttons, in the recipient's
language. The reminder service (bot/reminder_sender.py) sends what this renders."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from telegram import InlineKeyboardMarkup

from core import (
    complaint_views,
    complaints,
    customer_orders,
    lifecycle,
    order_lists,
    quotes,
    repair_reports,
    scorecards,
    settlement,
    stock_levels,
    triage,
)
from core.errors import DomainError, NotFound
from core.models import OrderEvent, Rating, Reminder, ServiceOrder, User

from . import count_sheets, handover, purchasing, van_requests
from .chat import keyboard
from .texts import Texts, pick_language, window_label


@dataclass(frozen=True)
class ReminderMessage:
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None
    order_number: str | None


async def render(uow, texts: Texts, default_language: str,
                 reminder: Reminder) -> ReminderMessage | None:
    recipient = await uow.session.get(User, reminder.recipient_id)
    if recipient is None or not recipient.active:
        return None
    lang = pick_language(recipient.language, recipient.telegram_language, default_language)
    values, rows, number = {}, [], None
    if reminder.order_id is not None:
        try:
            card = await customer_orders.order_card(uow, recipient, reminder.order_id)
        except NotFound:
            return None
        number = card.number
        # The event the reminder is about (its key ends with the event's id), else the last.
        event = await _event(uow, card.id, reminder.key.rsplit(":", 1)[-1])
        values.update(card=card, day=texts.day(lang, card.booked_date) if card.booked_date
                      else "", window=window_label(card.window) if card.window else "",
                      note=event.note if event and recipient.role != "customer" else None,
                      approved=bool(event and event.action == "approve_quote"),
                      requote=bool(event and event.action == "request_requote"))
        try:
            rows = await _order_extras(uow, texts, lang, recipient, reminder.kind, card, values,
                                       reminder.key.rsplit(":", 1)[-1])
        except DomainError:
            return None  # e.g. the quote was answered meanwhile: nothing to say
    elif reminder.kind == "morning_list":
        values["jobs"] = await _todays_jobs(uow, recipient)
        values["windows"] = {j.id: window_label(j.window) for j in values["jobs"] if j.window}
    elif reminder.kind in complaints.KINDS:
        found = await _complaint(uow, texts, lang, recipient, reminder, values)
        if found is None:
            return None
        rows, number = found
    elif reminder.kind == "digest":
        values.update(await _digest(uow))
    elif reminder.kind == scorecards.MONTHLY_KIND:
        month = scorecards.scored_month(reminder.key)
        card = await scorecards.monthly(uow, recipient.id, month) if month else None
        if card is None:
            return None  # no longer an active technician
        values.update(card=card, month=texts.label(
            lang, "scorecards.month", year=month.year, month=month.month,
            month_name=texts.label(lang, f"month.{month.month}")))
    elif reminder.kind == "low_stock":
        lines = {line.part_id: line for line in await stock_levels.low_stock(uow)}
        if reminder.part_id not in lines:
            return None  # stocked up again meanwhile
        values["part"] = lines[reminder.part_id]
    elif reminder.kind in (van_requests.KINDS + count_sheets.KINDS + handover.KINDS
                           + purchasing.KINDS):
        module = (van_requests if reminder.kind in van_requests.KINDS else
                  handover if reminder.kind in handover.KINDS else
                  purchasing if reminder.kind in purchasing.KINDS else count_sheets)
        found = await module.notice(uow, texts, lang, recipient, reminder)
        if found is None:
            return None
        values.update(found[0])
        rows = found[1]
    text = texts.render(lang, f"reminder_{reminder.kind}", **values)
    return ReminderMessage(recipient.telegram_id, text, keyboard(rows) if rows else None, number)


async def _order_extras(uow, texts: Texts, lang: str, recipient: User, kind: str, card,
                        values: dict, occasion: str = "") -> list:
    """What some reminders show beyond the order (the quote, the report) and their buttons."""
    label = lambda key: texts.label(lang, key)  # noqa: E731
    if kind == "unassigned":
        values["urgent"] = occasion == "urgent"  # core.priority: after 30 minutes, not 2 hours
        return []
    if kind in ("day_before", "two_hours"):
        return [[(label("button.reschedule"), f"or:rs:{card.id}"),
                 (label("button.cancel_order"), f"or:c:{card.id}")]]
    if kind == "quote":
        quote = await quotes.quote_view(uow, recipient, card.id)
        values["quote"] = quote
        return quote_buttons(texts, lang, quote)
    if kind == "report":
        values["report"] = await repair_reports.repair_report(uow, recipient, card.id)
        return star_buttons(card.id)
    if kind == "rating":
        return star_buttons(card.id)
    if kind == "assigned":
        return [[(label("jobs.button.accept"), f"jb:a:{card.id}"),
                 (label("jobs.button.decline"), f"jb:d:{card.id}")],
                [(label("button.see_job"), f"jb:v:{card.id}")]]
    if kind == "parts_request":
        request, lines = (await triage.request_lines(uow, int(occasion))
                          if occasion.isdecimal() else (None, ()))
        if request is None:
            raise NotFound(what="parts_request")  # nothing to say
        technician = await uow.session.get(User, request.technician_id)
        values.update(note=None, lines=lines, technician=technician.name if technician else "")
        return [[(label("button.see_order"), f"or:v:{card.id}")]]
    if kind == "low_rating":
        values["rating"] = await uow.session.get(Rating, card.id)
        if values["rating"] is None:
            raise NotFound(what="rating")
        return [[(label("button.see_order"), f"or:v:{card.id}")]]
    if kind == "bill_difference":
        values["check"] = await settlement.check(uow, await uow.session.get(ServiceOrder,
                                                                           card.id))
        return [[(label("settlement.button.resolve"), f"stl:o:{card.id}")]]
    if kind in ("quote_answered", "job_soon"):
        return [[(label("jobs.button.open_job"), f"jb:v:{card.id}")]]
    if recipient.role == lifecycle.CUSTOMER and kind != "on_my_way":
        return [[(label("button.see_order"), f"or:v:{card.id}")]]
    return []


def quote_buttons(texts: Texts, lang: str, quote) -> list:
    """Approve / Decline for one version of a quote: an older version's buttons are stale."""
    return [[(texts.label(lang, "button.approve_quote"), f"qt:a:{quote.order_id}:{quote.version}"),
             (texts.label(lang, "button.decline_quote"), f"qt:d:{quote.order_id}:{quote.version}")]]


def star_buttons(order_id: int) -> list:
    return [[("★" * n, f"rt:{order_id}:{n}") for n in range(1, 6)]]


async def _event(uow, order_id: int, event_id: str) -> OrderEvent | None:
    wanted = select(OrderEvent).where(OrderEvent.order_id == order_id)
    if event_id.isdecimal():
        found = await uow.session.scalar(wanted.where(OrderEvent.id == int(event_id)))
        if found is not None:
            return found
    return await uow.session.scalar(wanted.order_by(OrderEvent.id.desc()).limit(1))


async def _todays_jobs(uow, technician: User) -> list[ServiceOrder]:
    today = uow.now().astimezone(uow.company.timezone).date()
    return list(await uow.session.scalars(
        select(ServiceOrder).where(ServiceOrder.technician_id == technician.id,
                                   ServiceOrder.booked_date == today,
                                   ServiceOrder.status.in_(lifecycle.OPEN_STATUSES))
        .order_by(ServiceOrder.window_start)))


async def _digest(uow) -> dict:
    """Today's booked, unassigned and overdue orders, yesterday's completed (core.order_lists),
    and the complaints waiting for a manager (core.complaints)."""
    return {**vars(await order_lists.digest(uow)),
            "complaints": await complaint_views.waiting_count(uow)}


async def _complaint(uow, texts: Texts, lang: str, recipient: User, reminder: Reminder,
                     values: dict):
    """A complaint's notice: (buttons, complaint number), or None when there is nothing to
    say any more (taken meanwhile, answered meanwhile, or not the recipient's to see)."""
    complaint_id = complaints.complaint_of(reminder)
    try:
        card = await complaint_views.complaint_card(uow, recipient, complaint_id or 0)
    except DomainError:
        return None
    label = lambda key, **kw: texts.label(lang, key, **kw)  # noqa: E731
    values.update(card=card, staff=recipient.role == lifecycle.MANAGER)
    see = [(label("complaint.button.see"), f"cm:v:{card.id}")]
    if reminder.kind in ("complaint_new", "complaint_unhandled"):
        if card.manager_id is not None:
            return None  # a manager has it
        return [[(label("complaint.button.take"), f"cm:t:{card.id}")], see], card.number
    if reminder.kind == "complaint_resolved":
        if card.status != complaints.RESOLVED:
            return None
        return [[(label("complaint.button.satisfied"), f"cm:s:y:{card.id}"),
                 (label("complaint.button.unsatisfied"), f"cm:s:n:{card.id}")]], card.number
    if reminder.kind == "complaint_reopened":
        if card.status != complaints.REOPENED:
            return None
        return [[(label("complaint.button.resolve"), f"cm:r:{card.id}")], see], card.number
    return [see], card.number
