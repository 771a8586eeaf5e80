"""Importing a company's past jobs from CSV (`python -m bot import-history`): every bad row
reported by its line number, nothing imported unless every row is good, Excel's encodings."""
import pytest
from sqlalchemy import func, select

from bot.imports import run_history_import as run_import
from core import people
from core.errors import NotAllowed
from core.models import TriageHistory
from core.triage_import import describe, import_history, parse_parts
from tests.workshop import ANN, BOSS, company

GOOD = """job,closed_on,category,brand,model,description,diagnosis,parts_used,first_visit_fixed
H-1,2024-03-15,refrigerator,Haier,BCD-470,"冰箱不制冷，压缩机不启动",压缩机坏，更换,CMP-01*1,no
H-2,2024/03/16,冰箱,,,Not cooling & it <hums>,Thermostat stuck,THERM-02 x2; CMP-01,yes
H-3,,Refrigerator,,,门封漏气,清洁门封,,
"""


async def rows_in(desk):
    async with desk.uow() as uow:
        rows = (await uow.session.scalars(
            select(TriageHistory).order_by(TriageHistory.id))).all()
        return [(r.reference, r.closed_on and r.closed_on.isoformat(), r.category, r.brand,
                 r.description, r.parts, r.first_visit_fixed) for r in rows]


async def run(desk, text, who=None):
    async with desk.uow() as uow:
        user = await people.find_user(uow, who) if who else None
        result = await import_history(uow, user, text)
        if result.ok:
            await uow.commit()
        return result


async def test_a_good_file_adds_every_job(desk):
    await company(desk)
    result = await run(desk, GOOD)
    assert result.ok and (result.added, result.rows) == (3, 3)
    assert await rows_in(desk) == [
        ("H-1", "2024-03-15", "refrigerator", "Haier", "冰箱不制冷，压缩机不启动",
         [["CMP-01", 1]], False),
        ("H-2", "2024-03-16", "refrigerator", None, "Not cooling & it <hums>",
         [["THERM-02", 2], ["CMP-01", 1]], True),
        ("H-3", None, "refrigerator", None, "门封漏气", [], None),
    ]
    assert describe(result, "jobs.csv") == "jobs.csv: 3 past jobs imported."


async def test_every_bad_row_is_reported_by_line_and_nothing_is_imported(desk):
    await company(desk)
    text = ("job,category,description,parts_used,first_visit_fixed,closed_on\n"
            "A-1,refrigerator,不制冷,CMP-01*1,yes,2024-01-02\n"
            "A-2,spaceship,不制冷,,yes,\n"
            "A-3,refrigerator,,CMP-01,no,\n"
            "\n"
            "A-4,tv,黑屏,TV-LED*1,maybe,2024-02-30\n"
            "A-1,tv,黑屏,,,\n"
            "A-6,tv,黑屏,CMP-01 * many,,\n")
    result = await run(desk, text)
    assert not result.ok and result.added == 0
    assert [(e.line, e.field, e.reason) for e in result.errors] == [
        (3, "category", "unknown_category"),
        (4, "description", "empty"),
        (6, "closed_on", "format"),
        (6, "first_visit_fixed", "format"),
        (7, "job", "duplicate"),
        (8, "parts_used", "format"),
    ]
    report = describe(result, "jobs.csv")
    assert report.startswith("jobs.csv: nothing imported; 6 problems:")
    assert "line 3: category 'spaceship' is not an appliance category" in report
    assert "line 7: job 'A-1' is already on line 2" in report
    assert "line 8: parts_used 'CMP-01 * many' is not valid (expected SKUs with quantities" \
        in report
    assert await rows_in(desk) == []


async def test_parts_must_be_in_the_catalogue_and_a_job_number_imported_once(desk):
    await company(desk)
    assert (await run(desk, GOOD)).ok
    again = await run(desk, GOOD.replace("H-3,", "H-4,").replace("THERM-02 x2", "PUMP-9 x2"))
    assert [(e.line, e.field, e.reason) for e in again.errors] == [
        (2, "job", "taken"), (3, "job", "taken"), (3, "parts_used", "unknown_part")]
    report = describe(again)
    assert "line 3: parts_used names a part not in the catalogue: PUMP-9 (import the parts " \
           "first with import-parts)" in report
    assert len(await rows_in(desk)) == 3


async def test_headers_in_chinese_missing_or_unknown(desk):
    await company(desk)
    ok = await run(desk, "工单号,品类,故障描述,检测结果,更换配件,一次修复\n"
                         "Z-1,洗衣机,不脱水,排水泵坏,,是\n")
    assert ok.ok and (await rows_in(desk))[0][2] == "washing_machine"
    missing = await run(desk, "job,category,colour\nX,tv,red\n")
    assert [(e.line, e.field, e.reason) for e in missing.errors] == [
        (1, None, "unknown_column"), (1, "description", "missing_column")]
    assert [e.reason for e in (await run(desk, "")).errors] == ["empty_file"]
    assert [e.reason for e in (await run(desk, "category,description\n")).errors] == [
        "no_rows"]


def test_parts_cells_as_people_write_them():
    assert parse_parts("wm-pump*1; WM-SEAL x2 | WM-SEAL") == (("WM-PUMP", 1), ("WM-SEAL", 3))
    assert parse_parts("排水泵、WM-SEAL×1") is None  # a name is not a SKU
    assert parse_parts("") == () and parse_parts("WM-PUMP:2") == (("WM-PUMP", 2),)
    assert parse_parts("WM-PUMP*0") is None


async def test_only_a_manager_imports_in_chat(desk):
    await company(desk)
    with pytest.raises(NotAllowed):
        await run(desk, GOOD, who=ANN)
    assert (await run(desk, GOOD, who=BOSS)).ok


async def test_the_command_line_reads_excel_files_and_says_what_happened(db_url, tmp_path,
                                                                        desk):
    await company(desk)
    gbk = tmp_path / "history.csv"  # Excel on a Chinese Windows saves CSV as GBK
    gbk.write_bytes(GOOD.encode("gb18030"))
    assert await run_import(db_url, gbk) == (0, f"{gbk}: 3 past jobs imported.")
    code, text = await run_import(db_url, gbk)
    assert code == 1 and "line 2: job 'H-1' was imported before" in text
    missing = await run_import(db_url, tmp_path / "nope.csv")
    assert missing[0] == 2 and missing[1].startswith(f"cannot read {tmp_path / 'nope.csv'}")
    async with desk.uow() as uow:
        assert await uow.session.scalar(select(func.count(TriageHistory.id))) == 3
