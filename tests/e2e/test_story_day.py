"""One day of a Shanghai repair company, told as a story, in Chinese, at real hours.

Wed 25 Nov 2026 (TIMEZONE Asia/Shanghai), from the evening before to 22:00: the manager sets
up labour items; three customers book with Chinese addresses in three districts; the manager
dispatches from the card; at 07:30 the technicians get their day's list; Li goes, arrives,
diagnoses, quotes; the customer asks for a different quote, approves the second; Li
completes with parts and serials and is paid; the customer rates from the order card with a
comment the manager sees; Zhao delivers and installs a sold fridge; in the evening Li's second
visit runs late and the 21:10 quote reaches the customer at once; a warranty claim; at 22:00
the manager's /status and a Chinese chart. Everyone reads Chinese: money as ¥, no raw codes,
times in Shanghai time, the report exactly once. The whole transcript prints on failure."""
from __future__ import annotations

import re
from datetime import date

from core import catalogue, charts, job_completion, jobs, people, stock
from core.labour_import import import_labour
from core.parts_import import import_parts
from tests.e2e.job_steps import act, drained, until
from tests.e2e.people import registered_customer, sales_order, technician
from tests.workshop import at

EVE, DAY = date(2026, 11, 24), date(2026, 11, 25)  # Tuesday evening, the Wednesday
BOSS, LI, ZHAO = 900, 2001, 2002
RAW = re.compile(r"\b(refrigerator|on_site|in_progress|awaiting_approval|en_route|scheduled|"
                 r"completed|transfer|cash|installation|Pudong|Xuhui|Minhang|None)\b")

PARTS = """编号,名称,价格,保修月数
CMP-01,压缩机,450,12
RLY-02,启动继电器,60,6
THERM-03,温控器,80,6
"""
LABOUR = """编号,名称,价格,家电
CALLOUT,上门检测费,50,
FRIDGE-FIX,冰箱维修人工,120,refrigerator
FRIDGE-GAS,冰箱加氟,150,refrigerator
AC-CLEAN,空调清洗,120,air_conditioner
"""


def plain(who, message) -> None:
    """What a Chinese reader must never see, in a message or on its buttons: a raw code (a
    status, a payment method, an area's English key, None), a time in UTC."""
    text = "\n".join([message.text or message.caption or "",
                      *(b for row in message.buttons for b in row)])
    assert not RAW.search(text), f"{who.first_name} sees a raw code: {text}"
    assert "UTC" not in text and "+00:00" not in text, text


async def tap(who, fragment: str, message, *, exact: bool = False) -> str:
    """Presses the first button on `message` whose label has `fragment` (or is it)."""
    labels = [b for row in message.buttons for b in row]
    chosen = next((b for b in labels if (b == fragment if exact else fragment in b)), None)
    assert chosen, f"no button {fragment!r} on {message.text!r}: {labels}"
    return await who.press(chosen, message=message)


def dump(telegram) -> None:
    """Every person's chat, each message whole (pytest -s shows it)."""
    for who in telegram.users:
        print(f"\n===== {who.first_name} =====")
        for line in who.transcript:
            print(line)


async def company(telegram, bot):
    for telegram_id, name, categories, areas in (
            (LI, "李 师傅", ["refrigerator", "washing_machine"], ["Pudong", "Xuhui"]),
            (ZHAO, "赵 师傅", ["refrigerator"], ["Minhang"])):
        await technician(bot.desk, telegram_id, name, categories, areas, telegram=telegram)
        async with bot.desk.uow() as uow:
            (await people.find_user(uow, telegram_id)).language = "zh"
            await uow.commit()
    async with bot.desk.uow() as uow:  # what `python -m bot import-parts` does, with a van
        boss = await people.ensure_user(uow, BOSS, "zh")
        assert (await import_parts(uow, boss, PARTS)).ok
        await uow.commit()
    async with bot.desk.uow() as uow:
        boss = await people.find_user(uow, BOSS)
        li = await people.find_user(uow, LI)
        for sku, n in (("CMP-01", 2), ("RLY-02", 3), ("THERM-03", 2)):
            part = await catalogue.get_part(uow, sku)
            await stock.receive(uow, boss, part, n)
            await stock.transfer(uow, boss, part, n, await stock.main_warehouse(uow),
                                 await stock.van(uow, li))
        await uow.commit()


async def book_in_chinese(who, address: str, window: str, problem: str,
                          phone: str = "13800138000") -> str:
    """/book in Chinese: a Haier fridge, the problem, the address (its district read from
    it), the phone, Wednesday and `window`; returns the order number."""
    await who.send("/book")
    await until(who, "哪件家电需要维修")
    await who.press("冰箱")
    brands = await who.reply()
    assert brands.buttons[0][:2] == ["海尔", "美的"], brands.buttons
    await who.press("海尔", message=brands)
    await who.reply()
    await who.press("跳过")
    await who.reply()
    await who.press("跳过")
    await who.reply()
    await who.send(problem)
    await who.reply()
    await who.press("照片已发完")
    await who.reply()
    await who.send(address)
    asked = await who.reply()
    assert "哪个区" not in asked.text, asked.text  # the district is read from the address
    for message in [asked, *await who.settle()]:
        plain(who, message)
    await who.press(f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}")  # the phone they registered with
    noted, ask_day = await who.replies(2)
    assert "哪天方便" in ask_day.text
    await who.press("11月25日 周三", message=ask_day)
    await who.reply()
    await who.press(window)
    summary = await who.reply()
    assert "请核对预约信息" in summary.text and address in summary.text, summary.text
    plain(who, summary)
    await who.press("✅ 确认", message=summary)
    booked = await until(who, "您的订单号是")
    assert f"技师将于 11月25日 周三 {window} 上门" in booked.text
    plain(who, booked)
    return re.search(r"R-\d{4}", booked.text).group(0)


async def test_one_day_of_a_shanghai_company_in_chinese(telegram, bot, clock):
    await company(telegram, bot)
    boss = telegram.user(BOSS, "王芳", language_code="zh")
    li = telegram.user(LI, "李")
    zhao = telegram.user(ZHAO, "赵")

    # --- Tuesday 19:30: the manager sets up the standard labour rates, and reads them back.
    clock.at = at(EVE, 19, 30)
    async with bot.desk.uow() as uow:  # `python -m bot import-labour labour.csv`
        assert (await import_labour(uow, await people.find_user(uow, BOSS), LABOUR)).ok
        await uow.commit()
    await boss.send("/labour")
    menu = await until(boss, "人工收费项目")
    assert "共 4 项" in menu.text
    await boss.press("冰箱 (2)", message=menu)
    fridge = await until(boss, "人工收费项目 · 冰箱")
    assert "FRIDGE-FIX 冰箱维修人工 · ¥120.00" in fridge.text
    assert "CALLOUT 上门检测费 · ¥50.00（通用）" in fridge.text

    # --- 20:00: three customers book for tomorrow, in three districts.
    zhang = await registered_customer(telegram, 1001, "张伟", language_code="zh")
    wang = await registered_customer(telegram, 1002, "王敏", language_code="zh",
                                     phone="+8613900139000")
    chen = await registered_customer(telegram, 1003, "陈静", language_code="zh",
                                     phone="+8613700137000")
    clock.at = at(EVE, 20, 0)
    morning = await book_in_chinese(zhang, "上海市浦东新区世纪大道 88 号 1201 室",
                                    "09:00–12:00", "冰箱不制冷，压缩机时响时停")
    evening = await book_in_chinese(wang, "上海市徐汇区天钥桥路 100 弄 3 号 502 室",
                                    "17:00–20:00", "冷藏室结冰，冷冻室不冷", "13900139000")
    await sales_order(bot.desk, number="S-2026-0088", phone="+8613700137000",
                      address="上海市闵行区七宝镇漕宝路 3366 号 12 号楼 801 室")
    await chen.send("/deliver")
    await until(chen, "销售单号")
    await chen.send("S-2026-0088")
    await chen.reply()
    await chen.send("137 0013 7000")
    found, ask_address = await chen.replies(2)
    assert "S-2026-0088" in found.text
    await chen.press("上海市闵行区七宝镇漕宝路 3366 号 12 号楼 801 室", message=ask_address)
    await chen.press("11月25日 周三", message=await chen.reply())
    await chen.press("13:00–17:00", message=await chen.reply())
    summary = await chen.reply()
    plain(chen, summary)
    await chen.press("✅ 确认", message=summary)
    delivery = re.search(r"I-\d{4}", (await until(chen, "您的订单号是")).text).group(0)

    # --- 21:00: the manager dispatches each from its card: where, who, which district.
    clock.at = at(EVE, 21, 0)
    await boss.send("/dispatch")
    listing = await until(boss, "待派单：3 个")
    plain(boss, listing)
    assert listing.buttons[0] == [f"{morning} · 11月25日 周三 09:00–12:00 · 冰箱 · 浦东新区"]
    await boss.press(listing.buttons[0][0], message=listing)
    card = await until(boss, f"订单 {morning}")
    assert "客户：张伟，+86 138 0013 8000" in card.text
    assert "地址：上海市浦东新区世纪大道 88 号 1201 室" in card.text
    assert "区域：浦东新区" in card.text and "冰箱 海尔" in card.text
    plain(boss, card)
    assert card.buttons[0][0].startswith("派给 李 师傅"), card.buttons
    await boss.press(card.buttons[0][0], message=card)
    await until(boss, "已派单")
    told = await until(li, "新工单")
    assert morning in told.text
    for number, district, who in ((delivery, "闵行区", "赵 师傅"), (evening, "徐汇区", "李 师傅")):
        await boss.press("下一个待派订单")
        card = await until(boss, f"订单 {number}")
        assert f"区域：{district}" in card.text, card.text
        plain(boss, card)
        button = next(b for row in card.buttons for b in row if b.startswith(f"派给 {who}"))
        await boss.press(button, message=card)
        await until(boss, "已派单")
    told = await until(zhao, "新工单")
    assert f"新工单 {delivery}（送货安装）：冰箱" in told.text  # not a repair: said at once
    await until(li, "新工单")

    # --- Wednesday 07:30: each technician's day, in Shanghai time.
    clock.at = at(DAY, 7, 30)
    await bot.reminders.plan_mornings()  # what the 07:30 cron job runs
    bot.reminders.wake()
    day_list = await until(li, "今日工单")
    assert f"09:00–12:00 · {morning} · 冰箱" in day_list.text, day_list.text
    assert f"17:00–20:00 · {evening} · 冰箱" in day_list.text
    assert delivery not in day_list.text
    assert delivery in (await until(zhao, "今日工单")).text

    first_line = len(li.transcript)
    await li.send("/jobs")
    listing = await until(li, "工单")
    await li.press(next(b for r in listing.buttons for b in r if b.startswith(morning)),
                   message=listing)
    card = await until(li, f"工单 {morning}")
    assert "地址：上海市浦东新区世纪大道 88 号 1201 室" in card.text
    await li.press("✅ 接单", message=card)
    card = await until(li, "已预约")
    assert card.message_id == listing.message_id  # the card the button was on, in place
    assert "尚未接单" not in card.text and card.buttons[0][0] == "🚗 我已出发"

    # --- 09:10 on my way, 09:40 arrived: Zhang hears it at once.
    clock.at = at(DAY, 9, 10)
    await li.press("🚗 我已出发", message=card)
    card = await until(li, "在路上")
    on_my_way = await until(zhang, "🚗")
    assert morning in on_my_way.text and "李" in on_my_way.text
    plain(zhang, on_my_way)
    clock.at = at(DAY, 9, 40)
    await li.press("📍 已到达", message=card)
    card = await until(li, "到达时间：2026-11-25 09:40")
    assert "早于" not in card.text and "晚于" not in card.text  # inside the booked window

    # --- Diagnosis, then the quote built from the catalogue.
    await li.press("🔍 检测故障", message=card)
    await until(li, "检测")
    await li.send("启动继电器烧坏，压缩机无法启动")
    await li.reply()
    await li.press("照片已发完")
    saved = await until(li, "启动继电器烧坏")
    await tap(li, "💰 报价", saved)
    menu = await until(li, f"工单 {morning} 的报价")
    await tap(li, "➕ 人工", menu)
    labour = await until(li, "人工项目")
    assert [row[0] for row in labour.buttons[:3]] == [  # the fridge's own, then the general
        "冰箱维修人工 · ¥120.00", "冰箱加氟 · ¥150.00", "上门检测费 · ¥50.00"]
    assert "空调清洗" not in str(labour.buttons)
    await tap(li, "冰箱维修人工", labour)
    asked = await li.reply()
    await tap(li, "1", asked, exact=True)
    draft = await until(li, "合计")
    await tap(li, "➕ 配件", draft)
    await until(li, "配件编号或名称")
    await li.send("压缩机")
    results = await li.reply()
    await tap(li, "压缩机", results)
    asked = await li.reply()
    await li.send("1")
    draft = await until(li, "合计 ¥570.00")
    assert "压缩机（CMP-01） × 1：¥450.00，保修 12 个月" in draft.text, draft.text
    await li.press("📤 发送 ¥570.00 给客户", message=draft)
    await until(li, "已发送")

    # --- Zhang asks for a different quote; Li revises (a relay, not a compressor).
    quote = await until(zhang, "您确认后才会开始维修")
    assert "¥570.00" in quote.text and "压缩机" in quote.text
    plain(zhang, quote)
    await zhang.press("✖ 拒绝", message=quote)
    confirm = await until(zhang, "拒绝后本次上门仅做检测")
    await zhang.press("🔄 请技师换个方案重新报价", message=confirm)
    await until(zhang, "已请技师换个方案")
    told = await until(li, "客户希望换个方案")
    assert morning in told.text
    await li.press("📄 查看工单", message=told)
    card = await until(li, f"工单 {morning}")
    assert "第 1 版" in card.text and "已拒绝" in card.text, card.text
    await tap(li, "报价", card)
    draft = await until(li, "第 2 版")
    assert "压缩机" in draft.text  # the new version starts from the old lines
    await li.press("🗑 删除一项", message=draft)
    which = await li.reply()
    await tap(li, "压缩机", which)
    draft = await until(li, "合计 ¥120.00")
    await li.press("➕ 配件", message=draft)
    await until(li, "配件编号或名称")
    await li.send("继电器")
    await tap(li, "启动继电器", await li.reply())
    await tap(li, "1", await li.reply(), exact=True)
    draft = await until(li, "合计 ¥180.00")
    await li.press("📤 发送 ¥180.00 给客户", message=draft)
    await until(li, "第 2 版报价已发送给客户")
    second = await until(zhang, "您确认后才会开始维修")
    assert "¥180.00" in second.text and "启动继电器" in second.text
    assert "压缩机" not in second.text
    plain(zhang, second)
    clock.at = at(DAY, 10, 5)
    await zhang.press("✅ 确认报价", message=second)
    await until(zhang, "已确认")
    approved = await until(li, "确认")
    assert morning in approved.text

    # --- 10:40 completion: the relay fitted, its serial, a note; then paid by transfer.
    clock.at = at(DAY, 10, 40)
    await li.send("/jobs")
    listing = await until(li, "我的工单")
    await tap(li, morning, listing)
    card = await until(li, f"工单 {morning} · 维修")
    await li.press("✅ 完工", message=card)
    parts = await li.reply()
    await tap(li, "启动继电器", parts)
    await until(li, "序列号")
    await li.send("RLY-2026-00417")
    parts = await until(li, "RLY-2026-00417")
    await li.press("下一步 ▶", message=parts)
    await li.reply()
    await li.press("照片已发完")
    await li.reply()
    await li.send("更换启动继电器，试机 30 分钟制冷正常")
    confirm = await until(li, "¥180.00")
    await li.press("✅ 确认完工", message=confirm)
    done = await until(li, f"工单 {morning} 已完工")
    assert "¥180.00" in done.text
    await li.press("📲 转账", message=done)
    paid = await until(li, "转账")
    plain(li, paid)
    assert paid.message_id == confirm.message_id  # the screen Li pressed on, in place
    # The whole morning job, two quotes included, in about ten new messages: each press
    # turned the screen it was on into the next (it used to be about thirty).
    new = [line for line in li.transcript[first_line:] if line.startswith("< bot:")]
    assert len(new) <= 12, "\n".join(new)

    report = await until(zhang, f"维修报告，订单 {morning}")
    assert "启动继电器，序列号 RLY-2026-00417：¥60.00——保修至" in report.text, report.text
    assert "技师 李" in report.text and "合计 ¥180.00" in report.text
    plain(zhang, report)

    # --- 12:30 Zhang rates from the order card (the report has scrolled away), with a comment.
    clock.at = at(DAY, 12, 30)
    await zhang.send(f"/orders {morning}")
    card = await until(zhang, f"订单 {morning}")
    plain(zhang, card)
    await zhang.press("⭐ 评价本次服务", message=card)
    ask = await until(zhang, "请点星评价")
    await zhang.press("★★★★★", message=ask)
    await until(zhang, "感谢您的 5 星评价")
    await zhang.send("李师傅很准时，讲解清楚，没有乱收费")
    await until(zhang, "留言")

    # --- 13:00-16:00 Zhao delivers and installs Chen's fridge in Minhang.
    clock.at = at(DAY, 13, 20)
    await act(bot, ZHAO, delivery, jobs.accept)
    await act(bot, ZHAO, delivery, jobs.start_trip)
    coming = await until(chen, "🚗")
    assert delivery in coming.text and "13:00–17:00" in coming.text
    clock.at = at(DAY, 14, 5)
    await act(bot, ZHAO, delivery, jobs.arrive)
    clock.at = at(DAY, 15, 10)
    await act(bot, ZHAO, delivery, job_completion.complete, checklist={
        "delivered": True, "installed": True, "tested": True, "old_unit_removed": True},
        photos=["AgADinstalled1"])
    installed = await until(chen, f"安装报告，订单 {delivery}")
    assert "安装检查：已送达；已安装；已测试，运行正常；旧机已拉走" in installed.text
    assert "本次无需付款" in installed.text and "¥0.00" not in installed.text
    plain(chen, installed)

    # --- The evening visit runs late: arrived 20:40, the quote at 21:10 goes at once.
    clock.at = at(DAY, 17, 30)
    await li.send("/jobs")
    listing = await until(li, "我的工单")
    await tap(li, evening, listing)
    card = await until(li, f"工单 {evening} · 维修")
    await li.press("✅ 接单", message=card)
    card = await until(li, "已预约")
    clock.at = at(DAY, 19, 55)
    await li.press("🚗 我已出发", message=card)
    card = await until(li, "在路上")
    await until(wang, "🚗")
    clock.at = at(DAY, 20, 40)
    await li.press("📍 已到达", message=card)
    card = await until(li, "到达时间：2026-11-25 20:40")
    assert "晚于预约时段" in card.text  # after 20:00: late
    await li.press("🔍 检测故障", message=card)
    await until(li, "检测")
    await li.send("温控器失灵，冷藏室持续制冷结冰")
    await li.reply()
    await li.press("照片已发完")
    saved = await until(li, "温控器失灵")
    clock.at = at(DAY, 21, 10)
    await tap(li, "💰 报价", saved)
    menu = await until(li, f"工单 {evening} 的报价")
    await tap(li, "➕ 人工", menu)
    await tap(li, "冰箱维修人工", await until(li, "人工项目"))
    await tap(li, "1", await li.reply(), exact=True)
    draft = await until(li, "合计")
    await li.press("➕ 配件", message=draft)
    await until(li, "配件编号或名称")
    await li.send("THERM")
    await tap(li, "温控器", await li.reply())
    await tap(li, "1", await li.reply(), exact=True)
    draft = await until(li, "合计 ¥200.00")
    await li.press("📤 发送 ¥200.00 给客户", message=draft)
    sent = await until(li, "报价已发送给客户")
    assert "08:00" not in sent.text
    late_quote = await until(wang, "您确认后才会开始维修")  # 21:10, not tomorrow at 08:00
    assert "¥200.00" in late_quote.text and "温控器" in late_quote.text
    plain(wang, late_quote)
    await wang.press("✅ 确认报价", message=late_quote)
    await until(wang, "已确认")
    await until(li, "客户已确认报价")

    clock.at = at(DAY, 21, 35)
    await li.send("/jobs")
    await tap(li, evening, await until(li, "我的工单"))
    card = await until(li, f"工单 {evening} · 维修")
    await li.press("✅ 完工", message=card)
    await tap(li, "温控器", await li.reply())
    await until(li, "序列号")
    await li.send("TH-88-2026-1125")
    await li.press("下一步 ▶", message=await until(li, "TH-88-2026-1125"))
    await li.reply()
    await li.press("照片已发完")
    await li.reply()
    await li.press("跳过")
    confirm = await until(li, "¥200.00")
    await li.press("✅ 确认完工", message=confirm)
    done = await until(li, f"工单 {evening} 已完工")
    await li.press("💵 现金", message=done)
    await until(li, "现金")
    evening_report = await until(wang, f"维修报告，订单 {evening}")
    assert "温控器，序列号 TH-88-2026-1125" in evening_report.text
    plain(wang, evening_report)

    # --- 21:40 Zhang's relay: a warranty claim from the order card.
    clock.at = at(DAY, 21, 40)
    await zhang.send(f"/orders {morning}")
    card = await until(zhang, f"订单 {morning}")
    await zhang.press("🛡 申请保修", message=card)
    ask = await until(zhang, "保修申请")
    assert ask.buttons[0] == ["启动继电器（2027-05-25）"]  # the date its warranty runs to
    await tap(zhang, "启动继电器", ask)
    ask = await zhang.reply()
    await zhang.press("完成", message=ask)
    await until(zhang, "问题")
    await zhang.send("换了继电器后又开始不制冷，压缩机不转")
    await zhang.reply()
    await zhang.press("照片已发完")
    days = await zhang.reply()
    offered = [b for row in days.buttons for b in row]
    assert not [b for b in offered if "11月25日" in b]  # the evening's day is over
    await zhang.press("11月26日 周四", message=days)
    await zhang.press("09:00–12:00", message=await zhang.reply())
    summary = await zhang.reply()
    assert "地址：上海市浦东新区世纪大道 88 号 1201 室" in summary.text, summary.text
    assert "家电：冰箱，海尔" in summary.text  # the appliance of the original order
    plain(zhang, summary)
    await zhang.press("✅ 确认", message=summary)
    claimed = await until(zhang, "您的订单号是")
    plain(zhang, claimed)
    claim = re.search(r"W-\d{4}", claimed.text).group(0)

    # --- 22:00 the manager's evening: the claim, the morning order with its comment, a chart.
    clock.at = at(DAY, 22, 0)
    digest = await until(boss, "早上好")  # 08:00, before any rating
    assert "平均评分：暂无评价" in digest.text and "今日预约：3" in digest.text
    await boss.send(f"/status {claim}")
    status = await until(boss, f"订单 {claim}")
    assert morning in status.text and "启动继电器" in status.text, status.text
    plain(boss, status)
    await boss.send(f"/status {morning}")
    status = await until(boss, f"订单 {morning}")
    assert "已评价 — ★★★★★「李师傅很准时，讲解清楚，没有乱收费」" in status.text
    assert "已结算关闭（李） — 转账" in status.text and "已完工（李） — ¥180.00" in status.text
    assert "09:40 技师到达（李）" in status.text  # Shanghai time
    plain(boss, status)
    await boss.send("/summary")
    choose = await until(boss, "")
    await tap(boss, "今天", choose)
    figures, chart = await boss.replies(2, timeout=20)
    assert chart.kind == "photo" and chart.photo.startswith(b"\x89PNG")
    assert charts.chart_language("zh") == "zh"  # a CJK font is there: the chart is Chinese
    assert "李 师傅：2 · 2 · 5.00 ★（1）" in figures.text
    assert "（1 条评价）\n• R-1001 ★★★★★「李师傅很准时，讲解清楚，没有乱收费」" in figures.text
    assert "营收（不含保修单）：¥380.00" in figures.text
    assert chart.caption.startswith("📈 今天 · 11月25日 周三")
    plain(boss, figures)

    # --- The day as each customer lived it: every report once, nothing in a raw code.
    for who, kind, number in ((zhang, "维修报告", morning), (wang, "维修报告", evening),
                              (chen, "安装报告", delivery)):
        await drained(bot, who)
        assert len([line for line in who.transcript
                    if line.startswith(f"< bot: {kind}，订单 {number}")]) == 1, who.first_name
        for message in who.messages:
            plain(who, message)
    dump(telegram)
