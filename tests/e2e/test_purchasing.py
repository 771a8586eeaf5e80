"""Purchasing and receiving against the purchase order, in chat: a manager (in English) keeps
the suppliers, turns the suggested purchase list into a draft purchase order, changes its
quantities, marks it sent and gets the CSV for the supplier; a manager (in Chinese) receives a
delivery against it line by line (a failed unit with a reason and a photo stays out of stock),
sees the differences, and cannot receive it again once received. Technicians can do none of
it."""
import csv
import io

from sqlalchemy import select

from core import people, purchasing
from core.models import PurchaseOrder, PurchaseReceipt, StockMovement
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import until
from tests.e2e.people import technician
from tests.e2e.test_manager_stock import level, parts, toast

LI = 2001
CATALOGUE = (("CMP-01", "Compressor", 45000, 12, 2, 5), ("THERM-02", "Thermostat", 8000, 6, 0, 0),
             ("VALVE-04", "Valve <V>", 9000, 6, 4, 0), ("BELT-05", "Belt", 1000, 0, 2, 0))


async def rows_of(bot, model, *columns):
    async with bot.desk.uow() as uow:
        found = await uow.session.scalars(select(model).order_by(model.id))
        return [tuple(getattr(row, c) for c in columns) for row in found]


async def test_suppliers_the_suggested_list_and_a_purchase_order_sent(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/suppliers")
    listed = await boss.reply()
    assert "Suppliers: 0" in listed.text and "No suppliers yet" in listed.text
    await boss.press("➕ Add a supplier")
    assert "What is the supplier's name?" in (await boss.reply()).text
    await boss.send("Haier Parts <SH>")
    assert "How do you reach them?" in (await boss.reply()).text
    await boss.send("Mr Xu 021-5555")
    card = await boss.reply()
    assert "Haier Parts <SH>" in card.text and "Contact: Mr Xu 021-5555" in card.text
    await boss.press("➕ Add a part", message=card)
    assert "Which part does this supplier supply?" in (await boss.reply()).text
    await boss.press("VALVE-04 · Valve <V>")
    assert "At what price does this supplier sell it?" in (await boss.reply()).text
    await boss.send("-5")
    assert "price in yuan" in (await boss.reply()).text
    await boss.send("８５.５")  # full-width digits
    assert "How many days from ordering to delivery?" in (await boss.reply()).text
    await boss.send("7")
    card = await boss.reply()
    assert "VALVE-04 Valve <V>: ¥85.50, delivered in 7 days" in card.text
    await boss.send("/suppliers")
    listed = await boss.reply()
    assert "Haier Parts <SH> · Mr Xu 021-5555: 1 part" in listed.text
    await boss.press("🏭 Haier Parts <SH>", message=listed)
    card = await boss.reply()
    assert card.edited and "VALVE-04 Valve <V>: ¥85.50" in card.text

    await boss.send("/purchase")
    suggested = await boss.reply()
    assert ("VALVE-04 Valve <V>: buy 4 (on hand 0, likely use 0, minimum 4, on order 0) · "
            "Haier Parts <SH>") in suggested.text
    assert "BELT-05 Belt: buy 2" in suggested.text and "⚠ no supplier" in suggested.text
    assert "CMP-01" not in suggested.text  # 5 on hand, minimum 2: nothing to buy
    await boss.press("📄 Every part (CSV)", message=suggested)
    sent = await boss.reply()
    assert sent.kind == "document" and sent.filename == "purchase_list_2026-11-24.csv"
    assert "all 4 active parts" in sent.text
    rows = list(csv.reader(io.StringIO(sent.document.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["SKU", "Part", "On hand", "Likely use", "Minimum", "On order", "To buy",
                       "Supplier"]
    assert rows[1:] == [["BELT-05", "Belt", "0", "0", "2", "0", "2", ""],
                        ["CMP-01", "Compressor", "5", "0", "2", "0", "0", ""],
                        ["THERM-02", "Thermostat", "0", "0", "0", "0", "0", ""],
                        ["VALVE-04", "Valve <V>", "0", "0", "4", "0", "4", "Haier Parts <SH>"]]
    await boss.press("🧾 Make draft purchase orders")
    drafts = await boss.reply()
    assert "Draft purchase orders made: 1" in drafts.text
    assert "No supplier for:" in drafts.text and "BELT-05 Belt: buy 2" in drafts.text
    async with bot.desk.uow() as uow:
        order = await uow.session.scalar(select(PurchaseOrder))
    number = order.number
    assert number == f"P-{1000 + order.id}"
    await boss.press(f"{number} · Haier Parts <SH> · draft")
    po = await boss.reply()
    assert "VALVE-04 Valve <V> × 4 at ¥85.50 = ¥342.00" in po.text
    assert po.buttons[0] == ["−", "VALVE-04 × 4", "+"]
    await boss.press("+", message=po)
    po = await boss.reply()
    assert po.edited and "× 5 at ¥85.50 = ¥427.50" in po.text
    for _ in range(4):
        await boss.press("−", message=po)
        po = await boss.reply()
    assert "× 1 at ¥85.50" in po.text and po.buttons[0] == ["VALVE-04 × 1", "+"]
    await boss.press_data(f"po:-:{order.id}:{order.lines[0].id}", message=po)  # below 1
    assert "Please type a number from 1 to 99999" in (await boss.reply()).text
    await boss.press("VALVE-04 × 1", message=po)  # typed instead
    assert "How many to order?" in (await boss.reply()).text
    for bad in ("-2", "0"):
        await boss.send(bad)
        assert "Please type a number from 1 to 99999" in (await boss.reply()).text
    await boss.send("２")
    po = await boss.reply()
    assert "VALVE-04 Valve <V> × 2 at ¥85.50 = ¥171.00" in po.text

    # A technician touches none of it, not even with a forged button.
    await technician(bot.desk, LI, "Li Wei", ["refrigerator"], telegram=telegram)
    li = telegram.user(LI, "Li")
    for command in ("/purchase", "/suppliers", "/receive"):
        await li.send(command)
        assert "Only managers can do that." in (await li.reply()).text, command
    for data in (f"po:s:{order.id}", f"po:c:{order.id}", f"po:+:{order.id}:{order.lines[0].id}",
                 f"poq:go:{order.id}:{order.lines[0].id}",
                 f"prc:go:{order.id}", "po:mk:0", "po:lc:0", "sup:new", "spp:go:1"):
        await li.press_data(data)  # on Li's own latest message
        assert "Only managers can do that." in (await li.reply()).text, data

    await boss.press("📤 Mark as sent", message=po)
    po = await boss.reply()
    assert "· sent" in po.text and "× 2 at ¥85.50" in po.text
    assert ["−", "VALVE-04 × 2", "+"] not in po.buttons and ["📥 Receive"] in po.buttons
    await boss.press_data(f"po:+:{order.id}:{order.lines[0].id}", message=po)  # no longer a draft
    assert f"Purchase order {number} is “sent”" in (await boss.reply()).text
    await boss.press_data(f"poq:go:{order.id}:{order.lines[0].id}", message=po)
    assert f"Purchase order {number} is “sent”" in (await boss.reply()).text
    await boss.press("📄 CSV for the supplier", message=po)
    sent = await boss.reply()
    assert sent.kind == "document" and sent.filename == f"{number}.csv"
    assert sent.document.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(sent.document.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["Purchase order", number] and rows[1] == ["Supplier", "Haier Parts <SH>"]
    assert rows[5] == ["VALVE-04", "Valve <V>", "2", "85.50", "171.00"]
    assert await rows_of(bot, PurchaseOrder, "status") == [("sent",)]

    # /receive now offers it; without a purchase order a reason is needed.
    await boss.send("/receive")
    choose = await boss.reply()
    assert "which purchase order arrived?" in choose.text
    assert choose.buttons == [[f"{number} · Haier Parts <SH> · sent"],
                              ["📥 Without a purchase order"], ["✖ Cancel"]]
    await boss.press("📥 Without a purchase order")
    await boss.press("CMP-01 · Compressor", message=await boss.reply())
    await boss.reply()
    await boss.send("2")
    assert "Receiving without a purchase order needs a reason" in (await boss.reply()).text
    await boss.send("x")
    assert "at least 2 characters" in (await boss.reply()).text
    await boss.send("Returned by a technician")
    await boss.press("✅ Confirm", message=await boss.reply())
    assert "Main warehouse now holds 7." in (await boss.reply()).text
    assert (await rows_of(bot, StockMovement, "kind", "note", "purchase_order_id"))[-1] == (
        "receive", "Returned by a technician", None)


async def sent_order(bot):
    async with bot.desk.uow() as uow:
        boss = await people.ensure_user(uow, MANAGER_ID)
        boss.name = "王经理"
        supplier = await purchasing.add_supplier(uow, boss, "海尔配件", "徐先生")
        order = await purchasing.create_order(uow, boss, supplier.id,
                                              [("CMP-01", 5), ("THERM-02", 2)])
        await purchasing.send(uow, boss, order.id)
        await uow.commit()
        return order.id, order.number


async def test_receiving_against_the_order_line_by_line_until_it_is_closed(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    order_id, number = await sent_order(bot)
    boss = telegram.user(MANAGER_ID, "王经理", language_code="zh")
    mei = telegram.user(950, "Mei", started=True)
    async with bot.desk.uow() as uow:
        people.make_staff(uow, await people.ensure_user(uow, 950), "manager", "Mei")
        await uow.commit()
    await boss.send("/receive")
    choose = await boss.reply()
    assert "哪张采购订单到货了？" in choose.text
    await boss.press(f"{number} · 海尔配件 · 已发送")
    ask = await boss.reply()
    assert "第 1 项，共 2 项" in ask.text and "CMP-01 Compressor：订购 5 件" in ask.text
    for bad, answer in (("-1", "请输入 0 到 99999 之间的数字。"), ("几个", "请用数字输入整数")):
        await boss.send(bad)
        assert answer in (await boss.reply()).text
    await boss.send("４")  # full-width
    assert "验收是否合格" in (await boss.reply()).text
    await boss.press("❌ 有不合格")
    assert "到货的 4 件中有几件验收不合格？" in (await boss.reply()).text
    await boss.send("5")
    assert "请输入 0 到 4 之间的数字。" in (await boss.reply()).text
    await boss.send("1")
    assert "问题是什么" in (await boss.reply()).text
    await boss.send("外壳凹陷 <严重>")
    assert "请发送不合格 CMP-01 的照片" in (await boss.reply()).text
    await boss.send_photo()
    ask = await boss.reply()
    assert "第 2 项，共 2 项" in ask.text and "THERM-02 Thermostat：订购 2 件" in ask.text
    await boss.send("3")
    await boss.press("✅ 全部合格", message=await boss.reply())
    confirm = await boss.reply()
    assert "CMP-01 Compressor：订购 5，到货 4，不合格 1：外壳凹陷 <严重> 📷" in confirm.text
    await boss.press("✅ 登记收货")
    done = await boss.reply()
    assert f"{number} 已收货" in done.text and "当前状态：部分到货" in done.text
    assert "CMP-01 Compressor：3 件入主仓库，1 件不合格（外壳凹陷 <严重>）" in done.text
    assert "CMP-01：订购 5，已收 3（尚缺 2），1 件验收不合格" in done.text
    assert "THERM-02：订购 2，已收 3（多到 1）" in done.text
    assert (await level(bot, "main", "CMP-01"), await level(bot, "main", "THERM-02")) == (8, 3)
    told = await until(mei, "differs from the order")  # the other manager hears of it
    assert f"{number} from 海尔配件" in told.text and "received by 王经理" in told.text
    assert "CMP-01 Compressor: ordered 5, received 3 (2 missing), 1 failed inspection" in told.text
    assert "Failed: 外壳凹陷 <严重>" in told.text and told.buttons == [[f"🧾 {number}"]]
    await mei.press(f"🧾 {number}", message=told)
    assert "· partly received" in (await mei.reply()).text
    receipts = await rows_of(bot, PurchaseReceipt, "arrived", "failed", "reason")
    assert receipts == [(4, 1, "外壳凹陷 <严重>"), (3, 0, None)]
    assert (await rows_of(bot, PurchaseReceipt, "photo_file_id"))[0][0]
    moved = [m for m in await rows_of(bot, StockMovement, "quantity", "purchase_order_id")
             if m[1]]
    assert moved == [(3, order_id), (3, order_id)]

    # The rest arrives: the order is received, and closed.
    await boss.send("/receive")
    await boss.press(f"{number} · 海尔配件 · 部分到货", message=await boss.reply())
    assert "此前已收 3 件" in (await boss.reply()).text
    await boss.send("2")
    await boss.press("✅ 全部合格", message=await boss.reply())
    await boss.reply()
    await boss.send("0")
    confirm = await boss.reply()
    await boss.press("✅ 登记收货", message=confirm)
    done = await boss.reply()
    assert "当前状态：已到齐" in done.text and "CMP-01：订购 5，已收 5" not in done.text
    assert await level(bot, "main", "CMP-01") == 10

    # A received order cannot be received again: not from an old button, nor a forged one.
    await boss.press(f"{number} · 海尔配件 · 已发送", message=choose)
    assert await toast(boss) == "此按钮已过期，请使用最新的消息。"
    await boss.press_data(f"prc:go:{order_id}", message=done)
    assert f"采购订单 {number} 当前为“已到齐”，不能进行此操作，该订单已关闭。" in (
        await boss.reply()).text
    await boss.send("/receive")  # nothing open: straight to the part, without an order
    assert "入库：哪种配件？" in (await boss.reply()).text
    assert await level(bot, "main", "CMP-01") == 10
