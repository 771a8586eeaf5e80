"""Bulk import of parts from CSV: every bad row reported with its line number, and nothing
imported unless every row is good."""
import pytest
from sqlalchemy import func, select

from bot.imports import run_parts_import as run_import
from core import parts_import, people
from core.errors import NotAllowed
from core.models import Part
from core.parts_import import import_parts
from tests.workshop import ANN, BOSS, company

GOOD = """sku,name,price,warranty_months,min_level
cmp-01,Compressor,450.00,12,2
THERM-02,"Thermostat, 220 V",80,6,
FAN-03,风扇电机,¥120.5,0,1
"""


async def parts_in(desk):
    async with desk.uow() as uow:
        rows = (await uow.session.scalars(select(Part).order_by(Part.sku))).all()
        return [(p.sku, p.name, p.price, p.warranty_months, p.min_level) for p in rows]


async def run(desk, text, who=None, **options):
    async with desk.uow() as uow:
        user = await people.find_user(uow, who) if who else None
        result = await import_parts(uow, user, text, **options)
        if result.ok:
            await uow.commit()
        return result


async def test_a_good_file_adds_every_part_in_fen(desk):
    result = await run(desk, GOOD)
    assert result.ok and result.added == ("CMP-01", "THERM-02", "FAN-03") and result.rows == 3
    assert await parts_in(desk) == [
        ("CMP-01", "Compressor", 45000, 12, 2),
        ("FAN-03", "风扇电机", 12050, 0, 1),
        ("THERM-02", "Thermostat, 220 V", 8000, 6, 0),
    ]
    assert parts_import.describe(result, "parts.csv") == "parts.csv: 3 parts added."


async def test_one_bad_row_is_reported_by_line_and_nothing_is_imported(desk):
    text = ("sku,name,price,warranty_months,min_level\n"
            "CMP-01,Compressor,450,12,2\n"
            "\n"  # blank lines are skipped but still counted as lines
            "THERM 02,Thermostat,12,5x,3\n"
            "FAN-03,Fan motor,-5,0,1\n"
            "CMP-01,Compressor again,450,12,2\n"
            "BIG-1,\"Big\n,multi-line name\",1,1,100001\n"
            "OK-9,Fine part,1,1,1\n")
    result = await run(desk, text)
    assert not result.ok and result.added == ()
    assert [(e.line, e.field, e.reason) for e in result.errors] == [
        (4, "warranty_months", "format"),
        (5, "price", "format"),
        (6, "sku", "duplicate"),
        (7, "min_level", "range"),
    ]
    assert await parts_in(desk) == []
    report = parts_import.describe(result, "parts.csv")
    assert report.splitlines()[0] == "parts.csv: nothing imported; 4 problems:"
    assert "line 4: warranty_months '5x' is not valid (expected a whole number of months" in report
    assert "line 5: price '-5' is not valid (expected a price in yuan" in report
    assert "line 6: sku 'CMP-01' is already on line 2" in report
    assert "line 7: min_level '100001' is out of range" in report


async def test_headers_missing_unknown_or_in_chinese(desk):
    result = await run(desk, "sku,name\nA-1,Thing\n")
    assert [(e.line, e.field, e.reason) for e in result.errors] == [(1, "price", "missing_column")]
    result = await run(desk, "sku,name,price,colour\nA-1,Thing,1,red\n")
    assert [(e.line, e.reason, e.value) for e in result.errors] == [(1, "unknown_column", "colour")]
    result = await run(desk, "")
    assert [(e.line, e.reason) for e in result.errors] == [(1, "empty_file")]
    result = await run(desk, "sku,name,price\n\n")
    assert [e.reason for e in result.errors] == ["no_rows"]
    result = await run(desk, "\ufeff编号,名称,价格,保修月数,最低库存\nA-1,压缩机,450,12,2\n")
    assert result.ok
    assert await parts_in(desk) == [("A-1", "压缩机", 45000, 12, 2)]


async def test_existing_skus_are_refused_unless_updating(desk):
    await company(desk)  # CMP-01 Compressor ¥450, 12 months, min 2 is in the catalogue
    text = ("sku,name,price,warranty_months,min_level\n"
            "CMP-01,Compressor V2,500,24,3\nNEW-1,New,1,0,0\n")
    refused = await run(desk, text)
    assert [(e.line, e.field, e.reason) for e in refused.errors] == [(2, "sku", "taken")]
    assert "already in the catalogue (use --update" in parts_import.describe(refused)
    result = await run(desk, text, update=True)
    assert result.ok and result.added == ("NEW-1",) and result.updated == ("CMP-01",)
    assert ("CMP-01", "Compressor V2", 50000, 24, 3) in await parts_in(desk)
    assert parts_import.describe(result) == "1 part added, 1 updated."


async def test_cells_with_markup_control_characters_or_a_ragged_row(desk):
    text = ("sku,name,price\n"
            "A-1,<b>Tom & \"Jerry\"</b>,1\n"  # kept as typed: texts are escaped when shown
            "A-2,Bad\u202ename,1\n"
            "A-3,Fine,1,surplus\n"
            "A-4,,1\n"
            "A-5,Fine,²\n")
    result = await run(desk, text)
    assert [(e.line, e.field, e.reason) for e in result.errors] == [
        (3, "name", "characters"), (4, None, "columns"), (5, "name", "empty"),
        (6, "price", "format")]


async def test_only_a_manager_imports_in_chat(desk):
    await company(desk)
    with pytest.raises(NotAllowed):
        await run(desk, GOOD, who=ANN)
    result = await run(desk, "sku,name,price\nX-1,Thing,1\n", who=BOSS)
    assert result.ok


async def test_the_command_line_reads_excel_files_and_says_what_happened(
        db_url, tmp_path, desk):
    good = tmp_path / "parts.csv"
    good.write_bytes(("\ufeff" + GOOD).encode("utf-8"))
    code, text = await run_import(db_url, good)
    assert (code, text) == (0, f"{good}: 3 parts added.")

    gbk = tmp_path / "gbk.csv"  # Excel on a Chinese Windows saves CSV as GBK
    gbk.write_bytes("编号,名称,价格\nG-1,温控器,80\n".encode("gb18030"))
    assert (await run_import(db_url, gbk))[0] == 0

    again = await run_import(db_url, good)
    assert again[0] == 1 and "line 2: sku 'CMP-01' is already in the catalogue" in again[1]
    missing = await run_import(db_url, tmp_path / "nope.csv")
    assert missing[0] == 2 and missing[1].startswith(f"cannot read {tmp_path / 'nope.csv'}")
    async with desk.uow() as uow:
        assert await uow.session.scalar(select(func.count(Part.id))) == 4
