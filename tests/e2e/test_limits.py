"""Every message fits Telegram's limits at core's maximums, checked on what the bot really sent:
the text after entity parsing, the number of inline buttons, each button's callback data. The
limits are read from the Bot API's machine-readable description, not typed here."""
import json
import re
from pathlib import Path

from sqlalchemy import select

from core import catalogue, job_completion, jobs, orders, people, quotes, stock
from core.catalogue import NAME_MAX
from core.job_completion import WORK_DONE_MAX
from core.jobs import FAULT_MAX, PARTS_USED_MAX, SERIAL_MAX
from core.models import ServiceOrder, User
from tests.e2e.conftest import MANAGER_ID
from tests.e2e.job_steps import act, assign, drained, until
from tests.e2e.people import registered_customer, technician
from tests.e2e.staff_acts import booked_through_core

SPEC = Path(__file__).resolve().parents[3] / "shared" / "telegram-bot-api-spec" / "api.json"
LI = 2001


def _limits() -> dict[str, int]:
    """Text length, callback data bytes and buttons per message, from the Bot API's own words
    (this checkout's copy of the spec, or the numbers it states where the copy is absent)."""
    if not SPEC.exists():
        return {"text": 4096, "callback_data": 64, "buttons": 100}
    api = json.loads(SPEC.read_text("utf-8"))
    field = lambda kind, owner, name: next(  # noqa: E731
        f["description"] for f in api[kind][owner]["fields"] if f["name"] == name)
    text = int(re.search(r"1-(\d+) characters", field("methods", "sendMessage", "text"))[1])
    data = int(re.search(r"1-(\d+) bytes", field("types", "InlineKeyboardButton",
                                                 "callback_data"))[1])
    return {"text": text, "callback_data": data, "buttons": 100}  # 100: Telegram's FAQ


LIMITS = _limits()


def within_limits(message) -> None:
    text = message.text or ""
    assert len(text.encode("utf-16-le")) // 2 <= LIMITS["text"], len(text)
    keyboard = (message.raw.get("reply_markup") or {}).get("inline_keyboard", [])
    assert sum(len(row) for row in keyboard) <= LIMITS["buttons"]
    for row in keyboard:
        for button in row:
            if "callback_data" in button:
                assert 1 <= len(button["callback_data"].encode()) <= LIMITS["callback_data"]


def test_the_limits_come_from_the_spec():
    assert LIMITS == {"text": 4096, "callback_data": 64, "buttons": 100}


async def test_a_report_with_the_most_parts_comes_in_messages_that_each_fit(telegram, bot, clock):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    ann = await registered_customer(telegram, 1001, "Ann <b>&", language_code="zh")
    number = await booked_through_core(bot, 1001)
    async with bot.desk.uow() as uow:
        boss = await people.ensure_user(uow, MANAGER_ID)
        li = await uow.session.scalar(select(User).where(User.telegram_id == LI))
        van, main = await stock.van(uow, li), await stock.main_warehouse(uow)
        for n in range(PARTS_USED_MAX):
            name = (f"{n:02d} 压缩机 <Compressor> & relay " * 10)[:NAME_MAX]
            part = await catalogue.add_part(uow, boss, sku=f"P-{n:02d}", name=name,
                                            price=10000 + n, warranty_months=12)
            await stock.receive(uow, boss, part, 1)
            await stock.transfer(uow, boss, part, 1, main, van)
        await uow.commit()
    await assign(bot, number, LI)
    await act(bot, LI, number, jobs.accept)
    await act(bot, LI, number, jobs.start_trip)
    await act(bot, LI, number, jobs.arrive)
    await act(bot, LI, number, jobs.diagnose, ("漏氟 <leak> & " * 300)[:FAULT_MAX])
    for n in range(PARTS_USED_MAX):
        await act(bot, LI, number, quotes.add_part, f"P-{n:02d}", 1)
    await act(bot, LI, number, quotes.send_quote)
    quote = await until(ann, "您确认后才会开始维修", timeout=15)
    within_limits(quote)
    await ann.press("✅ 确认报价", message=quote)
    await until(ann, "已确认")
    async with bot.desk.uow() as uow:
        parts = [await catalogue.get_part(uow, f"P-{n:02d}") for n in range(PARTS_USED_MAX)]
    await act(bot, LI, number, job_completion.complete,
              [(part, 1, (f"SN{n:02d}-" + "9" * SERIAL_MAX)[:SERIAL_MAX])
               for n, part in enumerate(parts)],
              work_done=("更换全部配件 <all> & " * 100)[:WORK_DONE_MAX])
    await drained(bot, ann)
    # Read every message of the report as sent: from its heading to the stars.
    messages = [m for m in ann.messages if m.kind == "text"]
    start = max(i for i, m in enumerate(messages) if m.text and "维修报告，订单" in m.text)
    pieces = messages[start:]
    assert len(pieces) >= 2  # about 10,000 characters: more than one message
    for piece in pieces:
        within_limits(piece)
    assert pieces[-1].buttons == [["★", "★★", "★★★", "★★★★", "★★★★★"]]
    assert all(not piece.buttons for piece in pieces[:-1])
    whole = "\n".join(piece.text for piece in pieces)
    assert all(f"SN{n:02d}-" in whole for n in range(PARTS_USED_MAX))  # nothing lost
    assert "合计" in pieces[-1].text


async def test_an_order_card_with_a_long_history_shows_the_latest_that_fits(telegram, bot):
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], telegram=telegram)
    await registered_customer(telegram, 1001, "Ann")
    number = await booked_through_core(bot, 1001)
    await assign(bot, number, LI)
    await act(bot, LI, number, jobs.accept)
    await act(bot, LI, number, jobs.start_trip)
    await act(bot, LI, number, jobs.arrive)
    for n in range(60):  # a visit that took many diagnoses, each noted in full
        await act(bot, LI, number, jobs.diagnose, f"第 {n} 次检测：" + "压缩机 <relay> & 电容 " * 40)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send(f"/status {number}")
    card = await until(boss, f"Order {number}")
    within_limits(card)
    assert "earlier entries not shown" in card.text
    assert "第 59 次检测" in card.text  # the latest is there
    async with bot.desk.uow() as uow:
        order = await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == number))
        assert len(await orders.timeline(uow, order)) > 60  # nothing was dropped from the data


async def test_all_technicians_for_dispatch_come_in_pages_within_the_button_limit(telegram, bot):
    for n in range(130):
        await technician(bot.desk, 3000 + n, f"Tech {n:03d}", ["refrigerator"], ["Pudong"])
    await registered_customer(telegram, 1001, "Ann")
    await booked_through_core(bot, 1001)
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/dispatch")
    listing = await boss.reply()
    await boss.press(listing.buttons[0][0], message=listing)
    card = await boss.reply()
    within_limits(card)
    await boss.press("Other technician…", message=card)
    everyone = await boss.reply()
    within_limits(everyone)
    assert "All technicians (page 1 of 17)" in everyone.text


async def test_many_service_areas_are_chosen_a_page_at_a_time_within_64_bytes(telegram, bots):
    areas = [f"Area {n:03d} " + "区" * 20 for n in range(150)]
    bot = await bots.start(service_areas=",".join(areas))
    await technician(bot.desk, LI, "Li Lei", ["refrigerator"], [areas[0]])
    async with bot.desk.uow() as uow:
        li = await uow.session.scalar(select(User).where(User.telegram_id == LI))
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/start")
    await boss.settle()
    await boss.press_data(f"stf:v:{li.id}")
    card = await boss.reply()
    within_limits(card)
    areas_button = next(b for b in card.button_texts if "rea" in b)
    await boss.press(areas_button, message=card)
    picker = await boss.reply()
    within_limits(picker)
    for _ in range(12):  # to the last page
        await boss.press("Next page ▶", message=picker)
        picker = await boss.reply()
        within_limits(picker)
    last = next(b for b in picker.button_texts if b.startswith("Area 149"))
    await boss.press(last, message=picker)
    picker = await boss.reply()
    within_limits(picker)
    assert any(b.startswith("✅ Area 149") for b in picker.button_texts)
    await boss.press(next(b for b in picker.button_texts if "Save" in b), message=picker)
    await boss.settle()
    async with bot.desk.uow() as uow:
        li = await uow.session.scalar(select(User).where(User.telegram_id == LI))
        chosen = {a.area for a in await li.awaitable_attrs.areas}
    assert chosen == {areas[0], areas[149]}
