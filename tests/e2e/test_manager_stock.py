"""Managers keep the spare parts in chat: the catalogue, goods in, transfers, write-offs, stock
counts and levels; and register sales orders that customers then book delivery for. Every
movement is a ledger row; a level never goes below zero."""
from sqlalchemy import select

from core import catalogue, people, stock, stock_levels
from core.models import Part, SalesOrder, ServiceOrder, StockMovement, User
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.people import registered_customer, technician


async def parts(desk, *rows):
    """Catalogue parts (sku, name, price in fen, warranty months, minimum) and, optionally,
    stock received into the main warehouse (a sixth value)."""
    async with desk.uow() as uow:
        boss = await people.ensure_user(uow, MANAGER_ID)
        for sku, name, price, months, minimum, *received in rows:
            await catalogue.add_part(uow, boss, sku=sku, name=name, price=price,
                                     warranty_months=months, min_level=minimum)
            if received and received[0]:
                await stock.receive(uow, boss, sku, received[0], "opening stock")
        await uow.commit()


STALE = "This button is out of date. Please use the latest message."


async def toast(who) -> str | None:
    """The text of the bot's answer to the last button pressed (nothing else is sent, but
    perhaps a low-stock notice: managers get those after movements)."""
    answered = await who.last_answer()
    assert [m for m in await who.settle() if not m.text.startswith("📦 Low stock")] == []
    return answered


CATALOGUE = (("CMP-01", "Compressor", 45000, 12, 2, 5), ("FAN-03", "Fan motor", 12000, 0, 1, 3),
             ("THERM-02", "Thermostat", 8000, 6, 0, 0))


async def level(bot, warehouse, sku):
    async with bot.desk.uow() as uow:
        if warehouse != "main":
            tech = await people.find_user(uow, warehouse)
            warehouse = (await stock.van(uow, tech)).id
            await uow.commit()
        return await stock_levels.level(uow, warehouse, sku)


async def movements(bot):
    """(kind, sku, warehouse key, quantity, balance, actor's Telegram id, note), oldest first."""
    async with bot.desk.uow() as uow:
        rows = (await uow.session.scalars(select(StockMovement).order_by(StockMovement.id))).all()
        result = []
        for m in rows:
            part = await uow.session.get(Part, m.part_id)
            info = await stock.warehouse_info(uow, m.warehouse_id)
            actor = await uow.session.get(User, m.actor_id) if m.actor_id else None
            result.append((m.kind, part.sku, info.key, m.quantity, m.balance,
                           actor.telegram_id if actor else None, m.note))
        return result


async def test_the_catalogue_add_search_and_edit_a_part(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/parts")
    listing = await boss.reply()
    assert "Parts catalogue — 3 parts" in listing.text
    assert listing.buttons[:3] == [["CMP-01 · Compressor"], ["FAN-03 · Fan motor"],
                                   ["THERM-02 · Thermostat"]]
    await boss.press("➕ Add a part")
    assert "type its SKU" in (await boss.reply()).text
    await boss.send("cmp-01")  # taken, whatever the letter case
    assert "There is already a part CMP-01" in (await boss.reply()).text
    await boss.send("valve#7")
    assert "A SKU is letters, digits" in (await boss.reply()).text
    await boss.send("vlv-07")
    assert "type its name" in (await boss.reply()).text
    await boss.send("Expansion valve <R410A>")
    assert "type its price in yuan" in (await boss.reply()).text
    for bad in ("cheap", "-5", "12.345", "99999999"):
        await boss.send(bad)
        assert "Please type the price in yuan" in (await boss.reply()).text
    await boss.send("¥85.5")
    warranty = await boss.reply()
    assert "months of warranty" in warranty.text
    await boss.press("6")
    assert "minimum level" in (await boss.reply()).text
    await boss.send("lots")
    assert "Please type a whole number" in (await boss.reply()).text
    await boss.send("2")
    summary = await boss.reply()
    assert "SKU: VLV-07" in summary.text and "Price: ¥85.50" in summary.text
    assert "Name: Expansion valve <R410A>" in summary.text  # shown as typed, escaped
    await boss.press("✅ Add it")
    saved, card = await boss.replies(2)
    assert "Part VLV-07 added" in saved.text
    assert "VLV-07 Expansion valve <R410A>" in card.text and "Warranty: 6 months" in card.text
    assert "In the main warehouse: 0 ⚠ under its minimum" in card.text

    await boss.press("✏️ Price")
    assert "now ¥85.50" in (await boss.reply()).text
    await boss.send("90")
    saved, card = await boss.replies(2)
    assert "VLV-07: price saved" in saved.text and "Price: ¥90.00" in card.text
    await boss.press("⛔ No longer sold")
    assert "no longer sold" in (await boss.reply()).text
    await boss.press("◀ All parts")
    await boss.reply()
    await boss.send("valve")  # searching by typing
    found = await boss.reply()
    assert "matching “valve” — 1 part" in found.text
    assert found.buttons[0] == ["⛔ VLV-07 · Expansion valve <R410A>"]
    # The older list's buttons are out of date now.
    await boss.press("CMP-01 · Compressor", message=listing)
    assert await toast(boss) == STALE

    async with bot.desk.uow() as uow:
        part = await catalogue.get_part(uow, "VLV-07", include_inactive=True)
    assert (part.name, part.price, part.warranty_months, part.min_level, part.active) == (
        "Expansion valve <R410A>", 9000, 6, 2, False)


async def test_receive_with_bad_quantities_then_a_supplier_note(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/receive")
    ask = await boss.reply()
    assert "Goods in: which part?" in ask.text
    for forged in ("stk:pt:99999", "stk:wh:1", "stk:ok", "stk:go:nothing"):
        await boss.press_data(forged, message=ask)  # no such part; not this step's buttons
        assert await toast(boss) == STALE, forged
    await boss.send("therm")
    found = await boss.reply()
    assert found.buttons[0] == ["THERM-02 · Thermostat"]
    await boss.press("THERM-02 · Thermostat")
    assert "How many came in?" in (await boss.reply()).text
    for bad, answer in (("ten", "Please type a whole number in digits, from 1 to 100000."),
                        ("-3", "Please type a number from 1 to 100000."),
                        ("0", "Please type a number from 1 to 100000."),
                        ("99999999999999999999", "Please type a number from 1 to 100000."),
                        ("<b>7</b>", "Please type a whole number in digits, from 1 to 100000.")):
        await boss.send(bad)
        assert (await boss.reply()).text == answer
    await boss.send("12")
    assert "Who delivered them?" in (await boss.reply()).text
    await boss.send("Haier parts, note 20261124-07")
    confirm = await boss.reply()
    assert "Quantity: 12" in confirm.text and "Into: the main warehouse" in confirm.text
    await boss.press("✅ Confirm")
    done = await boss.reply()
    assert "Received: 12 × THERM-02 Thermostat." in done.text
    assert "Main warehouse now holds 12." in done.text
    assert await level(bot, "main", "THERM-02") == 12
    assert (await movements(bot))[-1] == ("receive", "THERM-02", "main", 12, 12, MANAGER_ID,
                                          "Haier parts, note 20261124-07")
    # Pressed again: the operation is over, nothing more is received.
    await boss.press_data("stk:ok", message=confirm)
    assert await toast(boss) == STALE
    assert await level(bot, "main", "THERM-02") == 12


async def test_transfer_to_a_van_is_refused_beyond_what_is_there_then_done(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    await technician(bot.desk, 2001, "Li Lei", ["refrigerator"])
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/transfer")
    sources = await boss.reply()
    assert [row[0] for row in sources.buttons[:-1]] == ["Main warehouse", "Van · Li Lei"]
    await boss.press("Main warehouse")
    destinations = await boss.reply()
    assert "Move to which warehouse? (from Main warehouse)" in destinations.text
    assert [row[0] for row in destinations.buttons[:-1]] == ["Van · Li Lei"]
    # A forged button for the source itself changes nothing.
    await boss.press_data(sources.callback_data["Main warehouse"], message=destinations)
    assert await toast(boss) == STALE
    await boss.press("Van · Li Lei")
    picker = await boss.reply()
    assert picker.buttons[0] == ["CMP-01 · Compressor · 5"]
    await boss.press("CMP-01 · Compressor · 5")
    assert "How many to move from Main warehouse to Van · Li Lei? Main warehouse holds 5." in (
        await boss.reply()).text
    await boss.send("7")
    refused = await boss.reply()
    assert refused.text == ("Not enough CMP-01 in stock: 7 asked for, only 5 in Main warehouse. "
                            "Nothing was moved; please type a smaller number.")
    await boss.send("4")
    confirm = await boss.reply()
    assert "From: Main warehouse" in confirm.text and "To: Van · Li Lei" in confirm.text
    # Meanwhile two compressors leave the main warehouse: the transfer is refused at the
    # moment it is recorded, and the quantity is asked again.
    async with bot.desk.uow() as uow:
        await stock.scrap(uow, await people.find_user(uow, MANAGER_ID), "CMP-01", 2, "main",
                          "dropped")
        await uow.commit()
    await boss.press("✅ Confirm")
    refused, again = await boss.replies(2)
    assert "only 3 in Main warehouse" in refused.text
    assert "How many to move" in again.text
    await boss.send("3")
    await boss.reply()
    await boss.press("✅ Confirm")
    done = await boss.reply()
    assert "Moved: 3 × CMP-01 Compressor." in done.text
    assert "Main warehouse now holds 0." in done.text and "Van · Li Lei now holds 3." in done.text
    assert "⚠ CMP-01 Compressor is under its minimum: 0 left in the main warehouse, minimum 2." in (
        done.text)
    assert (await level(bot, "main", "CMP-01"), await level(bot, 2001, "CMP-01")) == (0, 3)
    assert [m[:5] for m in (await movements(bot))[-2:]] == [
        ("transfer_out", "CMP-01", "main", -3, 0), ("transfer_in", "CMP-01", "van:2", 3, 3)]


async def test_scrap_needs_a_reason_and_never_goes_below_zero(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/scrap")
    await boss.reply()
    await boss.press("Main warehouse")
    await boss.reply()
    await boss.press("FAN-03 · Fan motor · 3")
    await boss.reply()
    await boss.send("4")  # a negative level: refused
    assert "Not enough FAN-03 in stock: 4 asked for, only 3 in Main warehouse" in (
        await boss.reply()).text
    await boss.send("1")
    assert "Why are they written off?" in (await boss.reply()).text
    await boss.send("x")
    assert "Please give the reason in a few words" in (await boss.reply()).text
    await boss.send("Burnt out in testing")
    confirm = await boss.reply()
    assert "Reason: Burnt out in testing" in confirm.text
    await boss.press("◀ Back")  # back to the reason, and on again
    await boss.reply()
    await boss.send("Burnt out in the test bench")
    await boss.reply()
    await boss.press("✅ Confirm")
    done = await boss.reply()
    assert "Written off: 1 × FAN-03 Fan motor." in done.text
    assert "Main warehouse now holds 2." in done.text and "minimum" not in done.text
    assert (await movements(bot))[-1] == ("scrap", "FAN-03", "main", -1, 2, MANAGER_ID,
                                          "Burnt out in the test bench")


async def test_a_count_with_differences_is_shown_confirmed_and_recorded(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/count")
    await boss.reply()
    await boss.press("Main warehouse")
    first = await boss.reply()
    assert "Counting Main warehouse: part 1 of 3" in first.text
    assert "CMP-01 Compressor" in first.text and "The books say 5." in first.text
    await boss.send("lots")
    assert "Please type a whole number" in (await boss.reply()).text
    await boss.send("4")
    second = await boss.reply()
    assert "part 2 of 3" in second.text and "FAN-03" in second.text
    await boss.press("✔ 3, as on the books")
    third = await boss.reply()
    assert "THERM-02" in third.text and "The books say 0." in third.text
    await boss.send("2")
    summary = await boss.reply()
    assert "Counted: 3 parts of 3 listed; 1 match the books." in summary.text
    assert "CMP-01 Compressor: books 5, counted 4 (-1)" in summary.text
    assert "THERM-02 Thermostat: books 0, counted 2 (+2)" in summary.text
    # Count one more part, back to the summary, then change the first answer by going back.
    await boss.press("◀ Back")
    again = await boss.reply()
    assert "THERM-02" in again.text and "You counted 2 before." in again.text
    await boss.send("2")
    await boss.reply()
    await boss.press("✅ Record the count")
    done = await boss.reply()
    assert "Count of Main warehouse recorded: 3 parts counted, 2 adjusted." in done.text
    assert "CMP-01 Compressor: 5 → 4 (-1)" in done.text
    assert (await level(bot, "main", "CMP-01"), await level(bot, "main", "FAN-03"),
            await level(bot, "main", "THERM-02")) == (4, 3, 2)
    assert [m[:6] for m in (await movements(bot))[-2:]] == [
        ("count_adjustment", "CMP-01", "main", -1, 4, MANAGER_ID),
        ("count_adjustment", "THERM-02", "main", 2, 2, MANAGER_ID)]


async def test_a_van_count_can_add_a_part_the_books_do_not_show(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    await technician(bot.desk, 2001, "Li Lei", ["refrigerator"])
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/count")
    await boss.reply()
    await boss.press("Van · Li Lei")
    summary = await boss.reply()
    assert "Nothing counted yet. The books show nothing in this warehouse" in summary.text
    await boss.press("➕ Count another part")
    await boss.reply()
    await boss.press("FAN-03 · Fan motor · 0")
    assert "The books say 0." in (await boss.reply()).text
    await boss.send("1")
    summary = await boss.reply()
    assert "FAN-03 Fan motor: books 0, counted 1 (+1)" in summary.text
    await boss.press("✅ Record the count")
    assert "1 part counted, 1 adjusted" in (await boss.reply()).text
    assert await level(bot, 2001, "FAN-03") == 1


async def test_levels_mark_parts_under_their_minimum_and_show_the_history(telegram, bot):
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    await parts(bot.desk, *CATALOGUE, ("DOOR-9", "Door seal", 3000, 0, 4, 1))
    notice = await boss.reply(timeout=10)  # goods in, yet under the minimum: managers hear
    assert "Low stock: DOOR-9 Door seal — 1 left in the main warehouse" in notice.text
    await boss.send("/stock")
    overview = await boss.reply()
    assert "Under their minimum in the main warehouse:\nDOOR-9 Door seal: 1 (minimum 4)" in (
        overview.text)
    assert overview.buttons[0] == ["Main warehouse · ⚠ 1"]
    await boss.press("Main warehouse · ⚠ 1")
    levels = await boss.reply()
    assert "CMP-01 Compressor: 5 (min 2)" in levels.text
    assert "⚠ DOOR-9 Door seal: 1 (min 4)" in levels.text
    assert "THERM-02 Thermostat: 0" in levels.text
    await boss.press("⚠ Only under minimum")
    low = await boss.reply()
    assert "under their minimum — 1 part" in low.text and "CMP-01" not in low.text
    await boss.press("📜 History")
    history = await boss.reply()
    assert "Main warehouse: history — 3 movements" in history.text
    assert "in DOOR-9 +1 → 1" in history.text and "opening stock" in history.text
    await boss.press_data("lvl:v:999:1:a", message=history)  # no such warehouse
    assert await toast(boss) == STALE


async def test_another_command_is_answered_and_the_operation_goes_on(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/receive")
    await boss.reply()
    await boss.press("CMP-01 · Compressor")
    assert "How many came in?" in (await boss.reply()).text
    await boss.send("/stock")  # answered as usual...
    assert "Stock: tap a warehouse" in (await boss.reply()).text
    await boss.send("5")  # ...and the open question still takes its answer
    assert "Who delivered them?" in (await boss.reply()).text
    await boss.send("Returned by a technician")
    await boss.reply()
    await boss.press("✅ Confirm")
    assert "Main warehouse now holds 10." in (await boss.reply()).text
    await boss.send("/receive")
    receive = await boss.reply()
    await boss.send("/scrap")  # another operation's command starts that one instead
    assert "Write off parts from which warehouse?" in (await boss.reply()).text
    await boss.press("CMP-01 · Compressor", message=receive)
    assert await toast(boss) == STALE
    await boss.send("/cancel")
    assert "Stopped. Nothing was recorded." in (await boss.reply()).text
    assert await level(bot, "main", "CMP-01") == 10


async def test_an_operation_survives_a_restart(telegram, bots):
    bot = await bots.start()
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/receive")
    await boss.reply()
    await boss.press("FAN-03 · Fan motor")
    await boss.reply()
    bot = await bots.restart(bot)
    await boss.send("2")
    assert "Who delivered them?" in (await boss.reply()).text
    await boss.send("Returned by a technician")
    await boss.reply()
    await boss.press("✅ Confirm")
    assert "Main warehouse now holds 5." in (await boss.reply()).text


async def test_a_registered_sales_order_is_booked_by_its_customer(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["refrigerator"])
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/sale")
    assert "New sales order" in (await boss.reply()).text
    await boss.send("S 2026/0077 ???")
    assert "Type the number as printed on the receipt" in (await boss.reply()).text
    await boss.send("s-2026-0077")
    assert "buyer's name" in (await boss.reply()).text
    await boss.send("Ann <Chen>")
    await boss.reply()
    await boss.send("12345")
    assert "does not look like a phone number" in (await boss.reply()).text
    await boss.send("139 0013 9000")
    await boss.reply()
    await boss.send("8 Century Ave, Pudong, flat 1201")
    await boss.reply()
    await boss.press("Refrigerator")
    await boss.reply()
    await boss.press("Haier")
    await boss.reply()
    await boss.send("BCD-500")
    summary = await boss.reply()
    assert "Sales order S-2026-0077: please check" in summary.text
    assert "Buyer: Ann <Chen>, +86 139 0013 9000" in summary.text
    assert "Appliance: Refrigerator Haier BCD-500" in summary.text
    await boss.press("✅ Register")
    registered = await boss.reply()
    assert "Sales order S-2026-0077 is registered for Ann <Chen>" in registered.text
    assert "/deliver, using the number S-2026-0077 and the phone +86 139 0013 9000" in (
        registered.text)
    # The same number again is refused at the end, and only the number is asked again.
    await boss.press("➕ Another sales order")
    await boss.reply()
    for answer in ("S-2026-0077", "Bob", "13700137000", "1 Main St"):
        await boss.send(answer)
        await boss.reply()
    await boss.press("TV")
    await boss.reply()
    await boss.press("Skip")
    await boss.reply()
    await boss.press("Skip")
    await boss.reply()
    await boss.press("✅ Register")
    taken, ask = await boss.replies(2)
    assert "Sales order S-2026-0077 is already registered" in taken.text
    await boss.send("S-2026-0078")
    assert "Sales order S-2026-0078: please check" in (await boss.reply()).text
    await boss.press("✖ Cancel")
    assert "No sales order was registered" in (await boss.reply()).text

    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/deliver")
    await ann.reply()
    await ann.send("S-2026-0077")
    await ann.reply()
    await ann.send("13900139000")
    found, ask_address = await ann.replies(2)
    assert "S-2026-0077" in found.text and "Haier" in found.text
    await ann.press("8 Century Ave, Pudong, flat 1201")
    await ann.press("Wed 25 Nov", message=await ann.reply())
    await ann.press("09:00–12:00", message=await ann.reply())
    await ann.reply()
    await ann.press("✅ Confirm")
    assert "Your order number is I-1001" in (await ann.reply()).text
    async with bot.desk.uow() as uow:
        sales_order = await uow.session.scalar(select(SalesOrder))
        order = await uow.session.scalar(select(ServiceOrder))
    assert (sales_order.number, sales_order.customer_name, sales_order.brand) == (
        "S-2026-0077", "Ann <Chen>", "Haier")
    assert (order.kind, order.sales_order_id, order.category) == (
        "installation", sales_order.id, "refrigerator")


async def test_only_managers_may_use_the_stock_staff_and_sales_commands(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    await technician(bot.desk, 2001, "Li Lei", ["refrigerator"])
    ann = await registered_customer(telegram, 1001, "Ann")
    li = telegram.user(2001, "Li")
    for who in (ann, li):
        for command in ("/staff", "/stock", "/parts", "/receive", "/transfer", "/count",
                        "/scrap", "/sale"):
            await who.send(command)
            assert (await who.reply()).text == "Only managers can do that.", command
        for data in ("lvl:w", "lvl:v:1:1:a", "lvl:h:1:1", "stk:go:receive", "sal:new",
                     "stf:p:1", "stf:v:1", "stf:dy:2", "stf:sks:2:1"):
            await who.press_data(data)
            assert (await who.reply()).text == "Only managers can do that.", data
    assert await movements(bot) == [m for m in await movements(bot) if m[0] == "receive"]
    async with bot.desk.uow() as uow:
        assert (await people.find_user(uow, 2001)).active


async def test_the_catalogue_and_the_part_picker_are_paged(telegram, bot):
    await parts(bot.desk, *((f"P-{n:02d}", f"Part {n}", 100, 0, 0) for n in range(11)))
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/parts")
    first = await boss.reply()
    assert "11 parts, page 1 of 2" in first.text and ["Next ▶"] in first.buttons
    await boss.press("Next ▶")
    second = await boss.reply()
    assert second.edited and "page 2 of 2" in second.text
    assert [row[0] for row in second.buttons[:3]] == ["P-08 · Part 8", "P-09 · Part 9",
                                                      "P-10 · Part 10"]
    await boss.send("/receive")
    picker = await boss.reply()
    assert "11 parts (page 1 of 2)" in picker.text
    await boss.press("Next ▶")
    await boss.press("P-10 · Part 10", message=await boss.reply())
    assert "P-10" in (await boss.reply()).text


async def test_a_chinese_speaking_manager_gets_it_in_chinese(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "王芳", language_code="zh")
    await boss.send("/stock")
    overview = await boss.reply()
    assert "库存" in overview.text and overview.buttons[0] == ["主仓库"]
    await boss.press("主仓库")
    assert "CMP-01 Compressor：5（最低 2）" in (await boss.reply()).text
    await boss.send("/receive")
    await boss.press("FAN-03 · Fan motor", message=await boss.reply())
    await boss.reply()
    await boss.send("十")
    assert (await boss.reply()).text == "请用数字输入整数，范围 1 到 100000。"


GONE_WRONG = "something went wrong"


async def corrected(who, wrong: str, right: str, refusal: str):
    """Types a refused answer, then edits that message into a good one: the correction is
    taken as the answer to the open question. Returns the bot's next message."""
    typed = await who.send(wrong)
    assert refusal in (await who.reply()).text
    await who.edit(typed, right)
    answer = await who.reply()
    assert GONE_WRONG not in answer.text
    return answer


async def test_full_width_digits_and_a_press_refused_once_in_goods_in(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "Boss", language_code="zh")
    await boss.send("/receive")
    ask = await boss.reply()
    pressed = len(boss.answers)
    await boss.press_data("stk:pt:99999", message=ask)  # refused: answered once, nothing sent
    assert await toast(boss) == "此按钮已过期，请使用最新的消息。"
    assert len(boss.answers) == pressed + 1
    await boss.press("FAN-03 · Fan motor")
    await boss.reply()
    await boss.send("１ ２")  # a space inside is not guessed at
    assert "请用数字输入整数" in (await boss.reply()).text
    await boss.send(" １２ ")  # full-width digits, as a Chinese keyboard types them
    await boss.reply()
    await boss.send("技师退回")
    confirm = await boss.reply()
    assert "12" in confirm.text
    await boss.press("✅ 确认")
    await boss.reply()
    assert await level(bot, "main", "FAN-03") == 15


async def test_an_edited_answer_is_taken_at_every_typed_step(telegram, bot):
    await parts(bot.desk, *CATALOGUE)
    boss = telegram.user(MANAGER_ID, "Boss")
    long = "x" * 400
    # Goods in: the part search, the quantity, the note.
    await boss.send("/receive")
    await boss.reply()
    found = await corrected(boss, long, "therm", "too long")
    assert found.buttons[0] == ["THERM-02 · Thermostat"]
    await boss.press("THERM-02 · Thermostat")
    await boss.reply()
    ask_note = await corrected(boss, "ten", "12", "Please type a whole number")
    assert "Who delivered them?" in ask_note.text
    confirm = await corrected(boss, long, "Haier parts", "too long")
    assert "Quantity: 12" in confirm.text and "Haier parts" in confirm.text
    await boss.press("✅ Confirm")
    assert "Received: 12 × THERM-02" in (await boss.reply()).text
    # An edit of an older message is not taken, and says so.
    await boss.send("/receive")
    await boss.reply()
    first = await boss.send("fan")
    await boss.reply()
    await boss.send("comp")
    await boss.reply()
    await boss.edit(first, "therm")
    assert "that edit was not taken" in (await boss.reply()).text
    # Write-off: the quantity and the reason.
    await boss.send("/scrap")
    await boss.reply()
    await boss.press("Main warehouse")
    await boss.reply()
    await boss.press("FAN-03 · Fan motor · 3")
    await boss.reply()
    assert "Why are they written off?" in (
        await corrected(boss, "1 2", "1", "Please type a whole number")).text
    confirm = await corrected(boss, "x", "Burnt out", "Please give the reason")
    assert "Reason: Burnt out" in confirm.text
    await boss.send("/cancel")
    await boss.reply()
    # A count: a listed part, the part search, a part found there.
    await boss.send("/count")
    await boss.reply()
    await boss.press("Main warehouse")
    await boss.reply()
    assert "part 2 of 3" in (await corrected(boss, "lots", "4", "Please type a whole number")).text
    await boss.press("Finish here")
    await boss.reply()
    await boss.press("➕ Count another part")
    await boss.reply()
    found = await corrected(boss, long, "fan", "too long")
    await boss.press("FAN-03 · Fan motor · 3", message=found)
    await boss.reply()
    summary = await corrected(boss, "lots", "2", "Please type a whole number")
    assert "FAN-03 Fan motor: books 3, counted 2 (-1)" in summary.text
    await boss.send("/cancel")
    await boss.reply()
    # The catalogue: the search, a new part's every field, a field changed.
    await boss.send("/parts")
    await boss.reply()
    assert "matching “comp”" in (await corrected(boss, long, "comp", "too long")).text
    await boss.press("➕ Add a part")
    await boss.reply()
    assert "type its name" in (await corrected(boss, "valve#7", "VLV-07", "A SKU is")).text
    assert "type its price" in (await corrected(boss, long, "Valve", "too long")).text
    assert "months of warranty" in (
        await corrected(boss, "cheap", "85", "Please type the price")).text
    assert "minimum level" in (
        await corrected(boss, "lots", "6", "Please type a whole number")).text
    summary = await corrected(boss, "lots", "2", "Please type a whole number")
    assert "SKU: VLV-07" in summary.text and "Warranty: 6 months" in summary.text
    await boss.press("✅ Add it")
    await boss.replies(2)
    await boss.press("✏️ Name")
    await boss.reply()
    typed = await boss.send(long)
    assert "too long" in (await boss.reply()).text
    await boss.edit(typed, "Expansion valve")
    saved, card = await boss.replies(2)
    assert "VLV-07: name saved" in saved.text and "Expansion valve" in card.text
    await boss.send("/cancel")
    await boss.reply()
    # A sales order: number, name, phone, address, brand typed, model.
    await boss.send("/sale")
    await boss.reply()
    assert "buyer's name" in (
        await corrected(boss, "S 2026/0077 ???", "S-2026-0077", "Type the number")).text
    await corrected(boss, long, "Ann", "too long")
    await corrected(boss, "12345", "13900139000", "does not look like a phone number")
    await corrected(boss, long, "8 Century Ave", "too long")
    await boss.press("Refrigerator")
    await boss.reply()
    await corrected(boss, long, "Haier", "too long")
    summary = await corrected(boss, long, "BCD-500", "too long")
    assert "Appliance: Refrigerator Haier BCD-500" in summary.text
    await boss.press("✖ Cancel")
    assert "No sales order was registered" in (await boss.reply()).text
    assert await level(bot, "main", "FAN-03") == 3
