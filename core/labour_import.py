"""Bulk import of labour items from a CSV file (`python -m bot import-labour FILE.csv`), with
the parts import's machinery (core.parts_import: reading, checking, all or nothing, reporting):

    code,name,price,category
    CALLOUT,上门费 Call-out,50,
    AC-CLEAN,空调清洗 Air conditioner cleaning,120,air_conditioner

`code`, `name` and `price` (yuan) are required; `category` is the appliance the item is for
(air_conditioner, refrigerator, washing_machine, tv, water_heater, range_hood, microwave,
other), empty for any appliance. Chinese headers too (编号, 名称, 价格, 家电). A code already
in the catalogue is an error, unless `update=True`, which changes that item instead.
"""
from __future__ import annotations

from .catalogue import clean_category
from .desk import UnitOfWork
from .errors import InvalidInput
from .models import LabourItem, User
from .parts_import import (
    CsvSpec,
    ImportResult,
    RowError,
    _short,
    check_code,
    check_name_and_price,
    read_rows,
    save_rows,
)

HEADERS = {
    "code": ("code", "labour_code", "编号", "代码", "项目编号"),
    "name": ("name", "labour", "名称", "项目", "项目名称"),
    "price": ("price", "price_yuan", "价格", "单价", "收费"),
    "category": ("category", "appliance", "家电", "类别", "适用家电"),
}


def _check_labour(line: int, cell) -> dict | list[RowError]:
    errors: list[RowError] = []
    values: dict[str, object] = {}
    check_code(line, cell, "code", errors, values)
    check_name_and_price(line, cell, errors, values)
    try:
        values["category"] = clean_category(cell("category"))
    except InvalidInput:
        errors.append(RowError(line, "category", "format", _short(cell("category"))))
    return errors or values


LABOUR = CsvSpec(
    key="code", headers=HEADERS, required=("code", "name", "price"), check=_check_labour,
    things="labour items",
    hints={"code": "letters, digits and . _ / - (up to 32), like CALLOUT",
           "category": "an appliance: air_conditioner, refrigerator, washing_machine, tv, "
                       "water_heater, range_hood, microwave or other; empty for any"},
    reasons={"taken": "is already in the catalogue (use --update to change existing items)",
             "unknown_column": "is not a known column (code, name, price, category)",
             "empty_file": "the file is empty: it needs a header row and at least one item",
             "no_rows": "the file has a header but no labour items",
             "too_many_rows": "too many rows: at most {maximum} items per file"})


async def import_labour(uow: UnitOfWork, manager_or_none: User | None, text: str, *,
                        update: bool = False) -> ImportResult:
    """As core.parts_import.import_parts, for labour items: the caller commits when ok."""
    def make(row, now) -> LabourItem:
        return LabourItem(code=row.code, name=row.name, price=row.price, category=row.category,
                          active=True, created_at=now, updated_at=now)

    def change(item: LabourItem, row, now) -> None:
        item.name, item.price, item.category = row.name, row.price, row.category
        item.updated_at = now

    return await save_rows(uow, manager_or_none, lambda: read_rows(text, LABOUR), LabourItem,
                           "code", make, change, update=update, what="labour")
