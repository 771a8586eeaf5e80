"""The orders of a period as a CSV file a manager opens in Excel.

UTF-8 with a byte-order mark (so Excel reads Chinese correctly), Python's csv module with
its Excel dialect, one row per order created in the period, oldest first. The rows are
streamed from the database in batches and written to a spooled temporary file (in memory up
to a few megabytes, on disk beyond), so a big month never sits in memory as objects.

Times are local (the company's time zone), money is yuan with two decimals. What a person
typed (names, addresses, brands) is written so that a spreadsheet never runs it as a
formula. Words (column titles, kinds, statuses, appliances) come from the caller, in the
manager's language: core knows no texts.
"""
from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from .desk import UnitOfWork
from .models import Address, Appliance, Rating, ServiceOrder, User
from .periods import Period, period, within
from .roles import require_manager

COLUMNS = ("number", "kind", "status", "customer", "phone", "appliance", "address",
           "booked_window", "technician", "arrived_at", "completed_at", "quote_total",
           "final_amount", "rating", "rating_comment")
BATCH = 500
IN_MEMORY_MAX = 4 * 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# words(group, key): a column title (group "column"), or the name of a kind, status or
# appliance category (groups "kind", "status", "category").
Words = Callable[[str, str], str]


@dataclass
class ExportFile:
    file: BinaryIO  # at its start
    filename: str
    rows: int
    period: Period


def yuan(fen: int | None) -> str:
    """Integer fen as yuan with two decimals: 12345 -> "123.45"; None -> ""."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def typed(text: str | None) -> str:
    """Text a person typed, made safe for a spreadsheet: never read as a formula."""
    text = (text or "").strip()
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_statement(span: Period):
    customer, technician = aliased(User), aliased(User)
    return (
        select(ServiceOrder.number, ServiceOrder.kind, ServiceOrder.status,
               customer.name, func.coalesce(ServiceOrder.phone, customer.phone),
               func.coalesce(ServiceOrder.category, Appliance.category), Appliance.brand,
               Appliance.model, Address.text, ServiceOrder.booked_date, ServiceOrder.window,
               technician.name, ServiceOrder.arrived_at, ServiceOrder.completed_at,
               ServiceOrder.quote_total, ServiceOrder.final_amount, Rating.stars, Rating.comment)
        .join(customer, customer.id == ServiceOrder.customer_id)
        .outerjoin(technician, technician.id == ServiceOrder.technician_id)
        .outerjoin(Appliance, Appliance.id == ServiceOrder.appliance_id)
        .outerjoin(Address, Address.id == ServiceOrder.address_id)
        .outerjoin(Rating, Rating.order_id == ServiceOrder.id)
        .where(within(ServiceOrder.created_at, span))
        .order_by(ServiceOrder.created_at, ServiceOrder.id))


async def export_orders(uow: UnitOfWork, manager: User, period_name: str, words: Words,
                        batch: int = BATCH) -> ExportFile:
    """The CSV of the orders created today, this week or this month."""
    require_manager(manager)
    span = period(uow, period_name)
    zone = uow.company.timezone

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    def window(day, name) -> str:
        if day is None:
            return ""
        if not name or "-" not in name:
            return day.isoformat()
        start, end = name.split("-", 1)
        return f"{day.isoformat()} {start}:00-{end}:00"

    def appliance(category, brand, model) -> str:
        what = words("category", category) if category else ""
        return typed(" ".join(x for x in (what, (brand or "").strip(), (model or "").strip())
                              if x))

    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_MAX, mode="w+b")
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([words("column", c) for c in COLUMNS])
    rows = 0
    result = await uow.session.stream(
        export_statement(span).execution_options(yield_per=batch))
    async for chunk in result.partitions():
        for (number, kind, status, name, phone, category, brand, model, address, booked_date,
             booked_window, tech_name, arrived_at, completed_at, quote_total, final_amount,
             stars, comment) in chunk:
            writer.writerow([
                number, words("kind", kind), words("status", status), typed(name),
                phone or "", appliance(category, brand, model), typed(address),
                window(booked_date, booked_window), typed(tech_name), local(arrived_at),
                local(completed_at), yuan(quote_total), yuan(final_amount),
                "" if stars is None else stars, typed(comment)])
            rows += 1
    text.flush()
    text.detach()
    spool.seek(0)
    filename = f"orders_{span.first_day.isoformat()}_{span.last_day.isoformat()}.csv"
    return ExportFile(spool, filename, rows, span)
