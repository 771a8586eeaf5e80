"""Bulk import of catalogue parts from a CSV file (`python -m bot import-parts FILE.csv`).

The file has a header row naming its columns, in any order (letter case and spaces aside):

    sku,name,price,warranty_months,min_level
    CMP-01,Compressor,450.00,12,2
    THERM-02,"Thermostat, 220 V",80,6,0

`sku`, `name` and `price` are required; `warranty_months` and `min_level` may be left out (0).
Chinese headers are understood too (编号, 名称, 价格, 保修月数, 最低库存). The price is in
yuan as a manager types it (`120.50`, `¥120`), stored in fen (core.catalogue.parse_price).
Every value is checked as the chat checks it (core.catalogue's cleaners).

All or nothing: every row is checked first, and each bad one is reported with its line number
in the file; only when no row is bad are the parts written, in one transaction. A SKU already
in the catalogue is an error, unless `update=True`, which changes that part's name, price,
warranty and minimum level instead (quotes already written keep their own copies). A SKU
twice in the file is an error on its second line. Blank lines are skipped.

Files saved by Excel are UTF-8 with a BOM, or GB18030 (GBK) on a Chinese Windows: both read.
"""
from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from .catalogue import (
    MIN_LEVEL_MAX,
    WARRANTY_MONTHS_MAX,
    clean_code,
    clean_name,
    parse_price,
)
from .desk import UnitOfWork
from .errors import InvalidInput
from .models import Part, User
from .roles import require_manager

log = logging.getLogger(__name__)

MAX_ROWS = 10_000
MAX_BYTES = 5_000_000
REQUIRED = ("sku", "name", "price")
OPTIONAL = ("warranty_months", "min_level")
# What a header cell may say for each column, once trimmed, lower case, spaces and - as _.
HEADERS = {
    "sku": ("sku", "code", "part_code", "编号", "料号", "零件编号", "配件编号"),
    "name": ("name", "part_name", "名称", "零件名称", "配件名称"),
    "price": ("price", "price_yuan", "价格", "单价", "售价"),
    "warranty_months": ("warranty_months", "warranty", "保修月数", "保修期", "保修"),
    "min_level": ("min_level", "minimum", "min", "minimum_level", "最低库存", "安全库存"),
}
WHOLE = re.compile(r"^[0-9]{1,9}$")


@dataclass(frozen=True)
class CsvSpec:
    """What one kind of catalogue file holds: its columns (and what a header may call them),
    the column that keys a row, and how a row's cells are checked. Parts here; labour items
    in core.labour_import, with the same reading, reporting and command line."""

    key: str  # the column each row is known by (sku, code)
    headers: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    check: Callable  # (line, cell) -> dict of values | list[RowError]
    things: str = "parts"  # what the rows are, in the terminal's report
    hints: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # overriding REASONS


@dataclass(frozen=True)
class RowError:
    line: int  # in the file, from 1 (the header is line 1)
    field: str | None  # the column, or None for the row as a whole
    reason: str  # format, range, empty, too_long, taken, duplicate, columns, header, ...
    value: str | None = None  # what the cell held, shortened
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    added: tuple[str, ...] = ()  # SKUs written as new parts
    updated: tuple[str, ...] = ()  # SKUs whose part was changed (update=True)
    errors: tuple[RowError, ...] = ()
    rows: int = 0  # data rows read

    @property
    def ok(self) -> bool:
        return not self.errors


class _Row:
    """A checked row: its line in the file and its values, as attributes."""

    def __init__(self, line: int, **values):
        self.line = line
        self.__dict__.update(values)


def _header_key(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", (cell or "").strip().lower())


def _columns(header: list[str], headers: dict = HEADERS,
             required: tuple = REQUIRED) -> tuple[dict[str, int], list[RowError]]:
    """Which cell of the header row holds each column (by `headers`' aliases)."""
    known = {alias: column for column, aliases in headers.items() for alias in aliases}
    where: dict[str, int] = {}
    errors = []
    for index, cell in enumerate(header):
        key = _header_key(cell)
        if not key:
            continue
        column = known.get(key)
        if column is None:
            errors.append(RowError(1, None, "unknown_column", _short(cell)))
        elif column in where:
            errors.append(RowError(1, column, "column_twice", _short(cell)))
        else:
            where[column] = index
    for column in required:
        if column not in where:
            errors.append(RowError(1, column, "missing_column"))
    return where, errors


def _short(text: str | None, limit: int = 40) -> str | None:
    if text is None:
        return None
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _whole(text: str, column: str, line: int, maximum: int) -> int | RowError:
    cleaned = (text or "").strip()
    if not cleaned:
        return 0
    if not WHOLE.match(cleaned):
        return RowError(line, column, "format", _short(text))
    value = int(cleaned)
    if value > maximum:
        return RowError(line, column, "range", _short(text), {"minimum": 0, "maximum": maximum})
    return value


def _check_row(line: int, cells: list[str], where: dict[str, int],
               spec: CsvSpec) -> _Row | list[RowError]:
    def cell(column: str) -> str:
        index = where.get(column)
        return cells[index] if index is not None and index < len(cells) else ""

    checked = spec.check(line, cell)
    return checked if isinstance(checked, list) else _Row(line, **checked)


def check_name_and_price(line: int, cell, errors: list[RowError], values: dict) -> None:
    """The name and price columns, as both kinds of file have them."""
    try:
        values["name"] = clean_name(cell("name"))
    except InvalidInput as error:
        errors.append(RowError(line, "name", error.details.get("reason", "format"),
                               _short(cell("name")), {k: v for k, v in error.details.items()
                                                      if k not in ("field", "reason")}))
    if not cell("price").strip():
        errors.append(RowError(line, "price", "empty"))
    else:
        try:
            values["price"] = parse_price(cell("price"))
        except InvalidInput as error:
            errors.append(RowError(line, "price", error.details.get("reason", "format"),
                                   _short(cell("price"))))


def check_code(line: int, cell, column: str, errors: list[RowError], values: dict) -> None:
    try:
        values[column] = clean_code(cell(column), column)
    except InvalidInput:
        errors.append(RowError(line, column, "empty" if not cell(column).strip() else "format",
                               _short(cell(column))))


def _check_part(line: int, cell) -> dict | list[RowError]:
    errors: list[RowError] = []
    values: dict[str, object] = {}
    check_code(line, cell, "sku", errors, values)
    check_name_and_price(line, cell, errors, values)
    for column, maximum in (("warranty_months", WARRANTY_MONTHS_MAX),
                            ("min_level", MIN_LEVEL_MAX)):
        checked = _whole(cell(column), column, line, maximum)
        if isinstance(checked, RowError):
            errors.append(checked)
        else:
            values[column] = checked
    return errors or values


PARTS = CsvSpec(key="sku", headers=HEADERS, required=REQUIRED, check=_check_part)


def read_rows(text: str, spec: CsvSpec = PARTS) -> tuple[list[_Row], list[RowError], int]:
    """The file's rows checked: (good rows, errors, number of data rows). Nothing is written."""
    return read_table(text, lambda line, cells, where: _check_row(line, cells, where, spec),
                      headers=spec.headers, required=spec.required,
                      unique=(spec.key, lambda row: getattr(row, spec.key)))


def read_table(text: str, check_row, *, headers: dict = HEADERS, required: tuple = REQUIRED,
               unique: tuple | None = None, max_rows: int = MAX_ROWS) -> tuple[list, list, int]:
    """A CSV file with a header row, checked row by row: (good rows, errors, data rows).
    `check_row(line, cells, where)` returns a row or a list of RowError; `unique` is
    (column, key of a row or None): a key seen on an earlier line is a "duplicate" error.
    Blank lines are skipped; cells beyond the header's columns must be empty."""
    if not isinstance(text, str) or not text.strip():
        return [], [RowError(1, None, "empty_file")], 0
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list = []
    errors: list[RowError] = []
    where: dict[str, int] | None = None
    first_line_of: dict = {}
    count = 0
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any((c or "").strip() for c in cells):
                continue
            if where is None:
                where, header_errors = _columns(cells, headers, required)
                if header_errors:
                    return [], header_errors, 0
                continue
            count += 1
            if count > max_rows:
                return [], [RowError(line, None, "too_many_rows", None,
                                     {"maximum": max_rows})], count
            if len(cells) > len(where) and any(
                    (c or "").strip() for i, c in enumerate(cells)
                    if i not in where.values()):
                errors.append(RowError(line, None, "columns", None,
                                       {"expected": len(where), "found": len(cells)}))
                continue
            checked = check_row(line, cells, where)
            if isinstance(checked, list):
                errors.extend(checked)
                continue
            if unique is not None:
                column, key_of = unique
                key = key_of(checked)
                if key is not None and key in first_line_of:
                    errors.append(RowError(line, column, "duplicate", str(key),
                                           {"first_line": first_line_of[key]}))
                    continue
                if key is not None:
                    first_line_of[key] = line
            rows.append(checked)
    except csv.Error as error:
        errors.append(RowError(reader.line_num or last_line + 1, None, "csv", _short(str(error))))
    if where is None:
        return [], [RowError(1, None, "empty_file")], 0
    if not rows and not errors:
        errors.append(RowError(last_line or 1, None, "no_rows"))
    return rows, errors, count


async def import_parts(uow: UnitOfWork, manager_or_none: User | None, text: str, *,
                       update: bool = False) -> ImportResult:
    """Checks every row of the CSV `text` and, only if all are good, adds (or with `update`,
    also changes) the parts in this unit of work: the caller commits when `result.ok`.
    `manager_or_none` is the manager importing in chat, or None for the command line (the
    operator of the server)."""
    def make(row, now) -> Part:
        return Part(sku=row.sku, name=row.name, name_key=row.name.casefold()[:100],
                    price=row.price, warranty_months=row.warranty_months,
                    min_level=row.min_level, active=True, created_at=now, updated_at=now)

    def change(part: Part, row, now) -> None:
        part.name, part.name_key = row.name, row.name.casefold()[:100]
        part.price, part.warranty_months = row.price, row.warranty_months
        part.min_level, part.updated_at = row.min_level, now

    return await save_rows(uow, manager_or_none, lambda: read_rows(text), Part, "sku",
                           make, change, update=update, what="parts")


async def save_rows(uow: UnitOfWork, manager_or_none: User | None, read, model, key: str,
                    make, change, *, update: bool, what: str) -> ImportResult:
    """What the catalogue imports share (parts here, labour items in core.labour_import):
    every row read and checked, a key already in the catalogue refused unless `update`, and
    only when all rows are good, new items made (`make(row, now)`) and existing ones changed
    (`change(item, row, now)`) in this unit of work."""
    if manager_or_none is not None:
        require_manager(manager_or_none)
    rows, errors, count = read()
    column = getattr(model, key)
    keys = [getattr(row, key) for row in rows]
    existing: dict = {}
    for start in range(0, len(keys), 500):
        found = await uow.session.scalars(select(model).where(column.in_(keys[start:start + 500])))
        existing.update({getattr(item, key): item for item in found})
    if not update:
        errors.extend(RowError(row.line, key, "taken", getattr(row, key))
                      for row in rows if getattr(row, key) in existing)
    if errors:
        errors.sort(key=lambda e: (e.line, e.field or ""))
        return ImportResult(errors=tuple(errors), rows=count)
    now = uow.now()
    added, updated = [], []
    for row in rows:
        item = existing.get(getattr(row, key))
        if item is None:
            uow.session.add(make(row, now))
            added.append(getattr(row, key))
        else:
            change(item, row, now)
            updated.append(getattr(row, key))
    await uow.session.flush()
    log.info("%s import by %s: %s added, %s updated", what,
             manager_or_none.id if manager_or_none else "the command line", len(added),
             len(updated))
    return ImportResult(tuple(added), tuple(updated), (), count)


# --- the command line -------------------------------------------------------------------------

REASONS = {
    "format": "is not valid",
    "range": "is out of range",
    "empty": "is empty",
    "too_long": "is too long",
    "characters": "contains characters that cannot be kept",
    "taken": "is already in the catalogue (use --update to change existing parts)",
    "duplicate": "is already on line {first_line}",
    "columns": "has {found} cells, the header has {expected} columns",
    "unknown_column": "is not a known column (sku, name, price, warranty_months, min_level)",
    "column_twice": "is a column given twice",
    "missing_column": "column is missing from the header",
    "empty_file": "the file is empty: it needs a header row and at least one part",
    "no_rows": "the file has a header but no parts",
    "too_many_rows": "too many rows: at most {maximum} parts per file",
    "csv": "cannot be read as CSV",
}
HINTS = {
    "price": "a price in yuan, like 120 or 120.50",
    "sku": "letters, digits and . _ / - (up to 32), like CMP-01",
    "warranty_months": "a whole number of months, 0 to 120",
    "min_level": "a whole number, 0 to 100000",
}


def describe(result: ImportResult, path: str = "", spec: CsvSpec = PARTS) -> str:
    """The result for a terminal: one line per bad cell, or what was imported."""
    reasons, hints = {**REASONS, **spec.reasons}, {**HINTS, **spec.hints}
    if result.ok:
        things = spec.things if len(result.added) != 1 else spec.things.removesuffix("s")
        parts = [f"{len(result.added)} {things} added"]
        if result.updated:
            parts.append(f"{len(result.updated)} updated")
        return f"{path + ': ' if path else ''}{', '.join(parts)}."
    return describe_errors(result.errors, path, reasons, hints)


def describe_errors(errors, path: str = "", reasons: dict = REASONS,
                    hints: dict = HINTS) -> str:
    """Bad rows for a terminal: "nothing imported", then one line per bad cell."""
    lines = [f"{path + ': ' if path else ''}nothing imported; "
             f"{len(errors)} problem{'s' if len(errors) != 1 else ''}:"]
    for error in errors:
        text = reasons.get(error.reason, error.reason).format(**error.details)
        what = f"{error.field}" if error.field else "row"
        if error.reason in ("empty_file", "no_rows", "too_many_rows"):
            lines.append(f"  line {error.line}: {text}")
            continue
        value = f" {error.value!r}" if error.value is not None else ""
        hint = (f" (expected {hints[error.field]})"
                if error.field in hints and error.reason in ("format", "range") else "")
        lines.append(f"  line {error.line}: {what}{value} {text}{hint}")
    return "\n".join(lines)


def read_file(path: str | Path) -> str:
    """The file's text: UTF-8 (with or without a BOM), else GB18030. OSError or ValueError
    when it cannot be read."""
    data = Path(path).read_bytes()
    if len(data) > MAX_BYTES:
        raise ValueError(f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("the file is neither UTF-8 nor GB18030 text")
