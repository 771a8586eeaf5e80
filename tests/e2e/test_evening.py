"""A Shanghai company's real day at real hours, in Chinese: a visit that runs late into the
evening. What the customer is waiting for beside the technician (the quote, the report) comes
at once after 21:00; only what they did not ask for waits for 08:00; and rating the job does
not bring the report a second time."""
from datetime import date

from core import catalogue, job_completion, jobs, people
from tests.e2e.job_steps import (
    act,
    assign,
    catalogue_and_stock,
    drained,
    order_row,
    until,
)
from tests.e2e.people import registered_customer, technician
from tests.e2e.staff_acts import booked_through_core
from tests.workshop import at

LI = 2001
WED = date(2026, 11, 25)


async def late_visit(telegram, bot, clock):
    """Ann (zh) booked Wed 25 Nov 17-20; Li is on site at 20:40, diagnoses, and at 21:10
    sends the quote."""
    await technician(bot.desk, LI, "李 师傅", ["refrigerator"], telegram=telegram)
    async with bot.desk.uow() as uow:  # Li reads Chinese too
        (await people.find_user(uow, LI)).language = "zh"
        await uow.commit()
    await catalogue_and_stock(bot, van_of=LI)
    ann = await registered_customer(telegram, 1001, "张伟", language_code="zh")
    number = await booked_through_core(bot, 1001, day="2026-11-25", window="17-20")
    await assign(bot, number, LI)
    await act(bot, LI, number, jobs.accept)
    clock.at = at(WED, 20, 10)
    await act(bot, LI, number, jobs.start_trip)
    clock.at = at(WED, 20, 40)
    await act(bot, LI, number, jobs.arrive)
    await act(bot, LI, number, jobs.diagnose, "压缩机继电器烧坏")
    await drained(bot, ann)
    clock.at = at(WED, 21, 10)
    async with bot.desk.uow() as uow:
        labour = await catalogue.get_labour_item(uow, "LAB")
        part = await catalogue.get_part(uow, "CMP-01")
    from core import quotes
    await act(bot, LI, number, quotes.add_labour, labour)
    await act(bot, LI, number, quotes.add_part, part, 1)
    await act(bot, LI, number, quotes.send_quote)
    return ann, number, part


async def test_after_nine_the_quote_and_report_come_at_once_and_the_report_only_once(
        telegram, bot, clock):
    ann, number, part = await late_visit(telegram, bot, clock)
    quote = await until(ann, "您确认后才会开始维修")  # at 21:10, not at 08:00 tomorrow
    assert number in quote.text and "¥530.00" in quote.text
    await ann.press("✅ 确认报价", message=quote)
    await drained(bot, ann)

    clock.at = at(WED, 21, 40)
    await act(bot, LI, number, job_completion.complete, [(part, 1, "SN-7781")])
    report = await until(ann, "请点星评价")
    assert number in report.text and "SN-7781" in report.text
    assert report.buttons == [["★", "★★", "★★★", "★★★★", "★★★★★"]]
    clock.at = at(WED, 21, 45)
    await ann.press("★★★★★", message=report)
    await until(ann, "感谢您的 5 星评价")

    # The rating request would have come at 22:40; the stars were given; nothing more comes,
    # neither tonight nor at 08:00 (and the report never a second time).
    clock.at = at(WED, 23, 0)
    assert not [m for m in await drained(bot, ann) if "请点星评价" in (m.text or "")]
    clock.at = at(date(2026, 11, 26), 8, 1)
    await drained(bot, ann)
    assert len([line for line in ann.transcript if "维修报告，订单" in line]) == 1
    assert len([line for line in ann.transcript if "请点星评价" in line]) == 1
    assert not [line for line in ann.transcript if "您的评价帮助我们改进" in line]


async def test_an_unanswered_quote_nudge_and_the_rating_request_wait_for_eight(
        telegram, bot, clock):
    ann, number, part = await late_visit(telegram, bot, clock)
    quote = await until(ann, "您确认后才会开始维修")
    await ann.press("✅ 确认报价", message=quote)
    await drained(bot, ann)
    clock.at = at(WED, 21, 40)
    await act(bot, LI, number, job_completion.complete, [(part, 1, None)])
    await until(ann, "请点星评价")
    clock.at = at(WED, 23, 30)  # the rating request (due 22:40) is held back
    assert not [m for m in await drained(bot, ann) if m.text]
    clock.at = at(date(2026, 11, 26), 8, 0)
    request = await until(ann, "您的评价帮助我们改进")
    assert number in request.text


async def test_the_timeline_shows_money_payment_and_stars_in_the_readers_words(
        telegram, bot, clock):
    ann, number, part = await late_visit(telegram, bot, clock)
    quote = await until(ann, "您确认后才会开始维修")
    await ann.press("✅ 确认报价", message=quote)
    await until(ann, "已确认")
    clock.at = at(WED, 21, 40)
    await act(bot, LI, number, job_completion.complete, [(part, 1, None)])
    await act(bot, LI, number, jobs.settle, "transfer")
    report = await until(ann, "请点星评价")
    clock.at = at(WED, 21, 50)
    await ann.press("★★★★", message=report)
    await until(ann, "感谢您的 4 星评价")
    await ann.send("师傅很专业 <很准时>")
    await ann.reply()

    boss = telegram.user(900, "王芳", language_code="zh")
    await boss.send(f"/status {number}")
    card = await until(boss, f"订单 {number}")
    for raw in ("v1 53000", "— 53000", "— transfer", "— 4"):
        assert raw not in card.text
    assert "已发送报价（李） — 第 1 版，¥530.00" in card.text
    assert "已确认报价 — 第 1 版，¥530.00" in card.text
    assert "已完工（李） — ¥530.00" in card.text
    assert "已结算关闭（李） — 转账" in card.text
    assert "已评价 — ★★★★☆「师傅很专业 <很准时>」" in card.text
    await ann.send(f"/status {number}")
    mine = await until(ann, f"订单 {number}")
    assert "已完工（李） — ¥530.00" in mine.text and "★★★★☆" in mine.text


async def test_a_low_rating_and_its_comment_reach_the_manager_at_once(telegram, bot, clock):
    boss = telegram.user(900, "王芳", language_code="zh")
    await boss.send("/start")
    await boss.settle()
    ann, number, part = await late_visit(telegram, bot, clock)
    quote = await until(ann, "您确认后才会开始维修")
    await ann.press("✅ 确认报价", message=quote)
    await until(ann, "已确认")
    clock.at = at(WED, 21, 40)
    await act(bot, LI, number, job_completion.complete, [(part, 1, None)])
    report = await until(ann, "请点星评价")
    clock.at = at(WED, 22, 5)
    await ann.press("★★", message=report)
    await until(ann, "感谢您的 2 星评价")
    await ann.send("来得太晚 & 没带鞋套")
    await ann.reply()
    notice = await until(boss, "低分评价")  # 22:05: managers are not held to quiet hours
    assert number in notice.text and "★★☆☆☆" in notice.text
    assert notice.buttons == [["查看订单"]]
    await boss.press("查看订单", message=notice)
    card = await until(boss, f"订单 {number}")
    assert "已评价 — ★★☆☆☆「来得太晚 & 没带鞋套」" in card.text


async def test_declining_asks_first_and_offers_a_different_quote(telegram, bot, clock):
    from core import quotes
    from tests.e2e.job_steps import order_row

    ann, number, part = await late_visit(telegram, bot, clock)
    li = telegram.user(LI, "李")
    quote = await until(ann, "您确认后才会开始维修")
    assert quote.buttons == [["✅ 确认报价", "✖ 拒绝"]]
    await ann.press("✖ 拒绝", message=quote)
    confirm = await until(ann, "拒绝后本次上门仅做检测")
    assert "「🔄 请技师换个方案重新报价」" in confirm.text
    assert confirm.buttons == [["🔄 请技师换个方案重新报价"], ["✖ 拒绝，仅做检测"], ["↩️ 返回报价"]]
    assert (await order_row(bot, number)).status == "awaiting_approval"  # one tap closes nothing
    await ann.press("↩️ 返回报价", message=confirm)
    again = await until(ann, "合计")
    assert again.buttons == [["✅ 确认报价", "✖ 拒绝"]]
    await ann.press("✖ 拒绝", message=again)
    confirm = await until(ann, "拒绝后本次上门仅做检测")
    await ann.press("🔄 请技师换个方案重新报价", message=confirm)
    await until(ann, "已请技师换个方案")
    told = await until(li, "客户希望换个方案")
    assert number in told.text
    assert (await order_row(bot, number)).status == "on_site"

    # The technician revises (the new version starts from the old lines) and sends it.
    draft = await act(bot, LI, number, quotes.draft_view)
    assert draft.version == 2 and len(draft.lines) == 2
    await act(bot, LI, number, quotes.remove_line, draft.lines[1].id)
    await act(bot, LI, number, quotes.send_quote)
    second = await until(ann, "您确认后才会开始维修")
    assert "¥80.00" in second.text and "¥450.00" not in second.text
    await ann.press("✖ 拒绝", message=second)
    confirm = await until(ann, "拒绝后本次上门仅做检测")
    await ann.press("✖ 拒绝，仅做检测", message=confirm)
    await until(ann, "本次上门仅做检测，订单已关闭")
    assert (await order_row(bot, number)).status == "closed"


async def test_a_finished_orders_card_has_a_rate_button_until_rated(telegram, bot, clock):
    ann, number, part = await late_visit(telegram, bot, clock)
    quote = await until(ann, "您确认后才会开始维修")
    await ann.press("✅ 确认报价", message=quote)
    await until(ann, "已确认")
    clock.at = at(WED, 21, 40)
    await act(bot, LI, number, job_completion.complete, [(part, 1, None)])
    await until(ann, "请点星评价")
    clock.at = at(WED, 22, 30)
    await ann.send(f"/orders {number}")
    card = await until(ann, f"订单 {number}")
    assert ["⭐ 评价本次服务"] in card.buttons
    await ann.press("⭐ 评价本次服务", message=card)
    ask = await until(ann, "请点星评价（5 星为最好）")
    assert ask.buttons == [["★", "★★", "★★★", "★★★★", "★★★★★"]]
    await ann.press("★★★★★", message=ask)
    thanks = await until(ann, "感谢您的 5 星评价")
    assert "请输入留言，或点「不留言」" in thanks.text  # a button's name is quoted
    await ann.press("不留言")
    await ann.reply()
    await ann.send(f"/orders {number}")
    card = await until(ann, f"订单 {number}")
    assert ["⭐ 评价本次服务"] not in card.buttons and "★★★★★" in card.text
    await ann.press_data(f"or:rt:{(await order_row(bot, number)).id}", message=card)
    assert "您已评价过此订单" in (await ann.reply()).text


async def test_at_half_past_ten_today_is_over_not_full(telegram, bot, clock):
    await technician(bot.desk, LI, "李 师傅", ["refrigerator"], telegram=telegram)
    ann = await registered_customer(telegram, 1001, "张伟", language_code="zh")
    number = await booked_through_core(bot, 1001, day="2026-11-26", window="13-17")
    clock.at = at(date(2026, 11, 24), 22, 30)
    await ann.send(f"/orders {number}")
    card = await until(ann, f"订单 {number}")
    await ann.press("🕑 改约时间", message=card)
    days = await until(ann, "改到哪天")
    offered = [text for row in days.buttons for text in row]
    assert not [text for text in offered if "11月24日" in text]  # the evening's day is over
    assert offered[0].startswith("11月25日 周三") and "已约满" not in offered[0]


async def book_at(bot, customer: int, address: str, day="2026-11-25", window="09-12") -> str:
    from sqlalchemy import select

    from core import booking
    from core.models import User
    async with bot.desk.uow() as uow:
        who = await uow.session.scalar(select(User).where(User.telegram_id == customer))
        order = await booking.book_repair(uow, who, category="refrigerator", brand="Haier",
                                          model="BCD-470", description="不制冷，压缩机不启动",
                                          address=address, day=day, window=window)
        await uow.commit()
        return order.number


async def test_the_dispatch_card_has_where_and_who_and_next_goes_to_the_next_order(
        telegram, bot, clock):
    for n in range(20):  # a big company: "all technicians" comes a page at a time
        await technician(bot.desk, 3000 + n, f"技师{n:02d}", ["refrigerator"], ["Minhang"])
    await technician(bot.desk, LI, "李 师傅", ["refrigerator"], ["Pudong"], telegram=telegram)
    await registered_customer(telegram, 1001, "张伟", language_code="zh")
    await registered_customer(telegram, 1002, "王敏", language_code="zh", phone="+8613900139000")
    first = await book_at(bot, 1001, "Pudong, 世纪大道 1 号 502 室")
    second = await book_at(bot, 1002, "Xuhui, 天钥桥路 8 号", window="13-17")
    clock.at = at(date(2026, 11, 24), 21, 30)
    boss = telegram.user(900, "王芳", language_code="zh")
    await boss.send("/dispatch")
    listing = await until(boss, "待派单")
    await boss.press(listing.buttons[0][0], message=listing)
    card = await until(boss, f"订单 {first}")
    assert "冰箱 Haier BCD-470" in card.text
    assert "客户：张伟，+86 138 0013 8000" in card.text
    assert "地址：Pudong, 世纪大道 1 号 502 室" in card.text and "区域：浦东新区" in card.text
    assert card.buttons[0][0].startswith("派给 李")

    await boss.press("其他技师…", message=card)
    everyone = await until(boss, "全部技师（第 1/3 页）")
    assert sum(len(row) for row in everyone.buttons) <= 12
    assert everyone.buttons[-2] == ["下一页 ▶"]
    await boss.press(next(b for r in everyone.buttons for b in r if "下一页" in b),
                     message=everyone)
    page_two = await until(boss, "全部技师（第 2/3 页）")
    assert page_two.buttons[-2] == ["◀ 上一页", "下一页 ▶"]
    await boss.press(page_two.buttons[0][0], message=page_two)
    await until(boss, "已派单")
    await boss.press("下一个待派订单")
    following = await until(boss, f"订单 {second}")
    assert "客户：王敏，+86 139 0013 9000" in following.text and "区域：徐汇区" in following.text


async def test_on_my_way_and_arrived_the_day_before_are_asked_and_not_on_time(
        telegram, bot, clock):
    from core import reports
    from tests.e2e.job_steps import open_job

    await technician(bot.desk, LI, "李 师傅", ["refrigerator"], telegram=telegram)
    async with bot.desk.uow() as uow:
        (await people.find_user(uow, LI)).language = "zh"
        await uow.commit()
    await registered_customer(telegram, 1001, "张伟", language_code="zh")
    number = await booked_through_core(bot, 1001, day="2026-11-25", window="09-12")
    await assign(bot, number, LI)
    await act(bot, LI, number, jobs.accept)
    li = telegram.user(LI, "李")
    await drained(bot, li)
    clock.at = at(date(2026, 11, 24), 21, 15)  # the evening before
    await li.send("/jobs")
    listing = await until(li, "工单")
    await li.press(next(b for r in listing.buttons for b in r if b.startswith(number)),
                   message=listing)
    card = await until(li, f"工单 {number}")
    await li.press("🚗 我已出发", message=card)
    asked = await until(li, "不是今天")
    assert "11月25日 周三 09:00–12:00" in asked.text and "提前" in asked.text
    assert asked.buttons == [["🚗 确认现在出发"], ["◀ 上一步"]]
    assert (await order_row(bot, number)).status == "scheduled"  # nothing recorded yet
    await li.press("🚗 确认现在出发", message=asked)
    card = await until(li, "在路上")
    await li.press("📍 已到达")
    asked = await until(li, "不是今天")
    await li.press("📍 确认已经到达", message=asked)
    card = await until(li, "到达时间：")
    assert "到达时间：2026-11-24 21:15（早于预约时段）" in card.text
    # The confirmation pressed again: out of date, nothing recorded twice.
    await li.press_data(f"jb:arc:{(await order_row(bot, number)).id}", message=card)
    await li.settle()
    assert li.toasts[-1] == "此按钮已过期，请使用最新的消息。"

    async with bot.desk.uow() as uow:
        boss = await people.ensure_user(uow, 900)
        figures = await reports.summary(uow, boss, "today")
    assert (figures.arrivals, figures.on_time, figures.on_time_percent) == (1, 0, 0)
    boss = telegram.user(900, "王芳", language_code="zh")
    await boss.send(f"/status {number}")
    timeline = await until(boss, f"订单 {number}")
    assert "技师出发（李） — 早于预约时间" in timeline.text
    assert "技师到达（李） — 早于预约时间" in timeline.text


async def test_a_manager_lists_labour_items_per_appliance_a_page_at_a_time(telegram, bot, clock):
    from core.labour_import import import_labour

    rows = ["code,name,price,category", "CALLOUT,上门费,50,"]
    rows += [f"AC-{n:02d},空调项目 {n:02d},{100 + n},air_conditioner" for n in range(12)]
    async with bot.desk.uow() as uow:
        assert (await import_labour(uow, None, "\n".join(rows))).ok
        await uow.commit()
    clock.at = at(date(2026, 11, 24), 22, 0)
    boss = telegram.user(900, "王芳", language_code="zh")
    await boss.send("/labour")
    menu = await until(boss, "人工收费项目")
    assert "共 13 项" in menu.text
    assert ["通用（所有家电） (1)", "空调 (12)"] in menu.buttons
    await boss.press("空调 (12)", message=menu)
    page = await until(boss, "人工收费项目 · 空调")
    assert "13 项，第 1/2 页" in page.text and "AC-00 空调项目 00 · ¥100.00" in page.text
    await boss.press("下一页 ▶", message=page)
    second = await until(boss, "第 2/2 页")
    assert "AC-11 空调项目 11 · ¥111.00" in second.text
    assert "CALLOUT 上门费 · ¥50.00（通用）" in second.text
    assert second.buttons == [["◀ 上一页"], ["◀ 上一步"]]
    await boss.press("◀ 上一步", message=second)
    await until(boss, "共 13 项")
    # A customer pressing the manager's button: refused, nothing shown.
    ann = await registered_customer(telegram, 1001, "张伟", language_code="zh")
    await ann.press_data("lb:c:air_conditioner:1")
    assert "只有经理" in (await ann.reply()).text
