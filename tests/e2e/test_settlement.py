"""Settlement over the local Bot API: a manager (in Chinese) resolves a bill that differs from
its quote and the parts issued, confirms a technician's day of cash with a difference and its
reason, and gets the CSV; the technician's "paid" is refused while the difference is open, and
a technician can settle nothing."""
from __future__ import annotations

import csv
import io

from sqlalchemy import update

from core import job_completion, people, stock
from core.models import Reminder
from handlers.texts import money
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import open_job, until
from tests.test_reports import company_desk
from tests.test_settlement import _approved, _expected_cash, _paid
from tests.workshop import ANN, BOB, BOSS, LI, TOMORROW, WANG, act, at, company


async def a_day_of_work(bots, db_url, clock) -> dict:
    """Wed 25 Nov: Li takes a compressor from stock for order A and completes it without
    billing it (a difference); Li is paid cash for B, Wang by transfer for C. Built before the
    bot starts; the reminders it planned are dropped so only what the test asks for comes."""
    engine, desk = company_desk(db_url, clock)
    try:
        await company(desk)
        await act(desk, stock.receive, BOSS, "CMP-01", 3)
        a = await _approved(desk, clock, [("part", "CMP-01", 1), ("labour", "CALLOUT", 1)],
                            model="M-A")
        async with desk.uow() as uow:
            li = await people.find_user(uow, LI)
            await stock.issue_to_order(uow, "CMP-01", 1, a.number, li)
            await uow.commit()
        await act(desk, job_completion.complete, LI, a.number)
        b = await _paid(desk, clock, LI, BOB, "13-17", "cash", [("labour", "LAB-H", 2)])
        c = await _paid(desk, clock, WANG, ANN, "17-20", "transfer", [("labour", "LAB-H", 1)])
        clock.at = at(TOMORROW, 19)
        li_id, li_money = await _expected_cash(desk, LI, TOMORROW)
        async with desk.uow() as uow:
            await uow.session.execute(
                update(Reminder).where(Reminder.sent_at.is_(None), Reminder.dropped_at.is_(None))
                .values(dropped_at=clock.now(), dropped_why="test"))
            await uow.session.commit()
    finally:
        await engine.dispose()
    await bots.start()
    return dict(a=a, b=b, c=c, li_id=li_id, li_cash=li_money["cash"])


async def test_a_manager_resolves_a_bill_and_confirms_a_day_of_cash_in_chinese(
        telegram, bots, db_url, clock):
    work = await a_day_of_work(bots, db_url, clock)
    a, li_cash = work["a"], work["li_cash"]
    li = telegram.user(LI, "Li", started=True)
    boss = telegram.user(MANAGER_ID, "Boss", language_code="zh")

    # The technician cannot close A while its bill differs.
    card = await open_job(li, a.number)
    await li.press("💵 Paid", message=card)
    pay = await until(li, a.number)
    await li.press(pay.buttons[0][0], message=pay)  # cash
    refused = await li.reply()
    assert f"Order {a.number} cannot be closed yet" in refused.text and "/settle" in refused.text

    await boss.send("/settle")
    menu = await boss.reply()
    assert "账单与已确认报价或出库配件不符：1 单" in menu.text
    assert "待确认的技师收款日：2 个" in menu.text
    day = "11月25日 周三"
    assert menu.buttons == [[f"⚠️ {a.number} · Li Wei"],
                            [f"💴 Li Wei · {day} · 现金 {money(li_cash)}"],
                            [f"💴 Wang Fang · {day} · 现金 ¥0.00"],
                            ["导出本月 CSV", "导出上月 CSV"]]

    await boss.press(f"⚠️ {a.number} · Li Wei", message=menu)
    asked = await boss.reply()
    assert f"账单核对 · {a.number}" in asked.text
    assert "CMP-01 Compressor：1 · 1 · 0" in asked.text
    await boss.send("压缩机已退回车上")
    done = await boss.reply()
    assert f"订单 {a.number} 的账单差异已处理：“压缩机已退回车上”" in done.text
    await li.press(pay.buttons[0][0], message=pay)  # now it closes
    paid = await li.reply()
    assert a.number in paid.text and "cannot" not in paid.text

    await boss.press("◀ 结算", message=done)
    menu = await boss.reply()
    assert "账单与已确认报价或出库配件不符：0 单" in menu.text
    # A's cash came in just now, the same day: Li's day sums it too.
    _, li_money = await _expected_cash(bots.running[0].desk, LI, TOMORROW)
    li_cash = li_money["cash"]
    button = f"💴 Li Wei · {day} · 现金 {money(li_cash)}"
    assert [button] in menu.buttons
    await boss.press(button, message=menu)
    asked = await boss.reply()
    assert f"应交现金：{money(li_cash)}" in asked.text
    assert asked.buttons[0] == [f"如数交回 {money(li_cash)}"]
    await boss.send(f"{(li_cash - 1000) // 100}")  # ¥10 short
    why = await boss.reply()
    assert "差额 -¥10.00" in why.text
    await boss.send("<b>找零</b>")
    confirmed = await boss.reply()
    assert f"实交 {money(li_cash - 1000)}" in confirmed.text
    assert "差额 -¥10.00：“<b>找零</b>”" in confirmed.text  # typed text shown as typed

    await boss.press("◀ 结算", message=confirmed)
    menu = await boss.reply()
    assert "待确认的技师收款日：1 个" in menu.text
    await boss.press("导出本月 CSV", message=menu)
    sent = await boss.reply(timeout=10)
    assert sent.kind == "document" and sent.filename == "settlements_2026-11-01_2026-11-30.csv"
    rows = list(csv.reader(io.StringIO(sent.document.decode("utf-8-sig"), newline="")))
    assert rows[0][:4] == ["日期", "技师", "收款笔数", "应交现金（元）"]
    assert rows[1][:2] == ["2026-11-25", "Li Wei"] and rows[1][6] == "-10.00"
    assert rows[1][7] == "<b>找零</b>" and len(rows) == 2
    assert "已确认 1 天" in sent.caption


async def test_a_technician_can_settle_nothing(telegram, bots, db_url, clock):
    work = await a_day_of_work(bots, db_url, clock)
    li = telegram.user(LI, "Li", started=True)
    await li.send("/settle")
    assert "Only managers can do that." in (await li.reply()).text
    for data in (f"stl:d:{work['li_id']}:2026-11-25", f"stl:o:{work['a'].id}", "stl:m:1",
                 "stl:csv:this"):
        await li.press_data(data)
        refused = await li.reply()
        assert "Only managers can do that." in refused.text, data


async def test_the_managers_hear_of_a_bill_that_differs_and_resolve_it_from_the_notice(
        telegram, bots, db_url, clock):
    await a_day_of_work(bots, db_url, clock)
    bot = bots.running[0]
    boss = telegram.user(MANAGER_ID, "Boss", started=True)
    clock.at = at(TOMORROW, 8)  # another job of Li's, quoted with a part, billed without it
    order = await _approved(bot.desk, clock, [("part", "CMP-01", 1), ("labour", "CALLOUT", 1)],
                            day=TOMORROW, window="17-20", model="M-N")
    clock.at = at(TOMORROW, 19, 30)
    await act(bot.desk, job_completion.complete, LI, order.number)
    bot.reminders.wake()
    notice = await until(boss, "the bill differs", timeout=10)
    assert f"Order {order.number}: the bill differs (Li Wei)" in notice.text
    assert "CMP-01 Compressor: quoted 1 · issued 0 · billed 0" in notice.text
    await boss.press("⚠️ Check and resolve", message=notice)
    await until(boss, f"Bill check · {order.number}")
    await boss.send("Part not needed after all")
    done = await boss.reply()
    assert f"The difference on order {order.number} is resolved" in done.text
