"""Bulk import of a company's past jobs (`python -m bot import-history FILE.csv`), so that a
company new to the bot gets suggestions from its own history from the first day (core.triage).

The file has a header row naming its columns, in any order (letter case and spaces aside):

    job,closed_on,category,brand,model,description,diagnosis,parts_used,first_visit_fixed
    H00001,2024-01-03,washing_machine,海尔,EG100,洗衣机不脱水，有嗡嗡声,排水泵损坏，更换,WM-PUMP*1,yes

`category` and `description` are required, the rest may be left out or empty. Chinese headers
are understood too (工单号, 完工日期, 品类, 品牌, 型号, 故障描述, 检测结果, 更换配件, 一次修复).
- category: the bot's code (washing_machine) or its name in Chinese or English (洗衣机,
  Washing machine);
- parts_used: catalogue SKUs, each optionally with a quantity (`WM-PUMP*1; WM-SEAL x2`),
  separated by `;`, `|`, `、` or `，`; empty when the job needed no part. Every SKU must be in
  the catalogue (`import-parts` first), so the technician's card can name the part;
- first_visit_fixed: yes/no, y/n, 1/0, true/false, 是/否; empty when unknown;
- closed_on: YYYY-MM-DD (or with / or .); job: the company's own job number, each once (a
  number already imported is refused, so importing a file twice adds nothing twice).

All or nothing, like core.parts_import (whose reader and report this shares): every row is
checked, each bad one is reported with its line number, and only a file without a bad row is
written, in one transaction. UTF-8 (with or without a BOM) or GB18030.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from .desk import UnitOfWork
from .errors import InvalidInput
from .lifecycle import APPLIANCE_CATEGORIES
from .models import Part, TriageHistory, User
from .parsing import clean_text
from .parts_import import (
    HINTS,
    REASONS,
    RowError,
    _short,
    describe_errors,
    read_table,
)
from .roles import require_manager

log = logging.getLogger(__name__)

MAX_ROWS = 50_000
REQUIRED = ("category", "description")
HEADERS = {
    "job": ("job", "job_no", "job_number", "order", "order_number", "reference", "工单号",
            "单号", "订单号"),
    "closed_on": ("closed_on", "date", "closed", "completed_on", "完工日期", "日期", "完成日期"),
    "category": ("category", "appliance", "品类", "类别", "家电类别"),
    "brand": ("brand", "品牌"),
    "model": ("model", "型号"),
    "description": ("description", "problem", "complaint", "故障描述", "问题描述", "客户描述"),
    "diagnosis": ("diagnosis", "found", "fault", "检测结果", "诊断", "故障原因"),
    "parts_used": ("parts_used", "parts", "更换配件", "使用配件", "配件"),
    "first_visit_fixed": ("first_visit_fixed", "first_time_fix", "fixed_first_visit",
                          "一次修复", "首次修复"),
}
CATEGORY_NAMES = {
    "air_conditioner": ("空调", "air conditioner", "aircon", "ac"),
    "refrigerator": ("冰箱", "refrigerator", "fridge"),
    "washing_machine": ("洗衣机", "washing machine", "washer"),
    "tv": ("电视", "电视机", "tv", "television"),
    "water_heater": ("热水器", "water heater"),
    "range_hood": ("油烟机", "抽油烟机", "range hood", "cooker hood"),
    "microwave": ("微波炉", "microwave"),
    "other": ("其他", "other"),
}
YES = ("yes", "y", "1", "true", "是", "对", "t")
NO = ("no", "n", "0", "false", "否", "不是", "f")
PART_SPLIT = re.compile(r"[;|、，；\n]")
PART_ITEM = re.compile(r"^([A-Za-z0-9._/\-]{1,32}?)(?:\s*(?:[*x×X:：]\s*|\s+)([0-9]{1,2}))?$")
DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
DESCRIPTION_MAX = 2000
DIAGNOSIS_MAX = 2000
PARTS_MAX = 30
QUANTITY_MAX = 99

HISTORY_REASONS = {
    **REASONS,
    "unknown_column": ("is not a known column (job, closed_on, category, brand, model, "
                       "description, diagnosis, parts_used, first_visit_fixed)"),
    "taken": "was imported before",
    "unknown_category": "is not an appliance category ("
                        + ", ".join(APPLIANCE_CATEGORIES) + ", or their names)",
    "unknown_part": "names a part not in the catalogue: {sku} (import the parts first with "
                    "import-parts)",
    "empty_file": "the file is empty: it needs a header row and at least one job",
    "no_rows": "the file has a header but no jobs",
    "too_many_rows": "too many rows: at most {maximum} jobs per file",
}
HISTORY_HINTS = {
    **HINTS,
    "parts_used": "SKUs with quantities, like WM-PUMP*1; WM-SEAL*2",
    "first_visit_fixed": "yes or no",
    "closed_on": "a date like 2024-03-15",
    "job": "letters, digits and . _ / - (up to 32)",
}


@dataclass(frozen=True)
class HistoryRow:
    line: int
    reference: str | None
    closed_on: date | None
    category: str
    brand: str | None
    model: str | None
    description: str
    diagnosis: str | None
    parts: tuple[tuple[str, int], ...]
    first_visit_fixed: bool | None


@dataclass(frozen=True)
class HistoryImportResult:
    added: int = 0
    errors: tuple[RowError, ...] = ()
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def category_of(text: str) -> str | None:
    key = " ".join((text or "").strip().casefold().replace("_", " ").split())
    for code, names in CATEGORY_NAMES.items():
        if key == code.replace("_", " ") or key in names:
            return code
    return None


def parse_parts(text: str) -> tuple[tuple[str, int], ...] | None:
    """`WM-PUMP*1; WM-SEAL x2` as ((sku, quantity), ...), quantities of one SKU added up;
    None when it cannot be read."""
    wanted: dict[str, int] = {}
    for item in PART_SPLIT.split(text or ""):
        item = item.strip()
        if not item:
            continue
        match = PART_ITEM.match(item)
        if not match:
            return None
        sku, quantity = match.group(1).upper(), int(match.group(2) or 1)
        if not 1 <= quantity <= QUANTITY_MAX:
            return None
        wanted[sku] = wanted.get(sku, 0) + quantity
    if len(wanted) > PARTS_MAX:
        return None
    return tuple(wanted.items())


def _text(line, column, value, maximum, errors, minimum=0) -> str | None:
    try:
        return clean_text(value, column, minimum=minimum, maximum=maximum, multiline=True)
    except InvalidInput as error:
        reason = error.details.get("reason", "format")
        errors.append(RowError(line, column, "empty" if reason in ("too_short", "empty")
                               and not (value or "").strip() else reason, _short(value)))
        return None


def _check_row(line: int, cells: list[str], where: dict[str, int]) -> HistoryRow | list:
    def cell(column: str) -> str:
        index = where.get(column)
        return cells[index] if index is not None and index < len(cells) else ""

    errors: list[RowError] = []
    category = category_of(cell("category"))
    if not cell("category").strip():
        errors.append(RowError(line, "category", "empty"))
    elif category is None:
        errors.append(RowError(line, "category", "unknown_category", _short(cell("category"))))
    description = _text(line, "description", cell("description"), DESCRIPTION_MAX, errors, 1)
    diagnosis = _text(line, "diagnosis", cell("diagnosis"), DIAGNOSIS_MAX, errors)
    brand = _text(line, "brand", cell("brand"), 64, errors)
    model = _text(line, "model", cell("model"), 64, errors)
    reference = cell("job").strip() or None
    if reference is not None and not re.fullmatch(r"[A-Za-z0-9._/\-]{1,32}", reference):
        errors.append(RowError(line, "job", "format", _short(reference)))
    parts = parse_parts(cell("parts_used"))
    if parts is None:
        errors.append(RowError(line, "parts_used", "format", _short(cell("parts_used"))))
    fixed_text = cell("first_visit_fixed").strip().casefold()
    fixed = True if fixed_text in YES else False if fixed_text in NO else None
    if fixed_text and fixed is None:
        errors.append(RowError(line, "first_visit_fixed", "format", _short(fixed_text)))
    closed_on = None
    if cell("closed_on").strip():
        match = DATE.match(cell("closed_on").strip())
        try:
            closed_on = date(*map(int, match.groups())) if match else None
        except ValueError:
            closed_on = None
        if closed_on is None:
            errors.append(RowError(line, "closed_on", "format", _short(cell("closed_on"))))
    if errors:
        return errors
    return HistoryRow(line, reference, closed_on, category, brand, model, description,
                      diagnosis, parts or (), fixed)


def read_rows(text: str) -> tuple[list[HistoryRow], list[RowError], int]:
    """The file's rows checked, nothing written: (good rows, errors, data rows)."""
    return read_table(text, _check_row, headers=HEADERS, required=REQUIRED,
                      unique=("job", lambda row: row.reference), max_rows=MAX_ROWS)


async def import_history(uow: UnitOfWork, manager_or_none: User | None,
                         text: str) -> HistoryImportResult:
    """Checks every row of the CSV `text` and, only if all are good, adds the jobs in this
    unit of work: the caller commits when `result.ok`. `manager_or_none` is a manager in
    chat, or None for the command line."""
    if manager_or_none is not None:
        require_manager(manager_or_none)
    rows, errors, count = read_rows(text)
    if rows:
        skus = sorted({sku for row in rows for sku, _ in row.parts})
        known: set[str] = set()
        for start in range(0, len(skus), 500):
            known.update(await uow.session.scalars(
                select(Part.sku).where(Part.sku.in_(skus[start:start + 500]))))
        references = [row.reference for row in rows if row.reference]
        taken: set[str] = set()
        for start in range(0, len(references), 500):
            taken.update(await uow.session.scalars(
                select(TriageHistory.reference).where(
                    TriageHistory.reference.in_(references[start:start + 500]))))
        for row in rows:
            missing = [sku for sku, _ in row.parts if sku not in known]
            if missing:
                errors.append(RowError(row.line, "parts_used", "unknown_part", None,
                                       {"sku": ", ".join(missing)}))
            if row.reference in taken:
                errors.append(RowError(row.line, "job", "taken", row.reference))
    if errors:
        errors.sort(key=lambda e: (e.line, e.field or ""))
        return HistoryImportResult(errors=tuple(errors), rows=count)
    now = uow.now()
    uow.session.add_all(TriageHistory(
        reference=row.reference, closed_on=row.closed_on, category=row.category,
        brand=row.brand, model=row.model, description=row.description,
        diagnosis=row.diagnosis, parts=[list(p) for p in row.parts],
        first_visit_fixed=row.first_visit_fixed, imported_at=now) for row in rows)
    await uow.session.flush()
    log.info("history import by %s: %s jobs",
             manager_or_none.id if manager_or_none else "the command line", len(rows))
    return HistoryImportResult(len(rows), (), count)


def describe(result: HistoryImportResult, path: str = "") -> str:
    if result.ok:
        return f"{path + ': ' if path else ''}{result.added} past jobs imported."
    return describe_errors(result.errors, path, HISTORY_REASONS, HISTORY_HINTS)
