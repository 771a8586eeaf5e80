"""Customers book repairs and deliveries in chat, as people would."""
from sqlalchemy import select

from core import conversations
from core.models import Address, OrderEvent, ServiceOrder
from tests.e2e.booking_steps import book_repair_until_summary
from tests.e2e.people import registered_customer, sales_order, technician

# The tests' clock stands at Tue 24 Nov 2026, 10:00 in Shanghai: today's 09-12 has begun.


async def orders_in(bot):
    async with bot.desk.uow() as uow:
        return (await uow.session.scalars(select(ServiceOrder).order_by(ServiceOrder.id))).all()


async def test_a_customer_books_a_repair_from_start_to_order_number(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["tv"])
    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/book")
    assert "Which appliance" in (await ann.reply()).text
    await ann.press("TV")
    assert "brand" in (await ann.reply()).text
    await ann.press("Other…")
    assert "Type the brand" in (await ann.reply()).text
    await ann.send("Skyworth")
    assert "model" in (await ann.reply()).text
    await ann.send("55G7")
    assert "serial number" in (await ann.reply()).text
    await ann.press("Skip")
    assert "What is wrong" in (await ann.reply()).text
    await ann.send("No picture, sound works <since Monday> & it clicks 📺")
    assert "photos" in (await ann.reply()).text
    await ann.send_photo()
    assert "Photo 1" in (await ann.reply()).text
    await ann.send_photo()
    assert "Photo 2" in (await ann.reply()).text
    await ann.press("Done with photos")
    assert "Where should the technician come" in (await ann.reply()).text
    await ann.send_location(31.23, 121.47)
    assert "Location received" in (await ann.reply()).text
    await ann.send("88 Century Ave, flat 5")  # no district named: asked for, with buttons
    district = await ann.reply()
    assert "Which district is 88 Century Ave, flat 5 in?" in district.text
    assert ["Pudong", "Minhang"] in [row[1:] for row in district.buttons]
    await ann.press("Pudong")
    keyboard_note, ask_phone = await ann.replies(2)
    assert keyboard_note.reply_keyboard[0][0]["request_contact"]
    await ann.press("+86 138 0013 8000")
    noted, ask_day = await ann.replies(2)
    assert "Which day" in ask_day.text
    assert ask_day.buttons[0][0] == "Tue 24 Nov" and len(sum(ask_day.buttons[:-1], [])) == 7
    await ann.press("Tue 24 Nov")
    windows = await ann.reply()
    assert [row[0] for row in windows.buttons[:-1]] == ["13:00–17:00", "17:00–20:00"]
    await ann.press("13:00–17:00")
    summary = await ann.reply()
    assert "Skyworth, model 55G7" in summary.text
    assert "No picture, sound works <since Monday> & it clicks 📺" in summary.text
    assert "Photos: 2" in summary.text and "Pudong 88 Century Ave, flat 5 📍" in summary.text
    assert "Tue 24 Nov, 13:00–17:00" in summary.text
    await ann.press("✅ Confirm")
    booked = await ann.reply()
    assert "Your order number is R-1001" in booked.text

    [order] = await orders_in(bot)
    assert (order.number, order.kind, order.status, order.category) == (
        "R-1001", "repair", "new", "tv")
    assert (str(order.booked_date), order.window, len(order.photos)) == ("2026-11-24", "13-17", 2)
    assert order.window_start.hour == 5  # 13:00 in Shanghai is 05:00 UTC
    async with bot.desk.uow() as uow:
        address = await uow.session.get(Address, order.address_id)
        events = (await uow.session.scalars(select(OrderEvent))).all()
    assert (address.text, address.latitude) == ("Pudong 88 Century Ave, flat 5", 31.23)
    assert [e.action for e in events] == ["create"]

    # The next booking offers the saved address as a button.
    await ann.send("/book")
    await ann.reply()
    await ann.press("Washing machine")
    await ann.reply()
    await ann.press("Haier")
    await ann.reply()
    await ann.press("Skip")
    await ann.reply()
    await ann.press("Skip")
    await ann.reply()
    await ann.send("Does not spin")
    await ann.reply()
    await ann.press("Done with photos")
    assert (await ann.reply()).buttons[0] == ["Pudong 88 Century Ave, flat 5"]


async def test_a_chinese_customer_books_in_chinese(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["air_conditioner"])
    wang = await registered_customer(telegram, 1002, "王小明", language_code="zh")
    await wang.send("/book")
    assert "哪件家电需要维修" in (await wang.reply()).text
    await wang.press("空调")
    brands = await wang.reply()
    assert ["海尔", "美的", "格力"] == brands.buttons[0]  # brands in the customer's language
    await wang.press("格力")
    await wang.reply()
    await wang.press("跳过")
    await wang.reply()
    await wang.press("跳过")
    await wang.reply()
    await wang.send("不制冷，有异响")
    await wang.reply()
    await wang.press("照片已发完")
    await wang.reply()
    await wang.send("上海市浦东新区世纪大道 88 号 5 楼")
    await wang.replies(2)
    await wang.send("13900139000")
    noted, ask_day = await wang.replies(2)
    assert "电话：+86 139 0013 9000" in noted.text and "哪天方便" in ask_day.text
    await wang.press("11月25日 周三")
    await wang.reply()
    await wang.press("09:00–12:00")
    summary = await wang.reply()
    assert "请核对预约信息" in summary.text and "不制冷，有异响" in summary.text
    assert "空调，格力" in summary.text
    await wang.press("✅ 确认")
    assert "您的订单号是 R-1001" in (await wang.reply()).text


async def test_what_is_not_a_serial_number_is_explained_and_the_question_stays(telegram, bot):
    """An address typed one step too early is not kept as the serial number that follows the
    appliance into its warranty."""
    await technician(bot.desk, 2001, "Li Lei", ["air_conditioner", "tv"])
    wang = await registered_customer(telegram, 1002, "王小明", language_code="zh")
    ann = await registered_customer(telegram, 1001, "Ann")
    for person, appliance, brand, skip in ((wang, "空调", "格力", "跳过"),
                                           (ann, "TV", "Haier", "Skip")):
        await person.send("/book")
        await person.reply()
        await person.press(appliance)
        await person.reply()
        await person.press(brand)
        await person.reply()
        await person.press(skip)
        await person.reply()  # the serial number's question
    await wang.send("上海市浦东新区世纪大道 88 号 5 楼")
    assert "序列号由字母和数字组成" in (await wang.reply()).text
    await ann.send("88 Century Ave, flat 5")
    assert "A serial number is letters and digits" in (await ann.reply()).text
    await wang.send("ＳＮ１２３４５６")  # full-width, from a Chinese keyboard
    assert "出了什么问题" in (await wang.reply()).text
    await ann.press("Skip")
    assert "What is wrong" in (await ann.reply()).text
    async with bot.desk.uow() as uow:
        draft = (await conversations.load(uow, 1002)).draft
    assert draft["serial"] == "SN123456"


async def test_a_customer_books_delivery_against_a_sales_order(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["refrigerator"])
    await sales_order(bot.desk, number="S-2026-0042", phone="+8613900139000")
    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/deliver")
    assert "sales order number" in (await ann.reply()).text
    await ann.send("S-2026-0042")
    await ann.reply()
    await ann.send("13700137000")  # not the phone on the receipt
    refusal, again = await ann.replies(2)
    assert "could not find a sales order" in refusal.text and "4 tries left" in refusal.text
    await ann.send("s 2026 0042")
    await ann.reply()
    await ann.send("139 0013 9000")
    found, ask_address = await ann.replies(2)
    assert "S-2026-0042" in found.text and "Haier" in found.text
    assert ask_address.buttons[0] == ["8 Century Ave, Pudong, flat 1201"]
    await ann.press("8 Century Ave, Pudong, flat 1201")
    await ann.press("Wed 25 Nov", message=await ann.reply())
    await ann.press("17:00–20:00", message=await ann.reply())
    summary = await ann.reply()
    assert "Delivery and installation, sales order S-2026-0042" in summary.text
    await ann.press("✅ Confirm")
    assert "Your order number is I-1001" in (await ann.reply()).text
    [order] = await orders_in(bot)
    assert (order.kind, order.category, order.phone) == ("installation", "refrigerator",
                                                         "+8613900139000")


async def test_five_wrong_sales_order_tries_make_the_customer_wait(telegram, bot, clock):
    await sales_order(bot.desk)
    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/deliver")
    await ann.reply()
    for attempt in range(5):
        await ann.send(f"S-999{attempt}")
        await ann.reply()
        await ann.send("13900139000")
        await ann.replies(2)
    await ann.send("S-2026-0042")
    await ann.reply()
    await ann.send("13900139000")  # the right pair, but too late
    assert "Too many wrong tries" in (await ann.reply()).text
    clock.advance(hours=1, minutes=1)
    await ann.send("/deliver")
    await ann.reply()
    await ann.send("S-2026-0042")
    await ann.reply()
    await ann.send("13900139000")
    found, _ = await ann.replies(2)
    assert "Found: sales order S-2026-0042" in found.text


async def test_two_customers_at_the_last_place_one_gets_it_the_other_is_offered_others(
        telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["tv"])
    ann = await registered_customer(telegram, 1001, "Ann")
    bob = await registered_customer(telegram, 1002, "Bob", phone="+8613900139000")
    for who, model in ((ann, "Ann-TV"), (bob, "Bob-TV")):  # both at the summary, last place
        await book_repair_until_summary(who, model=model)
    await ann.press("✅ Confirm")
    await bob.press("✅ Confirm")
    assert "R-1001" in (await ann.reply()).text
    taken, windows = await bob.replies(2)
    assert "someone has just taken the last place" in taken.text
    assert [row[0] for row in windows.buttons[:-1]] == ["13:00–17:00", "17:00–20:00"]
    await bob.press("13:00–17:00")
    await bob.reply()
    await bob.press("✅ Confirm")
    assert "R-1002" in (await bob.reply()).text
    assert [o.window for o in await orders_in(bot)] == ["09-12", "13-17"]


async def test_delivery_already_booked_is_said_right_after_the_number_and_phone(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["refrigerator"])
    await sales_order(bot.desk)
    ann = await registered_customer(telegram, 1001, "Ann", phone="+8613900139000")
    await ann.send("/deliver")
    await ann.reply()
    await ann.send("S-2026-0042")
    await ann.reply()
    await ann.send("13900139000")
    await ann.replies(2)  # found, and the address question
    await ann.press("8 Century Ave, Pudong, flat 1201")
    await ann.press("Wed 25 Nov", message=await ann.reply())
    await ann.press("09:00–12:00", message=await ann.reply())
    await ann.reply()
    await ann.press("✅ Confirm")
    assert "I-1001" in (await ann.reply()).text
    await ann.send("/deliver")  # again: refused before any address or time is asked
    await ann.reply()
    await ann.send("S-2026-0042")
    await ann.reply()
    await ann.send("13900139000")
    refused = await ann.reply()
    assert "already booked: order I-1001" in refused.text
    await ann.settle(quiet=0.3)
    assert "Where should" not in ann.transcript_text().split("> Ann: /deliver")[-1]
