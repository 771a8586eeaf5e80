"""Purchasing and receiving against the purchase order: suppliers and their parts, purchase
orders numbered P-1001 whose status moves only as core.purchasing allows (an event per change),
the suggested purchase list, the CSV for the supplier, and receiving a delivery line by line
(failed units kept out of stock, ledger rows naming the order, a received order refused)."""
import csv
import io

import pytest
from sqlalchemy import select

from core import people, purchasing, receiving, stock, stock_levels
from core.errors import InvalidInput, NotAllowed, TransitionRefused
from core.models import PurchaseOrderEvent, PurchaseReceipt, Reminder, StockMovement
from tests.workshop import BOSS, LI, act, company, make_user, on_site


async def supplier_with_parts(desk):
    await company(desk)
    supplier = await act(desk, purchasing.add_supplier, BOSS, "Haier Parts <SH>",
                         "Mr Xu 021-5555")
    await act(desk, purchasing.supply_part, BOSS, supplier.id, "CMP-01", 40000, 10)
    await act(desk, purchasing.supply_part, BOSS, supplier.id, "THERM-02", 7000, 3)
    return supplier.id


async def events(desk, order_id):
    async with desk.uow() as uow:
        return [(e.from_status, e.to_status) for e in await uow.session.scalars(
            select(PurchaseOrderEvent).where(PurchaseOrderEvent.order_id == order_id)
            .order_by(PurchaseOrderEvent.id))]


async def test_suppliers_are_kept_by_managers_only(desk):
    supplier_id = await supplier_with_parts(desk)
    await act(desk, purchasing.supply_part, BOSS, supplier_id, "CMP-01", 39000, 12)  # updated
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        listed = await purchasing.suppliers(uow, boss)
    assert [(s.name, s.contact, s.parts) for s in listed] == [
        ("Haier Parts <SH>", "Mr Xu 021-5555",
         (("CMP-01", "Compressor", 39000, 12), ("THERM-02", "Thermostat", 7000, 3)))]
    for service, args in ((purchasing.add_supplier, ("Other",)),
                          (purchasing.suppliers, ()),
                          (purchasing.suggestions, ())):
        with pytest.raises(NotAllowed):
            await act(desk, service, LI, *args)
    with pytest.raises(InvalidInput):
        await act(desk, purchasing.supply_part, BOSS, supplier_id, "FAN-03", -1, 3)


async def test_the_suggested_list_and_its_drafts(desk, clock):
    supplier_id = await supplier_with_parts(desk)
    async with desk.uow() as uow:  # 4 compressors in the main warehouse
        await stock.receive(uow, await people.find_user(uow, BOSS), "CMP-01", 4)
        await uow.commit()
    order = await on_site(desk, clock)  # 3 issued to an order within the last 30 days
    async with desk.uow() as uow:
        await stock.issue_to_order(uow, "CMP-01", 3, order.id, await people.find_user(uow, LI))
        await uow.commit()
    async with desk.uow() as uow:
        listed = {s.sku: s for s in await purchasing.suggestions(
            uow, await people.find_user(uow, BOSS))}
    cmp = listed["CMP-01"]
    # likely use: 3 in 30 days over a 10-day lead time = 1; minimum 2; on hand 1
    assert (cmp.on_hand, cmp.likely_use, cmp.minimum, cmp.on_order, cmp.suggested) == (
        1, 1, 2, 0, 2)
    assert (listed["THERM-02"].suggested, listed["FAN-03"].suggested) == (0, 1)
    assert listed["FAN-03"].supplier is None  # nobody supplies it: listed apart

    async with desk.uow() as uow:
        made, unsupplied = await purchasing.make_drafts(uow, await people.find_user(uow, BOSS))
        await uow.commit()
    assert [s.sku for s in unsupplied] == ["FAN-03"]
    assert len(made) == 1 and made[0].number == f"P-{1000 + made[0].id}"
    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        seen = await purchasing.view(uow, boss, made[0].id)
        again = {s.sku: s for s in await purchasing.suggestions(uow, boss)}
    assert seen.status == "draft" and seen.supplier_id == supplier_id
    assert [(line.sku, line.quantity, line.unit_price) for line in seen.lines] == [
        ("CMP-01", 2, 40000)]
    assert (again["CMP-01"].on_order, again["CMP-01"].suggested) == (2, 0)


async def test_a_purchase_order_moves_only_as_allowed(desk):
    supplier_id = await supplier_with_parts(desk)
    order = await act(desk, purchasing.create_order, BOSS, supplier_id,
                      [("CMP-01", 2), ("THERM-02", 5)])
    line = order.lines[0].id
    await act(desk, purchasing.set_quantity, BOSS, order.id, line, 3)
    with pytest.raises(InvalidInput):
        await act(desk, purchasing.set_quantity, BOSS, order.id, line, 0)
    with pytest.raises(TransitionRefused):  # a draft cannot be received
        await act(desk, receiving.receive, BOSS, order.id, {line: {"arrived": 1}})
    await act(desk, purchasing.send, BOSS, order.id)
    with pytest.raises(TransitionRefused):  # nor a sent one's quantities changed, nor sent twice
        await act(desk, purchasing.set_quantity, BOSS, order.id, line, 4)
    with pytest.raises(TransitionRefused):
        await act(desk, purchasing.send, BOSS, order.id)
    await act(desk, purchasing.cancel, BOSS, order.id, "supplier out of stock")
    with pytest.raises(TransitionRefused):
        await act(desk, receiving.receive, BOSS, order.id, {line: {"arrived": 1}})
    assert await events(desk, order.id) == [(None, "draft"), ("draft", "sent"),
                                            ("sent", "cancelled")]

    async with desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        data, name = purchasing.export_csv(await purchasing.view(uow, boss, order.id),
                                           lambda key: key.upper())
    assert data.startswith(b"\xef\xbb\xbf") and name == f"{order.number}.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == ["SUPPLIER", "Haier Parts <SH>"]
    assert rows[5] == ["CMP-01", "Compressor", "3", "400.00", "1200.00"]
    assert rows[-1] == ["", "TOTAL", "", "", "1550.00"]


async def test_receiving_line_by_line_until_received(desk):
    supplier_id = await supplier_with_parts(desk)
    order = await act(desk, purchasing.create_order, BOSS, supplier_id,
                      [("CMP-01", 5), ("THERM-02", 2)])
    cmp, therm = (line.id for line in order.lines)
    await act(desk, purchasing.send, BOSS, order.id)
    for bad in ({cmp: {"arrived": -1}}, {cmp: {"arrived": 2, "failed": 3, "reason": "dented"}},
                {cmp: {"arrived": 2, "failed": 1}},  # failed without a reason
                {cmp: {"arrived": 0}}, {9999: {"arrived": 1}}):
        with pytest.raises(InvalidInput):
            await act(desk, receiving.receive, BOSS, order.id, bad)
    with pytest.raises(NotAllowed):
        await act(desk, receiving.receive, LI, order.id, {cmp: {"arrived": 1}})
    async with desk.uow() as uow:
        await make_user(uow, 901, "manager", name="Mei")
        await uow.commit()

    first = await act(desk, receiving.receive, BOSS, order.id, {
        cmp: {"arrived": 4, "failed": 1, "reason": "dented casing", "photo": "AgADx"},
        therm: {"arrived": 3}})
    assert first.status == "partly_received"
    assert [(c.sku, c.ordered, c.arrived, c.failed, c.received, c.difference)
            for c in first.differences] == [("CMP-01", 5, 4, 1, 3, -2),
                                            ("THERM-02", 2, 3, 0, 3, 1)]
    # The other manager hears of the differences; the one who received them saw them.
    async with desk.uow() as uow:
        told = [(r.kind, r.recipient_id) for r in await uow.session.scalars(select(Reminder))]
        mei = await people.find_user(uow, 901)
    assert told == [("purchase_differences", mei.id)]
    second = await act(desk, receiving.receive, BOSS, order.id, {cmp: {"arrived": 2}})
    assert second.status == "received"
    with pytest.raises(TransitionRefused):  # a received order is not received again
        await act(desk, receiving.receive, BOSS, order.id, {cmp: {"arrived": 1}})

    async with desk.uow() as uow:
        assert await stock_levels.level(uow, "main", "CMP-01") == 5
        assert await stock_levels.level(uow, "main", "THERM-02") == 3
        rows = [(m.kind, m.quantity, m.purchase_order_id) for m in await uow.session.scalars(
            select(StockMovement).order_by(StockMovement.id))]
        receipts = [(r.arrived, r.failed, r.reason, r.photo_file_id)
                    for r in await uow.session.scalars(
                        select(PurchaseReceipt).order_by(PurchaseReceipt.id))]
    assert rows == [("receive", 3, order.id), ("receive", 3, order.id),
                    ("receive", 2, order.id)]
    assert receipts == [(4, 1, "dented casing", "AgADx"), (3, 0, None, None), (2, 0, None, None)]
    assert await events(desk, order.id) == [(None, "draft"), ("draft", "sent"),
                                            ("sent", "partly_received"),
                                            ("partly_received", "received")]


async def test_receiving_without_an_order_needs_a_reason(desk):
    await company(desk)
    with pytest.raises(InvalidInput):
        await act(desk, receiving.receive_without_order, BOSS, "CMP-01", 2, " ")
    moved = await act(desk, receiving.receive_without_order, BOSS, "CMP-01", 2,
                      "Returned by a technician")
    assert (moved.quantity, moved.note, moved.purchase_order_id) == (
        2, "Returned by a technician", None)
