"""Customers following their orders: the list, a card with its timeline, reschedule, cancel.

No conversation here: every button carries the order id and is checked on the server against
the pressing user (someone else's order answers exactly like a missing one).
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import (
    booking,
    complaint_views,
    complaints,
    customer_orders,
    lifecycle,
    orders,
    quotes,
    ratings,
    repair_reports,
    warranty,
    windows,
)
from core.errors import InvalidInput
from core.windows import WindowFull

from . import reports
from .chat import (
    Context,
    day_label,
    desk,
    keyboard,
    label,
    pager,
    person,
    rows_of,
    say,
    show,
    texts,
    toast,
)
from .flow import Entry, Flow, Next, Question, Step, Turn
from .notify import wake_reminders
from .reminder_texts import quote_buttons, star_buttons
from .texts import MESSAGE_MAX, visible_length, window_label

log = logging.getLogger(__name__)

ID = r"\d{1,12}"
DAY = r"\d{4}-\d{2}-\d{2}"
REASONS = "|".join(booking.CANCEL_REASONS)


async def orders_command(update: Update, context: Context):
    if context.args:  # "/orders R-1001": that order's card
        return await _send_card(update, context, " ".join(context.args)[:40])
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
    if user.role == lifecycle.MANAGER and user.active:
        return await reports.manager_orders(update, context)  # all orders, by filter
    await _send_page(update, context, 1)


async def orders_from_menu(update: Update, context: Context):
    await update.callback_query.answer()
    await _send_page(update, context, 1, edit=False)


async def status_command(update: Update, context: Context):
    if not context.args:
        await say(update, context, "status_usage")
        return
    await _send_card(update, context, " ".join(context.args)[:40])


async def page_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _send_page(update, context, int(update.callback_query.data.split(":")[2]))


async def _send_page(update: Update, context: Context, page: int, *, edit: bool = True):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        listing = await customer_orders.list_orders(uow, user, page)
    rows = [[(_line_label(update, context, line), f"or:v:{line.id}")] for line in listing.items]
    rows += pager(update, context, listing, "or:p:{page}")
    reply = show if edit else say
    await reply(update, context, "orders_list", page=listing.page, pages=listing.pages,
                total=listing.total, reply_markup=keyboard(rows) if rows else None)


def _line_label(update, context, line) -> str:
    what = label(update, context, f"category.{line.category or 'other'}")
    when = day_label(update, context, line.booked_date) if line.booked_date else ""
    return f"{line.number} · {what} · {when} · {label(update, context, f'status.{line.status}')}"


async def card_pressed(update: Update, context: Context):
    await update.callback_query.answer()
    await _send_card(update, context, int(update.callback_query.data.split(":")[2]))


async def _send_card(update: Update, context: Context, number_or_id):
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        card = await customer_orders.order_card(uow, user, number_or_id)
        finished = card.status in (lifecycle.COMPLETED, lifecycle.CLOSED)
        claimable = (finished and user.role == lifecycle.CUSTOMER
                     and (await warranty.warranty_status(uow, user, card.id)).claimable)
        rateable = (finished and user.role == lifecycle.CUSTOMER
                    and await ratings.order_rating(uow, user, card.id) is None)
        complained = await complaint_views.about_order(uow, user, card.id)
    rows = []
    if "approve_quote" in card.actions:
        rows.append([(label(update, context, "button.see_quote"), f"or:q:{card.id}")])
    if "reschedule" in card.actions:
        rows.append([(label(update, context, "button.reschedule"), f"or:rs:{card.id}")])
    if "cancel" in card.actions:
        rows.append([(label(update, context, "button.cancel_order"), f"or:c:{card.id}")])
    if card.status in (lifecycle.COMPLETED, lifecycle.CLOSED):
        rows.append([(label(update, context, "button.report"), f"or:rp:{card.id}")])
    if rateable:
        rows.append([(label(update, context, "button.rate"), f"or:rt:{card.id}")])
    if claimable:
        rows.append([(label(update, context, "button.claim_warranty"), f"or:wc:{card.id}")])
    for line in complained[-3:]:  # the latest complaints about it, to follow them
        rows.append([(label(update, context, "complaint.button.see_one", number=line.number,
                            status=label(update, context, f"complaint.status.{line.status}")),
                      f"cm:v:{line.id}")])
    if user.role == lifecycle.CUSTOMER and not any(
            line.status in complaints.UNFINISHED for line in complained):
        rows.append([(label(update, context, "complaint.button.complain"), f"cm:o:{card.id}")])
    if user.role == lifecycle.MANAGER:
        if card.status in (lifecycle.NEW, lifecycle.SCHEDULED):
            rows.append([(label(update, context, "button.dispatch_order"), f"dp:v:{card.id}")])
        rows.append([(label(update, context, "reports.button.filters"), "mo:menu")])
    else:
        rows.append([(label(update, context, "button.all_orders"), "or:p:1")])
    card, hidden = _fitting(update, context, card)
    await show(update, context, "order_card", card=card, hidden=hidden,
               reply_markup=keyboard(rows), **_when(update, context, card))


def _fitting(update, context, card) -> tuple[customer_orders.OrderCard, int]:
    """The card with as much of its history as fits one message: the latest events, and how
    many earlier ones are left out (a long-running order can have hundreds)."""
    hidden, total = 0, len(card.timeline)
    while True:
        shown = replace(card, timeline=card.timeline[hidden:])
        text = texts(context).render(context.user_data["lang"], "order_card", card=shown,
                                     hidden=hidden, **_when(update, context, card))
        over = visible_length(text) - MESSAGE_MAX
        if over <= 0 or hidden >= total - 1:
            return shown, hidden
        hidden = min(total - 1, hidden + max(1, over // 200))  # ~200 characters an event


def _when(update, context, card) -> dict:
    return {"day": day_label(update, context, card.booked_date) if card.booked_date else "",
            "window": window_label(card.window) if card.window else ""}


async def reschedule_pressed(update: Update, context: Context):
    order_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, order_id)
        booking.check_reschedulable(order)
        days = await windows.offers(uow, order.category or "other", order=order)
    await update.callback_query.answer()
    buttons = [(day_label(update, context, d.day) + ("" if d.free else " · " + label(
        update, context, "button.full")), f"or:rd:{order_id}:{d.day.isoformat()}") for d in days]
    rows = rows_of(buttons) + [[(label(update, context, "button.back"), f"or:v:{order_id}")]]
    await show(update, context, "reschedule_day", number=order.number, reply_markup=keyboard(rows))


async def reschedule_day_pressed(update: Update, context: Context):
    _, _, order_id, day = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, int(order_id))
        offered = await windows.window_offers(uow, date.fromisoformat(day),
                                              order.category or "other", order=order)
    await update.callback_query.answer()
    free = [w for w in offered if w.free > 0 and not (
        w.day == order.booked_date and w.window == order.window)]
    rows = [[(window_label(w.window), f"or:rw:{order_id}:{day}:{w.window}")] for w in free]
    rows.append([(label(update, context, "button.back"), f"or:rs:{order_id}")])
    await show(update, context, "reschedule_window", number=order.number, none_left=not free,
               day=day_label(update, context, day), reply_markup=keyboard(rows))


async def reschedule_window_pressed(update: Update, context: Context):
    _, _, order_id, day, window = update.callback_query.data.split(":", 4)
    try:
        async with desk(context).uow() as uow:
            user = await person(uow, update, context)
            order = await orders.find_order_for(uow, user, int(order_id))
            await booking.reschedule(uow, user, order, day, window)
            await uow.commit()
    except (WindowFull, InvalidInput) as error:
        await update.callback_query.answer()
        await say(update, context, f"error_{error.code}", **error.details)
        return
    await update.callback_query.answer()
    log.info("order %s rescheduled by the customer", order.number)
    await show(update, context, "rescheduled", number=order.number,
               day=day_label(update, context, day), window=window_label(window),
               reply_markup=keyboard([[(label(update, context, "button.see_order"),
                                        f"or:v:{order_id}")]]))


async def cancel_pressed(update: Update, context: Context):
    order_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, order_id)
    await update.callback_query.answer()
    rows = [[(label(update, context, f"cancel_reason.{r}"), f"or:cr:{order_id}:{r}")]
            for r in booking.CANCEL_REASONS]
    rows.append([(label(update, context, "button.keep_order"), f"or:v:{order_id}")])
    await show(update, context, "cancel_reason", number=order.number, reply_markup=keyboard(rows))


async def cancel_reason_pressed(update: Update, context: Context):
    _, _, order_id, reason = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, int(order_id))
    await update.callback_query.answer()
    await show(update, context, "cancel_confirm", number=order.number,
               reason=label(update, context, f"cancel_reason.{reason}"), reply_markup=keyboard([
                   [(label(update, context, "button.cancel_yes"), f"or:cy:{order_id}:{reason}")],
                   [(label(update, context, "button.keep_order"), f"or:v:{order_id}")]]))


async def cancel_confirmed(update: Update, context: Context):
    _, _, order_id, reason = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        order = await orders.find_order_for(uow, user, int(order_id))
        await booking.cancel(uow, user, order, reason)
        await uow.commit()
    await update.callback_query.answer()
    log.info("order %s cancelled by the customer (%s)", order.number, reason)
    await show(update, context, "order_cancelled", number=order.number)


# --- quotes, reports, ratings -----------------------------------------------------------

async def quote_pressed(update: Update, context: Context):
    """The quote waiting for the customer's answer, again, with its buttons."""
    order_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        quote = await quotes.quote_view(uow, user, order_id)
    await update.callback_query.answer()
    await say(update, context, "quote", quote=quote, reply_markup=keyboard(
        quote_buttons(texts(context), context.user_data["lang"], quote)
        if quote.status == quotes.SENT else []))


async def quote_answered(update: Update, context: Context):
    """The customer's answer to one version of a quote (qt:<answer>:<order>:<version>): a
    approves; d only asks to confirm (declining closes the order), offering a different
    quote instead; dy declines for good; rq asks the technician for a different quote."""
    _, answer, order_id, version = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        current = await quotes.quote_view(uow, user, int(order_id))
        if current.status != quotes.SENT or current.version != int(version):
            await toast(update, context, "toast.stale_button")
            return
        revision = await quotes.is_revision(uow, user, int(order_id))
        if answer == "d":
            await update.callback_query.answer()
            await show(update, context, "quote_decline_confirm", quote=current,
                       revision=revision, reply_markup=keyboard(
                           _decline_buttons(update, context, current, revision)))
            return
        decide = {"a": quotes.approve_quote, "dy": quotes.decline_quote,
                  "rq": quotes.request_requote}[answer]
        decided = await decide(uow, user, int(order_id))
        await uow.commit()
    await update.callback_query.answer()
    log.info("order %s: quote v%s %s by the customer", decided.order_number, decided.version,
             {"a": "approved", "dy": "declined", "rq": "sent back for revision"}[answer])
    wake_reminders(context)  # the technician hears the answer now
    await show(update, context, "quote_decided", quote=decided, approved=answer == "a",
               requote=answer == "rq", revision=revision)


def _decline_buttons(update, context, quote, revision: bool) -> list:
    at = f"{quote.order_id}:{quote.version}"
    if revision:
        rows = [[(label(update, context, "button.decline_revision_for_good"), f"qt:dy:{at}")]]
    else:
        rows = [[(label(update, context, "button.request_requote"), f"qt:rq:{at}")],
                [(label(update, context, "button.decline_for_good"), f"qt:dy:{at}")]]
    return rows + [[(label(update, context, "button.back_to_quote"), f"qt:b:{at}")]]


async def quote_back_pressed(update: Update, context: Context):
    """From the decline question back to the quote and its buttons."""
    _, _, order_id, version = update.callback_query.data.split(":")
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        quote = await quotes.quote_view(uow, user, int(order_id))
    if quote.status != quotes.SENT or quote.version != int(version):
        await toast(update, context, "toast.stale_button")
        return
    await update.callback_query.answer()
    await show(update, context, "quote", quote=quote, reply_markup=keyboard(
        quote_buttons(texts(context), context.user_data["lang"], quote)))


async def report_pressed(update: Update, context: Context):
    order_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        report = await repair_reports.repair_report(uow, user, order_id)
    await update.callback_query.answer()
    await say(update, context, "repair_report", report=report)


async def rate_pressed(update: Update, context: Context):
    """The stars for a finished order, from its card (the same stars as the report's)."""
    order_id = int(update.callback_query.data.split(":")[2])
    async with desk(context).uow() as uow:
        user = await person(uow, update, context)
        card = await customer_orders.order_card(uow, user, order_id)
        rated = await ratings.order_rating(uow, user, order_id)
    await update.callback_query.answer()
    if rated is not None:
        await say(update, context, "error_not_allowed", reason="already_rated", stars=rated.stars)
        return
    await say(update, context, "rate_ask", number=card.number,
              reply_markup=keyboard(star_buttons(card.id)))


async def stars_pressed(turn: Turn, match) -> Next:
    """Stars from the report or the card: recorded at once, then a comment may follow."""
    rating = await ratings.rate(turn.uow, turn.user, int(match.group(1)), int(match.group(2)))
    turn.draft["order"] = rating.order_id
    turn.draft["stars"] = rating.stars
    return turn.goto("comment")


async def ask_comment(turn: Turn) -> Question:
    return Question("rating_thanks", [[(turn.label("button.skip_comment"), "skip")]],
                    {"stars": turn.draft["stars"]}, nav=False)


async def comment_typed(turn: Turn, text: str) -> Next:
    await ratings.add_comment(turn.uow, turn.user, turn.draft["order"], text)
    turn.say("rating_comment_saved")
    return turn.end()


async def comment_skipped(turn: Turn, value: str) -> Next:
    turn.replace("rating_comment_skipped")
    return turn.end()


RATING = Flow(
    name="rating", prefix="rt",
    entries=[Entry(stars_pressed, press=rf"^rt:({ID}):([1-5])$")],
    steps={"comment": Step(ask_comment, text=comment_typed, press=comment_skipped,
                           wrong="expected_text")},
)


def handlers():
    return [
        CallbackQueryHandler(quote_pressed, pattern=rf"^or:q:{ID}$"),
        CallbackQueryHandler(quote_answered, pattern=rf"^qt:(a|d|dy|rq):{ID}:\d{{1,4}}$"),
        CallbackQueryHandler(quote_back_pressed, pattern=rf"^qt:b:{ID}:\d{{1,4}}$"),
        CallbackQueryHandler(report_pressed, pattern=rf"^or:rp:{ID}$"),
        CallbackQueryHandler(rate_pressed, pattern=rf"^or:rt:{ID}$"),
        CommandHandler("orders", orders_command),
        CommandHandler("status", status_command),
        CallbackQueryHandler(orders_from_menu, pattern=r"^menu:orders$"),
        CallbackQueryHandler(page_pressed, pattern=r"^or:p:\d{1,6}$"),
        CallbackQueryHandler(card_pressed, pattern=rf"^or:v:{ID}$"),
        CallbackQueryHandler(reschedule_pressed, pattern=rf"^or:rs:{ID}$"),
        CallbackQueryHandler(reschedule_day_pressed, pattern=rf"^or:rd:{ID}:{DAY}$"),
        CallbackQueryHandler(reschedule_window_pressed, pattern=rf"^or:rw:{ID}:{DAY}:\d\d-\d\d$"),
        CallbackQueryHandler(cancel_pressed, pattern=rf"^or:c:{ID}$"),
        CallbackQueryHandler(cancel_reason_pressed, pattern=rf"^or:cr:{ID}:({REASONS})$"),
        CallbackQueryHandler(cancel_confirmed, pattern=rf"^or:cy:{ID}:({REASONS})$"),
    ]
