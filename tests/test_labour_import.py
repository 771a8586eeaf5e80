"""Labour items from CSV, with the parts import's machinery: per appliance or for any, Chinese
headers, every bad row reported by line, all or nothing, --update."""
from sqlalchemy import select

from bot.imports import run_labour_import
from core import catalogue
from core.labour_import import LABOUR, import_labour
from core.models import LabourItem
from core.parts_import import describe

GOOD = """编号,名称,价格,家电
callout,上门费 Call-out,50,
AC-CLEAN,空调清洗 Air conditioner cleaning,¥120,air_conditioner
FR-GAS,冰箱加氟 Refrigerant refill,180.5,refrigerator
"""


async def items_in(desk):
    async with desk.uow() as uow:
        rows = (await uow.session.scalars(select(LabourItem).order_by(LabourItem.code))).all()
        return [(i.code, i.name, i.price, i.category) for i in rows]


async def run(desk, text, **options):
    async with desk.uow() as uow:
        result = await import_labour(uow, None, text, **options)
        if result.ok:
            await uow.commit()
        return result


async def test_a_chinese_file_adds_labour_items_per_appliance(desk):
    result = await run(desk, GOOD)
    assert result.ok and result.added == ("CALLOUT", "AC-CLEAN", "FR-GAS")
    assert await items_in(desk) == [
        ("AC-CLEAN", "空调清洗 Air conditioner cleaning", 12000, "air_conditioner"),
        ("CALLOUT", "上门费 Call-out", 5000, None),
        ("FR-GAS", "冰箱加氟 Refrigerant refill", 18050, "refrigerator"),
    ]
    assert describe(result, "labour.csv", LABOUR) == "labour.csv: 3 labour items added."
    async with desk.uow() as uow:  # an air conditioner's items: its own and those for any
        page = await catalogue.labour_items(uow, category="air_conditioner")
    assert [i.code for i in page.items] == ["AC-CLEAN", "CALLOUT"]  # its own first


async def test_bad_rows_are_reported_by_line_and_nothing_is_imported(desk):
    text = ("code,name,price,category\n"
            "CALLOUT,Call-out,50,\n"
            "BAD CODE!,Cleaning,abc,fridge\n"
            "CALLOUT,Call-out again,60,\n")
    result = await run(desk, text)
    assert not result.ok and await items_in(desk) == []
    assert [(e.line, e.field, e.reason) for e in result.errors] == [
        (3, "category", "format"), (3, "code", "format"), (3, "price", "format"),
        (4, "code", "duplicate")]
    report = describe(result, "labour.csv", LABOUR)
    assert "line 3: category 'fridge' is not valid (expected an appliance" in report
    assert "line 4: code 'CALLOUT' is already on line 2" in report


async def test_a_taken_code_needs_update_which_changes_the_item(desk):
    await run(desk, GOOD)
    again = "code,name,price,category\nCALLOUT,上门检测费,60,\nNEW-1,新项目,10,tv\n"
    refused = await run(desk, again)
    assert [(e.line, e.reason) for e in refused.errors] == [(2, "taken")]
    assert "use --update" in describe(refused, spec=LABOUR)
    result = await run(desk, again, update=True)
    assert (result.added, result.updated) == (("NEW-1",), ("CALLOUT",))
    assert describe(result, spec=LABOUR) == "1 labour item added, 1 updated."
    assert ("CALLOUT", "上门检测费", 6000, None) in await items_in(desk)


async def test_the_command_reads_gb18030_and_imports(tmp_path, db_url):
    path = tmp_path / "labour.csv"
    path.write_bytes(GOOD.encode("gb18030"))
    code, output = await run_labour_import(db_url, path)
    assert (code, output) == (0, f"{path}: 3 labour items added.")
    code, output = await run_labour_import(db_url, tmp_path / "missing.csv")
    assert code == 2 and "cannot read" in output
