"""A manager's reports over the local Bot API: /summary (its numbers, and the chart as a
photo), /export (a CSV document), each /orders filter; nobody else gets them."""
import csv
import io

from sqlalchemy import update

from core.models import Reminder
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.people import registered_customer, technician
from tests.test_reports import build_week, company_desk

PNG = b"\x89PNG\r\n\x1a\n"


async def a_known_week(bots, db_url, clock):
    """The week of tests/test_reports.py, built before the bot starts (Wed 25 Nov 2026,
    18:00 in Shanghai); the reminders it planned are dropped, so that only what the test asks
    for arrives in the manager's chat."""
    engine, desk = company_desk(db_url, clock)
    try:
        numbers = await build_week(desk, clock)
        async with desk.uow() as uow:
            await uow.session.execute(
                update(Reminder).where(Reminder.sent_at.is_(None), Reminder.dropped_at.is_(None))
                .values(dropped_at=clock.now(), dropped_why="test"))
            await uow.session.commit()
    finally:
        await engine.dispose()
    await bots.start()
    return numbers


async def test_a_manager_reads_the_summary_exports_and_filters_orders(
        telegram, bots, db_url, clock):
    n = await a_known_week(bots, db_url, clock)
    boss = telegram.user(MANAGER_ID, "Boss")

    await boss.send("/summary")
    choose = await boss.reply()
    assert choose.buttons == [["Today", "This week", "This month"]]
    await boss.press("This week")
    card, chart = await boss.replies(2, timeout=20)
    assert card.edited and "This week · Mon 23 Nov – Sun 29 Nov" in card.text
    for line in ("New orders: 10 · completed: 3 · cancelled: 1",
                 "Completed: 3", "Cancelled: 1", "Waiting for parts: 1",
                 "On time: 86% (6 of 7 arrivals within the booked window)",
                 "Fixed on the first visit: 67% (2 of 3 completed)",
                 "Quotes approved: 80% (4 of 5 answered)",
                 "Rating: 4.00 ★ (2 ratings)",
                 "Booking to completion: 1 d 2 h 53 min on average",
                 "Revenue (warranty excluded): ¥610.00 (parts ¥450.00, labour ¥160.00)",
                 "Li Wei: 4 · 2 · 5.00 ★ (1)", "Wang Fang: 4 · 1 · 3.00 ★ (1)"):
        assert line in card.text, line
    assert chart.kind == "photo" and chart.photo.startswith(PNG)
    assert "orders created per day by status" in chart.caption
    assert card.buttons == [["Today", "This week", "This month"]]  # another period, one tap

    await boss.press("Today", message=card)
    today, chart = await boss.replies(2, timeout=20)
    assert "New orders: 2 · completed: 2 · cancelled: 0" in today.text
    assert "On time: 100% (4 of 4" in today.text and chart.photo.startswith(PNG)

    await boss.send("/export")
    assert (await boss.reply()).buttons == [
        ["Today", "This week", "This month"],
        ["📣 Complaints: Today", "📣 Complaints: This week", "📣 Complaints: This month"]]
    await boss.press("This week")
    sent = await boss.reply(timeout=10)
    assert sent.kind == "document" and sent.filename == "orders_2026-11-23_2026-11-29.csv"
    assert sent.document.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(sent.document.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["Order", "Kind", "Status"] and len(rows) == 11
    assert [row[0] for row in rows[1:]] == [n[x] for x in "ABCDIJEGHK"]
    assert "徐汇区天钥桥路1号 502室" in [row[6] for row in rows]
    assert "10 orders" in sent.caption

    await boss.send("/orders")
    menu = await boss.reply()
    assert menu.buttons == [["Today (5)", "Unassigned (1)"],
                            ["Overdue (2)", "Awaiting approval (1)"],
                            ["Waiting for parts (1)", "Completed today (2)"]]
    expected = {"Today (5)": "CEHIK", "Unassigned (1)": "G", "Overdue (2)": "JH",
                "Awaiting approval (1)": "I", "Waiting for parts (1)": "K",
                "Completed today (2)": "EC"}
    for button, letters in expected.items():
        await boss.press(button)
        listed = await boss.reply()
        assert listed.edited
        assert [row[0].split(" · ")[0] for row in listed.buttons[:-1]] == [
            n[x] for x in letters], button
        assert listed.buttons[-1] == ["◀ Filters"]
        await boss.press("◀ Filters")
        assert (await boss.reply()).buttons == menu.buttons
    await boss.press("Overdue (2)")
    overdue = await boss.reply()
    assert "Overdue: 2" in overdue.text
    assert overdue.buttons[1][0] == f"{n['H']} · Wed 25 Nov 13:00–17:00 · Refrigerator · " \
                                    "Scheduled · Li"
    await boss.press(overdue.buttons[1][0])
    card = await boss.reply()  # the order's card with its whole timeline
    assert f"Order {n['H']}" in card.text and "Technician assigned" in card.text


async def test_customers_and_technicians_get_no_reports(telegram, bot):
    await technician(bot.desk, 2001, "Li Lei", ["tv"])
    li = telegram.user(2001, "Li")
    ann = await registered_customer(telegram, 1001, "Ann")
    for person in (ann, li):
        for command in ("/summary", "/export"):
            await person.send(command)
            assert "Only managers can do that." in (await person.reply()).text
        # a forged button press is checked as well
        for data in ("sm:week", "ex:month", "mo:overdue:1", "mo:menu"):
            await person.press_data(data)
            refused = await person.reply()
            assert "Only managers can do that." in refused.text
            assert refused.kind == "text"
