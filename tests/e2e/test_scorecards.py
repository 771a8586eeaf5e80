"""Technicians' scorecards over the local Bot API, on the known week of tests/test_reports.py
(Nov 2026): a manager reads every technician's month (figures computed here independently from
the order rows), switches to last month, gets the ranking chart; a technician sees only their
own, in Chinese; the monthly scorecard arrives on the 1st at 09:00; nobody else gets any."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from core import lifecycle
from core.models import OrderEvent, Rating, ServiceOrder, User
from handlers.texts import money
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import until
from tests.e2e.people import registered_customer
from tests.e2e.test_manager_reports import PNG, a_known_week
from tests.workshop import LI, WANG, at

NOV_START = at(date(2026, 11, 1), 0)
DEC_START = at(date(2026, 12, 1), 0)


def _in_november(moment: datetime | None) -> bool:
    return moment is not None and NOV_START <= moment < DEC_START


async def _expected(bot, telegram_id: int) -> dict:
    """A technician's November, counted from the order rows in Python."""
    async with bot.desk.uow() as uow:
        me = await uow.session.scalar(select(User).where(User.telegram_id == telegram_id))
        orders = list(await uow.session.scalars(
            select(ServiceOrder).where(ServiceOrder.technician_id == me.id)))
        waited = set(await uow.session.scalars(
            select(OrderEvent.order_id).where(OrderEvent.action == "parts_missing")))
        stars = [r.stars for r in await uow.session.scalars(
            select(Rating).where(Rating.technician_id == me.id)) if _in_november(r.at)]
    done = [o for o in orders if _in_november(o.completed_at)]
    arrived = [o for o in orders if _in_november(o.arrived_at) and o.window_end]
    on_time = [o for o in arrived if o.window_start <= o.arrived_at <= o.window_end]
    on_site = [int((o.completed_at - o.arrived_at).total_seconds()) for o in done
               if o.arrived_at]
    minutes = (sum(on_site) + 30 * len(on_site)) // (60 * len(on_site))
    return dict(
        name=me.name, done=len(done),
        fixed=len([o for o in done if o.id not in waited]),
        revenue=sum(o.final_amount or 0 for o in done if o.kind != lifecycle.WARRANTY),
        arrivals=len(arrived), on_time=len(on_time),
        ratings=len(stars), rating=sum(stars) / len(stars),
        on_site=f"{minutes // 60} h {minutes % 60} min")


def _lines(e: dict) -> list[str]:
    percent = lambda part, whole: (200 * part + whole) // (2 * whole)  # noqa: E731
    return [f"Jobs done: {e['done']} · revenue {money(e['revenue'])}",
            f"On time: {percent(e['on_time'], e['arrivals'])}% ({e['on_time']} of "
            f"{e['arrivals']} arrivals within the booked window)",
            f"First-visit fix: {percent(e['fixed'], e['done'])}% ({e['fixed']} of {e['done']} "
            "without a second visit or a parts wait)",
            f"Rating: {e['rating']:.2f} ★ ({e['ratings']} rating{'s' * (e['ratings'] != 1)})",
            f"Time on site: {e['on_site']} on average"]


def _block(text: str, name: str) -> str:
    """One technician's lines of a scorecard message."""
    start = text.index(name)
    end = text.find("\n\n", start)
    return text[start:] if end < 0 else text[start:end]


async def test_a_manager_reads_every_technicians_month_and_the_ranking_chart(
        telegram, bots, db_url, clock):
    await a_known_week(bots, db_url, clock)
    bot = bots.running[0]
    boss = telegram.user(MANAGER_ID, "Boss")
    li, wang = await _expected(bot, LI), await _expected(bot, WANG)
    assert li["done"] and wang["done"] and li["done"] != wang["done"]

    await boss.send("/scorecard")
    card = await boss.reply()
    assert "Technicians' scorecards · Nov 2026" in card.text
    assert card.buttons == [["This month", "Last month"], ["📊 Ranking chart"]]
    first, second = sorted((li, wang), key=lambda e: -e["done"])
    assert card.text.index(f"1. {first['name']}") < card.text.index(f"2. {second['name']}")
    for expected in (li, wang):
        block = _block(card.text, expected["name"])
        for line in _lines(expected):
            assert line in block, (expected["name"], line)
    assert card.text.count("Complaints against them: 0") == 2  # none against either

    await boss.press("Last month", message=card)
    october = await boss.reply()
    assert october.edited and "Technicians' scorecards · Oct 2026" in october.text
    assert october.text.count("Jobs done: 0 · revenue ¥0.00") == 2
    assert "no arrivals" in october.text and "no ratings" in october.text

    await boss.press("📊 Ranking chart", message=october)
    chart = await boss.reply(timeout=20)
    assert chart.kind == "photo" and chart.photo.startswith(PNG)
    assert "Oct 2026: technicians ranked by jobs done" in chart.caption
    await boss.press("This month", message=october)
    again = await boss.reply()
    assert again.edited and "Nov 2026" in again.text and _lines(li)[0] in again.text


async def test_a_technician_sees_only_their_own_in_chinese_and_gets_it_on_the_first(
        telegram, bots, db_url, clock):
    await a_known_week(bots, db_url, clock)
    bot = bots.running[0]
    li = telegram.user(LI, "Li", language_code="zh", started=True)
    expected, other = await _expected(bot, LI), await _expected(bot, WANG)

    await li.send("/scorecard")
    card = await li.reply()
    assert "我的考核 · 2026年11月" in card.text
    assert f"完成工单：{expected['done']} 单 · 营收 {money(expected['revenue'])}" in card.text
    on_time = (200 * expected["on_time"] + expected["arrivals"]) // (2 * expected["arrivals"])
    assert (f"准时率：{on_time}%（{expected['arrivals']} 次到达中 {expected['on_time']} 次在预约"
            "时段内）") in card.text
    assert f"评分：{expected['rating']:.2f} ★（{expected['ratings']} 条评价）" in card.text
    assert other["name"] not in card.text and "1." not in card.text
    assert card.buttons == [["本月", "上月"]]  # no chart, no other pages
    # A forged press for the managers' chart, or another page, shows nobody else.
    await li.press_data("scc:this")
    refused = await li.reply()
    assert "只有经理" in refused.text
    await li.press_data("sc:last:2")
    october = await li.reply()
    assert "我的考核 · 2026年10月" in october.text and other["name"] not in october.text

    # 1 December: planned at 07:30 (as the cron job does, twice: still once), sent at 09:00.
    clock.at = at(date(2026, 12, 1), 7, 30)
    await bot.reminders.plan_mornings()
    await bot.reminders.plan_mornings()
    await li.settle(quiet=0.5)
    assert not any("2026年11月 的考核" in line for line in li.transcript)  # not before 09:00
    clock.at = at(date(2026, 12, 1), 9)
    bot.reminders.wake()
    monthly = await until(li, "2026年11月 的考核", timeout=10)
    assert f"完成工单：{expected['done']} 单" in monthly.text and other["name"] not in monthly.text
    assert "/scorecard" in monthly.text
    await li.settle(quiet=0.5)
    assert len([line for line in li.transcript if "2026年11月 的考核" in line]) == 1


async def test_customers_get_no_scorecards(telegram, bot):
    ann = await registered_customer(telegram, 1001, "Ann")
    await ann.send("/scorecard")
    assert "Only staff can do that." in (await ann.reply()).text
    for data in ("sc:this:1", "sc:last:1", "scc:this"):
        await ann.press_data(data)
        refused = await ann.reply()
        assert refused.kind == "text"
        assert "Only staff can do that." in refused.text


async def test_a_chinese_manager_gets_the_scorecards_and_the_chart_in_chinese(
        telegram, bots, db_url, clock):
    await a_known_week(bots, db_url, clock)
    boss = telegram.user(MANAGER_ID, "Boss", language_code="zh")
    li = await _expected(bots.running[0], LI)
    await boss.send("/scorecard")
    card = await boss.reply()
    assert "技师考核 · 2026年11月" in card.text and "按完成单数排名" in card.text
    assert f"完成工单：{li['done']} 单 · 营收 {money(li['revenue'])}" in card.text
    assert card.buttons == [["本月", "上月"], ["📊 排名图"]]
    await boss.press("📊 排名图", message=card)
    chart = await boss.reply(timeout=20)
    assert chart.kind == "photo" and chart.photo.startswith(PNG)
    assert "2026年11月：技师按完成单数排名" in chart.caption
