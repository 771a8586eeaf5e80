"""The sandbox: the bot, its pretend Telegram and a web page, on this machine only.

The sandbox runs in the test's event loop (as `python -m bot sandbox` runs it) on free ports;
the page is driven through its JSON API and, in the browser test, by Debian's Chromium through
Playwright (no browser download: /usr/bin/chromium, which .ci/run installs).
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select

from bot.sandbox import demo
from bot.sandbox.botapi import tiny_png
from bot.sandbox.runner import Sandbox
from bot.sandbox.settings import load_sandbox_settings
from bot.settings import SettingsError
from core.clock import FixedClock
from core.models import SalesOrder, ServiceOrder, User

SHANGHAI = ZoneInfo("Asia/Shanghai")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# As the machine notes say: without the background-networking flags Chromium keeps trying to
# reach Google's hosts, which this machine's closed network refuses.
CHROMIUM_FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def sandbox_settings(tmp_path, **overrides):
    values = dict(_env_file=None, sandbox_port=0, default_language="en",
                  timezone="Asia/Shanghai",
                  sandbox_database_url=f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}")
    values.update(overrides)
    return load_sandbox_settings(**values)


def shanghai_ten_oclock():
    return FixedClock(datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc))  # Tue 10:00


@pytest.fixture
async def sandbox(tmp_path, request):
    running = Sandbox(sandbox_settings(tmp_path), clock=shanghai_ten_oclock(), poll_timeout=1)
    await running.start()
    from tests.local_bot_api import attach_transcript

    attach_transcript(request, running.api)  # a failing test shows every chat
    yield running
    await running.stop()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=40)) as session:
        yield session


async def chat_until(http, sandbox, person: int, predicate, timeout: float = 10.0):
    """Long-polls a person's chat as the page does, until `predicate(chat)` holds."""
    version = -1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with http.get(f"{sandbox.url}/api/chat/{person}", params={"after": version}) as r:
            assert r.status == 200
            chat = await r.json()
        if predicate(chat):
            return chat
        version = chat["version"]
        if loop.time() > deadline:
            raise AssertionError(f"the chat never got there: {chat['messages'][-3:]}")


def last_bot_text(chat) -> str:
    bot = [m for m in chat["messages"] if m["from_bot"]]
    return bot[-1]["text"] if bot else ""


async def post(http, sandbox, path, **json):
    async with http.post(f"{sandbox.url}{path}", json=json) as response:
        return response.status, await response.json()


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets LISTENing on `port`, from the kernel's own table."""
    found = set()
    for table, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(address)
            if family == 4:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


# ------------------------------------------------------------------ listening, the page
async def test_it_listens_on_loopback_only_and_serves_the_page(sandbox, http):
    api_port = sandbox.api.port
    for host, _ in sandbox.addresses:
        assert host == "127.0.0.1"
    if Path("/proc/net/tcp").exists():
        assert listening_addresses(sandbox.port) == {"127.0.0.1"}
        assert listening_addresses(api_port) == {"127.0.0.1"}
    assert "only this machine can reach it" in sandbox.announcement()
    assert sandbox.url in sandbox.announcement() and "Ctrl-C" in sandbox.announcement()

    async with http.get(sandbox.url + "/") as page:
        assert page.status == 200
        html = await page.text()
        assert "Service desk" in html and "/static/app.js" in html
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in ("app.js", "app.css"):
        async with http.get(f"{sandbox.url}/static/{asset}") as response:
            assert response.status == 200
    async with http.get(f"{sandbox.url}/favicon.ico") as response:  # browsers ask for it
        assert response.status == 200 and response.content_type == "image/svg+xml"
    async with http.get(f"{sandbox.url}/api/people") as response:
        # The page shows message times in the company's zone, as the bot's texts are.
        assert (await response.json())["bot"]["timezone"] == "Asia/Shanghai"
    async with http.get(f"{sandbox.url}/static/app.js") as response:
        script = await response.text()
    assert "timeZone: " in script or "options.timeZone" in script
    # A page of another site in the same browser, or a DNS-rebound name, gets nothing.
    async with http.post(f"{sandbox.url}/api/people", json={"name": "Eve", "language": "en"},
                         headers={"Origin": "http://evil.example"}) as response:
        assert response.status == 403
    async with http.get(f"{sandbox.url}/api/people",
                        headers={"Host": f"evil.example:{sandbox.port}"}) as response:
        assert response.status == 403


def test_it_refuses_to_listen_beyond_this_machine(tmp_path):
    with pytest.raises(SettingsError, match="SANDBOX_LISTEN is malformed: the sandbox only "
                                            "listens on this machine"):
        sandbox_settings(tmp_path, sandbox_listen="0.0.0.0")
    with pytest.raises(SettingsError, match="SANDBOX_DATABASE_URL is the real database"):
        sandbox_settings(tmp_path, sandbox_database_url="sqlite+aiosqlite:///data/service.db",
                         database_url="sqlite+aiosqlite:///data/service.db")
    assert sandbox_settings(tmp_path, sandbox_listen="localhost").sandbox_listen == "127.0.0.1"


async def test_a_taken_port_falls_back_to_a_free_one(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        running = Sandbox(sandbox_settings(tmp_path, sandbox_port=port), poll_timeout=1)
        await running.start()
        try:
            assert running.port != port and running.port_taken == port
            assert f"port {port} was taken" in running.announcement()
        finally:
            await running.stop()


# ------------------------------------------------------------------ demo data
async def test_the_demo_company_is_there_once(sandbox, http, tmp_path):
    async with http.get(f"{sandbox.url}/api/people") as response:
        people = (await response.json())["people"]
    roles = [(p["name"], p["role"]) for p in people]
    assert roles[:3] == [("王芳", "manager"), ("李师傅", "technician"),
                         ("Chen Jun", "technician")]
    assert {"张伟", "Emma Brown"} <= {p["name"] for p in people if p["role"] == "customer"}

    async with sandbox.service.desk.uow() as uow:
        chen = await uow.session.scalar(select(User).where(User.telegram_id == 10003))
        assert {s.category for s in await chen.awaitable_attrs.skills} >= {"tv", "microwave"}
        assert await chen.awaitable_attrs.areas
        orders = (await uow.session.scalars(select(ServiceOrder).order_by(ServiceOrder.id))).all()
        sales = (await uow.session.scalars(select(SalesOrder))).all()
    assert [o.status for o in orders] == ["new", "scheduled", "on_site", "cancelled", "closed",
                                          "new", "on_site"]
    assert [o.priority for o in orders] == ["normal"] * 5 + ["urgent", "normal"]
    assert orders[1].technician_id == chen.id
    # A settled day: Chen's job paid in cash today, the cash confirmed by the manager.
    async with sandbox.service.desk.uow() as uow:
        from core.models import CashSettlement
        [settled] = (await uow.session.scalars(select(CashSettlement))).all()
    assert settled.technician_id == chen.id and orders[4].payment_method == "cash"
    assert settled.handed_in == settled.cash_expected == orders[4].final_amount > 0
    # The technician on site is there today, arrived (not "on site tomorrow" with no arrival).
    on_site = orders[2]
    today = on_site.arrived_at.astimezone(SHANGHAI).date() if on_site.arrived_at else None
    assert on_site.booked_date == today and on_site.window_start <= on_site.arrived_at
    async with sandbox.service.desk.uow() as uow:
        from core import catalogue
        from core.models import LabourItem, Part, StockLevel
        parts = (await uow.session.scalars(select(Part))).all()
        labour = (await uow.session.scalars(select(LabourItem))).all()
        levels = (await uow.session.scalars(select(StockLevel))).all()
        ac = await catalogue.labour_items(uow, category="air_conditioner")
    assert len(parts) >= 20 and all(p.price > 0 for p in parts)
    assert any("压缩机" in p.name and "compressor" in p.name for p in parts)
    assert {"CALLOUT", "AC-CLEAN"} <= {i.code for i in ac.items}
    assert len({i.category for i in labour}) >= 6  # per appliance, and for any
    assert len({level.warehouse_id for level in levels if level.quantity}) == 3  # main, 2 vans
    assert [s.number for s in sales] == [demo.SALES_ORDER_NUMBER, demo.HANDOVER_SALES_NUMBER]
    # A delivery whose handover Chen recorded (intact, a photo) and 张伟 confirmed.
    async with sandbox.service.desk.uow() as uow:
        from core.models import Handover
        [handed] = (await uow.session.scalars(select(Handover))).all()
    assert (handed.order_id, handed.condition, handed.customer_answer, handed.complaint_id) == (
        orders[6].id, "intact", "good", None)
    assert orders[6].kind == "installation" and orders[6].sales_order_id == sales[1].id
    async with sandbox.service.desk.uow() as uow:
        from core.models import Complaint
        complaint = await uow.session.scalar(select(Complaint))
    assert (complaint.number, complaint.status, complaint.order_id) == ("C-1001", "in_hand",
                                                                        orders[1].id)

    # The next start keeps what people did and seeds nothing twice.
    await sandbox.stop()
    again = Sandbox(sandbox_settings(tmp_path), clock=shanghai_ten_oclock(), poll_timeout=1)
    await again.start()
    try:
        assert not again.seeded
        assert await demo.order_count(again.service.desk) == len(orders)
    finally:
        await again.stop()


@pytest.mark.parametrize("hour", [6, 22])
async def test_the_demo_seeds_early_in_the_morning_and_late_at_night(desk, clock, hour):
    clock.at = datetime(2026, 11, 24, hour, 30, tzinfo=SHANGHAI).astimezone(timezone.utc)
    assert await demo.seed(desk)
    async with desk.uow() as uow:
        orders = (await uow.session.scalars(select(ServiceOrder).order_by(ServiceOrder.id))).all()
    on_site = orders[2]
    assert on_site.status == "on_site" and on_site.arrived_at == clock.at
    assert str(on_site.booked_date) == "2026-11-24"
    # A van request of 李师傅 waits for 王芳's approval; her notice of it is still to go.
    from core.models import Reminder, VanRequest
    async with desk.uow() as uow:
        request = await uow.session.scalar(select(VanRequest))
        li = await uow.session.get(User, request.technician_id)
        notice = await uow.session.scalar(select(Reminder).where(Reminder.kind == "van_request"))
        manager = await uow.session.get(User, notice.recipient_id)
    assert (request.status, li.name, len(request.lines)) == ("pending", "李师傅", 2)
    assert manager.name == "王芳" and notice.dropped_at is None and notice.sent_at is None
    # A supplier, and a purchase order sent to it, waiting to be received.
    from core.models import PurchaseOrder, Supplier
    async with desk.uow() as uow:
        supplier = await uow.session.scalar(select(Supplier))
        order = await uow.session.scalar(select(PurchaseOrder))
    assert (order.status, order.supplier_id, len(order.lines)) == ("sent", supplier.id, 2)


# ------------------------------------------------------------------ the JSON API
async def test_a_new_customer_registers_through_the_page_api(sandbox, http):
    status, lucy = await post(http, sandbox, "/api/people", name="Lucy 露西", language="en")
    assert status == 201 and lucy["id"] >= demo.FIRST_NEW_ID
    me = lucy["id"]
    chat = await chat_until(http, sandbox, me, lambda c: True)
    assert chat["messages"] == [] and chat["keyboard"] is None

    assert (await post(http, sandbox, f"/api/chat/{me}/text", text="/start"))[0] == 200
    chat = await chat_until(http, sandbox, me, lambda c: "name" in last_bot_text(c))
    await post(http, sandbox, f"/api/chat/{me}/text", text="Lucy 露西")
    chat = await chat_until(http, sandbox, me, lambda c: c["keyboard"])
    [[button]] = chat["keyboard"]
    assert button["contact"]
    await post(http, sandbox, f"/api/chat/{me}/contact")
    chat = await chat_until(http, sandbox, me, lambda c: "signed in as" in last_bot_text(c))
    assert any("You are registered" in m["text"] for m in chat["messages"])
    assert chat["keyboard"] is None
    mine = [m for m in chat["messages"] if not m["from_bot"]]
    assert [m["kind"] for m in mine] == ["text", "text", "contact"]
    assert mine[0]["entities"][0]["type"] == "bot_command"

    async with sandbox.service.desk.uow() as uow:
        user = await uow.session.scalar(select(User).where(User.telegram_id == me))
    assert (user.name, user.phone) == ("Lucy 露西", demo.new_customer_phone(me))

    async with http.get(f"{sandbox.url}/api/people") as response:
        people = (await response.json())["people"]
    assert any(p["id"] == me and p["name"] == "Lucy 露西" and p["registered"] for p in people)


async def test_buttons_photos_locations_and_files(sandbox, http):
    emma = demo.CUSTOMER_EMMA.telegram_id
    await post(http, sandbox, f"/api/chat/{emma}/text", text="/book")
    chat = await chat_until(http, sandbox, emma, lambda c: "appliance" in last_bot_text(c))
    question = [m for m in chat["messages"] if m["from_bot"]][-1]
    row, column = next((r, c) for r, line in enumerate(question["buttons"])
                       for c, b in enumerate(line) if b["text"] == "TV")
    assert "Book a repair" in question["text"]
    bold = [e for e in question["entities"] if e["type"] == "bold"]
    assert bold and question["text"][bold[0]["offset"]:][:13] == "Book a repair"
    await post(http, sandbox, f"/api/chat/{emma}/press", message_id=question["id"], row=row,
               column=column)
    await chat_until(http, sandbox, emma, lambda c: "brand" in last_bot_text(c))
    status, refused = await post(http, sandbox, f"/api/chat/{emma}/press",
                                 message_id=question["id"], row=99, column=0)
    assert status == 409 and "no button" in refused["error"]

    # A photo, as the file input sends it; the bot's copy is served back.
    form = aiohttp.FormData()
    form.add_field("photo", tiny_png(), filename="fridge.png", content_type="image/png")
    form.add_field("caption", "冰箱 fridge")
    async with http.post(f"{sandbox.url}/api/chat/{emma}/photo", data=form) as response:
        assert response.status == 200
    form = aiohttp.FormData()
    form.add_field("photo", b"<svg onload=alert(1)>", filename="x.svg")
    async with http.post(f"{sandbox.url}/api/chat/{emma}/photo", data=form) as response:
        assert response.status == 400
    assert (await post(http, sandbox, f"/api/chat/{emma}/location",
                       latitude=31.2304, longitude=121.4737))[0] == 200
    assert (await post(http, sandbox, f"/api/chat/{emma}/location",
                       latitude=123, longitude=0))[0] == 400
    chat = await chat_until(http, sandbox, emma,
                            lambda c: any(m.get("location") for m in c["messages"]))
    photo = next(m for m in chat["messages"] if m["kind"] == "photo")
    assert photo["text"] == "冰箱 fridge" and not photo["from_bot"]
    async with http.get(sandbox.url + photo["file"]["url"]) as response:
        assert response.status == 200 and response.content_type == "image/png"
        assert await response.read() == tiny_png()

    # A document the bot sends (a CSV export, say) is a download, never a page of the sandbox.
    await sandbox.service.application.bot.send_document(
        emma, b"number,status\nR-1001,new\n", filename="orders.csv")
    chat = await chat_until(http, sandbox, emma,
                            lambda c: c["messages"][-1]["kind"] == "document")
    document = chat["messages"][-1]
    assert document["file"]["name"] == "orders.csv"
    async with http.get(sandbox.url + document["file"]["url"]) as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        assert response.content_type == "application/octet-stream"
        assert await response.read() == b"number,status\nR-1001,new\n"


async def test_the_demo_technician_sees_what_to_bring_learned_from_the_demo_history(
        sandbox, http):
    """The demo company comes with 800 past jobs: 李师傅's washing machine job on site shows
    the likely fault, the parts to bring and what his van holds, in Chinese."""
    li = demo.TECHNICIAN_LI.telegram_id
    await post(http, sandbox, f"/api/chat/{li}/text", text="/jobs")
    chat = await chat_until(http, sandbox, li, lambda c: "我的工单" in last_bot_text(c))
    listing = [m for m in chat["messages"] if m["from_bot"]][-1]
    row = next(r for r, line in enumerate(listing["buttons"]) if "洗衣机" in line[0]["text"])
    await post(http, sandbox, f"/api/chat/{li}/press", message_id=listing["id"], row=row,
               column=0)
    chat = await chat_until(http, sandbox, li, lambda c: "可能故障" in last_bot_text(c))
    card = last_bot_text(chat)
    assert "故障描述：洗衣机脱水时噪音很大，机身晃动。" in card
    assert "滚筒轴承" in card.split("建议带上：")[1]  # the demo history's noisy-spin fault
    assert "车上有 ✓" in card  # his van holds the bearings
    assert "依据" in card and "个已完成工单" in card


# ------------------------------------------------------------------ the command line
def test_with_a_token_nothing_of_the_sandbox_is_loaded(tmp_path):
    script = (
        "import sys, bot.cli as cli\n"
        "async def real_bot(settings):\n"
        "    return 0\n"
        "cli._run = real_bot\n"
        "code = cli.main(['run'])\n"
        "print(code, sorted(m for m in sys.modules if m.startswith('bot.sandbox')))\n"
    )
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "SANDBOX_"))}
    env.update(BOT_TOKEN="123456:TEST-token", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "0 []", result.stdout + result.stderr


async def test_the_sandbox_command_prints_one_line_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "SANDBOX_"))}
    env.update(PYTHONPATH=str(ROOT), SANDBOX_PORT="0")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group()
        async with aiohttp.ClientSession() as http, http.get(url + "/api/people") as response:
            assert response.status == 200
            assert len((await response.json())["people"]) == len(demo.PEOPLE)
    finally:
        process.send_signal(signal.SIGTERM)
        rest, errors = await asyncio.wait_for(process.communicate(), 30)
    assert line.startswith("Sandbox at http://127.0.0.1:") and "Ctrl-C" in line
    assert process.returncode == 0, errors.decode()
    assert rest.decode() == "" and "Traceback" not in errors.decode()
    assert (tmp_path / "data" / "sandbox.db").exists()
    assert not (tmp_path / "data" / "service.db").exists()  # the real database is untouched


# ------------------------------------------------------------------ in a real browser
def _need_browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run "
                    "does it)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed: pip install -e '.[test]'")


async def test_in_a_browser_a_customer_books_a_repair_and_the_manager_starts(sandbox):
    _need_browser()
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=10_000)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=CHROMIUM_FLAGS)
        try:
            # A browser in another time zone than the company's.
            page = await browser.new_page(viewport={"width": 1280, "height": 1200},
                                          timezone_id="America/New_York")
            await page.goto(sandbox.url)
            await expect(page.locator(".person")).to_have_count(len(demo.PEOPLE))
            await page.locator(".person", has_text="Emma Brown").click()
            last = page.locator(".msg.bot").last

            async def then(text, press=None):
                await expect(last).to_contain_text(text)
                if press:
                    await last.get_by_role("button", name=press, exact=True).click()

            async def type_in(text):
                await page.locator("#text").fill(text)
                await page.locator("#text").press("Enter")

            await page.get_by_role("button", name="START").click()
            await expect(last).to_contain_text("Emma")
            await type_in("/book")
            await then("Which appliance", press="TV")
            await then("brand", press="TCL")
            await then("model", press="Skip")
            await then("serial", press="Skip")
            await then("What is wrong")
            await type_in("The screen flickers — 屏幕闪烁")
            await then("photos")
            await page.locator("#photo-input").set_input_files(
                files=[{"name": "tv.png", "mimeType": "image/png", "buffer": tiny_png()}])
            await then("Photo 1", press="Done with photos")
            await then("Where should the technician come")
            await page.get_by_role("button", name="Share a location").click()
            await page.get_by_role("button", name="Send location").click()
            await then("Location received")
            await type_in("Room 1803, 1000 Lujiazui Ring Rd, Pudong")
            share = page.locator("#keyboard").get_by_role("button",
                                                          name="📱 Share my phone number")
            await share.click()
            await then("Which day", press="Tue 24 Nov")
            await then("13:00", press="13:00–17:00")
            await then("Tue 24 Nov, 13:00–17:00", press="✅ Confirm")
            await then("Your order number is R-")

            # What the page shows: her photo, location and contact, formatting, no keyboard.
            mine = page.locator(".msg.me")
            await expect(mine.locator(".photo img")).to_have_count(1)
            await expect(mine.locator(".card-title", has_text="Location")).to_have_count(1)
            await expect(mine.locator(".card-sub", has_text="+8613912340002")).to_have_count(1)
            await expect(page.locator(".msg.bot strong").first).to_be_visible()
            await expect(page.locator("#keyboard")).to_be_hidden()
            booked = await last.inner_text()
            number = re.search(r"R-\d+", booked).group()

            # The manager, in Chinese, in another tab.
            manager = await browser.new_page(viewport={"width": 1280, "height": 900})
            await manager.goto(f"{sandbox.url}/#{demo.MANAGER.telegram_id}")
            # A technician's van request waits for her (the demo's), so her chat is not empty:
            # she starts with /start rather than the START button of an empty chat.
            await expect(manager.locator(".msg.bot").first).to_contain_text("调拨申请")
            await manager.locator("#text").fill("/start")
            await manager.locator("#text").press("Enter")
            await expect(manager.locator(".msg.bot").last).to_contain_text("经理")
            await expect(manager.locator(".chat-name")).to_have_text("王芳")

            # Times are the company's, as in the bot's texts, not the browser's zone.
            unix, meta = await page.evaluate("""() => {
                const m = state.chat.messages.filter(m => m.from_bot).at(-1);
                return [m.date, document.querySelector(`.msg[data-id="${m.id}"] .meta`)
                    .textContent];
            }""")
            assert meta.endswith(datetime.fromtimestamp(unix, SHANGHAI).strftime("%H:%M"))

            # Five star buttons in one row are shown whole, not cut to "★★★…".
            widths = await page.locator(".messages").evaluate("""box => {
                const row = document.createElement("div");
                row.className = "kb-row";
                for (let n = 1; n <= 5; n++) {
                    const b = document.createElement("button");
                    b.textContent = "★".repeat(n);
                    row.append(b);
                }
                const keyboard = document.createElement("div");
                keyboard.className = "inline-keyboard";
                keyboard.append(row);
                const msg = document.createElement("div");  // as the bot's rating request
                msg.className = "msg bot has-buttons";
                const bubble = document.createElement("div");
                bubble.className = "bubble";
                bubble.textContent = "How did we do? Tap the stars.";
                msg.append(bubble, keyboard);
                box.append(msg);
                const cut = [...row.children].map(b => b.scrollWidth > b.clientWidth);
                msg.remove();
                return cut;
            }""")
            assert widths == [False] * 5

            await page.locator(".messages").evaluate("box => box.scrollTop = box.scrollHeight")
            artifacts = ROOT / "test-artifacts"
            artifacts.mkdir(exist_ok=True)
            await page.screenshot(path=str(artifacts / "sandbox.png"))
        finally:
            await browser.close()
    async with sandbox.service.desk.uow() as uow:
        order = await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == number))
    assert (order.status, order.category, len(order.photos)) == ("new", "tv", 1)
    assert order.window == "13-17"


def _technicians_have_jobs() -> bool:
    from handlers.menus import ROLE_COMMANDS

    return "jobs" in ROLE_COMMANDS["technician"]


@pytest.mark.skipif(not _technicians_have_jobs(),
                    reason="\"On my way\" awaits the technicians' chat flow (/jobs)")
async def test_in_a_browser_a_technician_sets_off(sandbox):
    _need_browser()
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=10_000)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{sandbox.url}/#{demo.TECHNICIAN_CHEN.telegram_id}")
            await page.get_by_role("button", name="START").click()
            await page.locator("#text").fill("/jobs")
            await page.locator("#text").press("Enter")
            last = page.locator(".msg.bot").last
            await expect(last).to_contain_text("R-1002")
            await last.get_by_role("button", name=re.compile("R-1002")).click()
            await page.locator(".msg.bot").last.get_by_role(
                "button", name=re.compile("on my way", re.I)).click()
            # The job is booked for tomorrow: setting off today is asked about first.
            await expect(page.locator(".msg.bot").last).to_contain_text("not today")
            await page.locator(".msg.bot").last.get_by_role(
                "button", name=re.compile("Yes, I am on my way", re.I)).click()
            customer = await browser.new_page()
            await customer.goto(f"{sandbox.url}/#{demo.CUSTOMER_EMMA.telegram_id}")
            await expect(customer.locator(".msg.bot").last).to_contain_text(
                re.compile("on (the|his|her|their)? ?way", re.I))
        finally:
            await browser.close()
    async with sandbox.service.desk.uow() as uow:
        order = await uow.session.scalar(select(ServiceOrder).where(ServiceOrder.number == "R-1002"))
    assert order.status == "en_route"
