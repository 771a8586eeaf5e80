"""The parts catalogue and labour items: adding, editing, searching, and what is refused."""
import pytest

from core import catalogue, people
from core.errors import InvalidInput, NotAllowed, NotFound
from tests.workshop import ANN, BOSS, LI, act, company


async def test_a_part_is_added_with_its_sku_upper_case_and_found_by_sku_or_name(desk):
    await company(desk, parts=False)
    part = await act(desk, catalogue.add_part, BOSS, sku=" cmp-01 ", name="Compressor  R600a",
                     price=45000, warranty_months=12, min_level=2)
    assert (part.sku, part.name, part.price, part.warranty_months, part.min_level,
            part.active) == ("CMP-01", "Compressor R600a", 45000, 12, 2, True)
    await act(desk, catalogue.add_part, BOSS, sku="CMP-02", name="压缩机 小型", price=39900)
    await act(desk, catalogue.add_part, BOSS, sku="THERM-1", name="Thermostat (compressor relay)",
              price=8000)
    async with desk.uow() as uow:
        by_sku = await catalogue.search_parts(uow, "cmp")
        by_name = await catalogue.search_parts(uow, "COMPRESSOR")
        chinese = await catalogue.search_parts(uow, "压缩机")
        exact_first = await catalogue.search_parts(uow, "cmp-02")
        nothing = await catalogue.search_parts(uow, "100%_")
        assert (await catalogue.get_part(uow, "cmp-01")).id == part.id
        assert (await catalogue.get_part(uow, part.id)).sku == "CMP-01"
    assert [p.sku for p in by_sku.items] == ["CMP-01", "CMP-02"]
    assert [p.sku for p in by_name.items] == ["CMP-01", "THERM-1"]
    assert [p.sku for p in chinese.items] == ["CMP-02"]
    assert exact_first.items[0].sku == "CMP-02"
    assert nothing.total == 0


async def test_search_is_paged_and_hides_inactive_parts(desk):
    await company(desk, parts=False)
    for n in range(11):
        await act(desk, catalogue.add_part, BOSS, sku=f"P-{n:02}", name=f"Part {n}", price=100)
    await act(desk, catalogue.edit_part, BOSS, "P-03", active=False, price=150, name="Old part")
    async with desk.uow() as uow:
        first = await catalogue.search_parts(uow, "", page=1)
        second = await catalogue.search_parts(uow, "", page=2)
        past_end = await catalogue.search_parts(uow, "p-", page=7)
        everything = await catalogue.search_parts(uow, "", include_inactive=True, page_size=50)
        with pytest.raises(NotFound):
            await catalogue.get_part(uow, "P-03")
        old = await catalogue.get_part(uow, "P-03", include_inactive=True)
    assert (first.total, first.pages, len(first.items), first.has_next) == (10, 2, 8, True)
    assert [p.sku for p in second.items] == ["P-09", "P-10"]
    assert past_end.page == 2
    assert everything.total == 11
    assert (old.name, old.price, old.active) == ("Old part", 150, False)


@pytest.mark.parametrize("fields, field, reason", [
    (dict(sku="CMP 01!"), "sku", "format"),
    (dict(sku=""), "sku", "format"),
    (dict(sku="X" * 33), "sku", "format"),
    (dict(sku="cmp-01"), "sku", "taken"),
    (dict(name=""), "name", "empty"),
    (dict(name="N" * 101), "name", "too_long"),
    (dict(price=-1), "price", "range"),
    (dict(price=12.5), "price", "format"),
    (dict(price=True), "price", "format"),
    (dict(price=100_000_001), "price", "range"),
    (dict(warranty_months=121), "warranty_months", "range"),
    (dict(min_level=-3), "min_level", "range"),
])
async def test_bad_parts_are_refused_with_the_field_and_reason(desk, fields, field, reason):
    await company(desk)  # CMP-01 exists
    values = dict(sku="NEW-1", name="New part", price=100) | fields
    with pytest.raises(InvalidInput) as refused:
        await act(desk, catalogue.add_part, BOSS, **values)
    assert (refused.value.details["field"], refused.value.details["reason"]) == (field, reason)


async def test_only_active_managers_edit_the_catalogue(desk):
    await company(desk)
    for who in (LI, ANN):
        with pytest.raises(NotAllowed) as refused:
            await act(desk, catalogue.add_part, who, sku="X-1", name="X", price=1)
        assert refused.value.details == {"reason": "manager_only"}
    async with desk.uow() as uow:
        (await people.find_user(uow, BOSS)).active = False
        await uow.commit()
    with pytest.raises(NotAllowed):
        await act(desk, catalogue.edit_part, BOSS, "CMP-01", price=1)


def test_prices_typed_in_yuan_become_fen():
    assert catalogue.parse_price("120") == 12000
    assert catalogue.parse_price("120.5") == 12050
    assert catalogue.parse_price(" ¥120.05 ") == 12005
    assert catalogue.parse_price("99元") == 9900
    assert catalogue.parse_price("0,5") == 50
    for bad in ("", "12.345", "-3", "1e3", "abc", "9999999999", None):
        with pytest.raises(InvalidInput):
            catalogue.parse_price(bad)


async def test_labour_items_are_listed_by_code_and_typed_codes_are_unique(desk):
    await company(desk)  # CALLOUT and LAB-H
    await act(desk, catalogue.add_labour_item, BOSS, code="install", name="Installation",
              price=20000)
    with pytest.raises(InvalidInput) as refused:
        await act(desk, catalogue.add_labour_item, BOSS, code="Callout", name="Again", price=1)
    assert refused.value.code == "invalid_input"
    assert refused.value.details == {"field": "code", "reason": "taken", "labour_code": "CALLOUT"}
    await act(desk, catalogue.edit_labour_item, BOSS, "LAB-H", price=9000, active=False)
    async with desk.uow() as uow:
        listed = await catalogue.labour_items(uow)
        everything = await catalogue.labour_items(uow, include_inactive=True)
        with pytest.raises(NotFound):
            await catalogue.get_labour_item(uow, "LAB-H")
    assert [(i.code, i.price) for i in listed.items] == [("CALLOUT", 5000), ("INSTALL", 20000)]
    assert [i.code for i in everything.items] == ["CALLOUT", "INSTALL", "LAB-H"]
