"""The bot is killed (SIGKILL, no chance to clean up) at random points while customers register
and book and a technician builds a quote; it is started again each time, as a supervisor would. People act as people do: they
answer the newest question they see, and say it again when the bot seems not to have heard.

After it all, every booking holds exactly what its customer typed (no answer in another field),
nobody has two, and nobody is left without their confirmation.
"""
from __future__ import annotations

import asyncio
import random
import signal
import sys
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.bootstrap import make_desk
from core import booking, people
from core.clock import Clock
from core.db import make_engine, make_session_factory
from core.desk import CompanySettings
from core.models import Address, Appliance, Quote, QuoteLine, ServiceOrder, User
from tests.e2e.conftest import MANAGER_ID, TOKEN
from tests.e2e.job_steps import assign, catalogue_and_stock, on_site
from tests.e2e.people import technician
from tests.e2e.test_command_line import environment

KILLS = int(__import__("os").environ.get("CRASH_KILLS", "20"))
SEED = 20261202


class Customer:
    """Knows its answers, and finds which one the newest question wants by its words."""

    def __init__(self, telegram, index: int):
        self.index = index
        self.name = f"Crash{index}"
        self.user = telegram.user(3000 + index, self.name, language_code="en")
        self.answers = {
            "model": f"MODEL-{index}-X", "serial": f"SN{index}000{index}",
            "description": f"Customer {index}: the picture flickers and then goes dark",
            "address": f"{index} Century Avenue, Pudong, flat {100 + index}",
        }
        self.booked: str | None = None
        self.seen = 0

    async def act(self) -> None:
        """Answers the newest question among the bot's messages (notes are passed over)."""
        for message in reversed(self.user.messages):
            if await self.answer(message):
                return
        await self.user.send("/start")

    async def answer(self, message) -> bool:
        text, buttons = message.text or "", message.button_texts
        if "Booked! Your order number is" in text:
            self.booked = text.split("order number is ")[1].split(".")[0]
        elif "what name should the technician ask for" in text:
            await self.user.send(self.name)
        elif "Now your phone number" in text:
            await self.user.send_contact(phone=f"+861380013800{self.index}")
        elif "🔧 Book a repair" in buttons:  # the menu, once registered
            await self.user.send("/book")
        elif "Which appliance needs a repair" in text:
            await self.user.press("TV", message=message)
        elif "Which brand is it" in text:
            await self.user.press("TCL", message=message)
        elif "What is the model" in text:
            await self.user.send(self.answers["model"])
        elif "serial number" in text:
            await self.user.send(self.answers["serial"])
        elif "What is wrong" in text:
            await self.user.send(self.answers["description"])
        elif "photos" in text and "Done with photos" in buttons:
            await self.user.press("Done with photos", message=message)
        elif "Where should the technician come" in text:
            await self.user.send(self.answers["address"])
        elif "Which phone number should the technician call" in text:
            await self.user.press(buttons[0], message=message)
        elif "Which day suits you" in text or "What time on" in text:
            choices = [b for b in buttons if b not in ("◀ Back", "✖ Cancel")
                       and "full" not in b]
            await self.user.press(choices[0] if choices else "◀ Back", message=message)
        elif "no free times left" in text:  # others took the last places meanwhile
            await self.user.press("◀ Back", message=message)
        elif "Please check your booking" in text:
            await self.user.press("✅ Confirm", message=message)
        else:
            return False  # a note ("phone noted", the reply keyboard's): not a question
        return True

    async def run(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while self.booked is None and loop.time() < deadline:
            before = len(self.user.messages)
            await self.act()
            if self.booked:
                return
            try:  # a person waits a while for an answer, then says it again
                await self.user._wait_until(lambda: len(self.user.messages) > before, 6.0, "")
            except AssertionError:
                pass
            await asyncio.sleep(0.05)


class Technician:
    """Builds a quote in chat for a job already on site: a compressor and an hour's labour."""

    def __init__(self, telegram, number: str):
        self.user = telegram.user(600, "Tech")
        self.number = number
        self.sent = False

    async def answer(self, message) -> bool:
        text, buttons = message.text or "", message.button_texts
        if "sent to the customer" in text:
            self.sent = True
        elif "Your jobs" in text:
            await self.user.press(next(b for b in buttons if b.startswith(self.number)),
                                  message=message)
        elif f"Job {self.number}" in text and "💰 Quote" in buttons:
            await self.user.press("💰 Quote", message=message)
        elif "Quote for job" in text:
            if "Compressor" not in text:
                await self.user.press("➕ Part", message=message)
            elif "Repair labour" not in text:
                await self.user.press("➕ Labour", message=message)
            else:
                await self.user.press(next(b for b in buttons if b.startswith("📤 Send")),
                                      message=message)
        elif "Type the SKU" in text:
            await self.user.send("compr")
        elif "Parts matching" in text:
            await self.user.press("Compressor · CMP-01 · ¥450.00", message=message)
        elif "How many of" in text:
            await self.user.press("1", message=message)
        elif "Choose the labour to add" in text:
            await self.user.press("Repair labour · ¥80.00", message=message)
        else:
            return False
        return True

    async def act(self) -> None:
        for message in reversed(self.user.messages):
            if await self.answer(message):
                return
        await self.user.send("/jobs")

    def bot_lines(self) -> int:
        return len([line for line in self.user.transcript if line.startswith("< bot")])

    async def run(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while not self.sent and loop.time() < deadline:
            # A press on the job's screens edits them in place: count what the bot did.
            before = self.bot_lines()
            await self.act()
            if self.sent:
                return
            try:
                await self.user._wait_until(lambda: self.bot_lines() > before, 6.0, "")
            except AssertionError:
                pass
            await asyncio.sleep(0.05)


async def job_on_site(db_url, telegram) -> str:
    """A customer's TV repair, assigned to technician 600, who has arrived and diagnosed it,
    with a catalogue and a compressor in the van (through core, on today's real clock, as the
    bot in its own process runs on it)."""
    engine = make_engine(db_url)
    desk = make_desk(make_session_factory(engine), CompanySettings(
        manager_ids=frozenset({MANAGER_ID}), service_areas=("Pudong",)), Clock())
    staff = SimpleNamespace(desk=desk, reminders=SimpleNamespace(wake=lambda: None))
    try:
        telegram.user(3999, "Zoe", started=True)
        async with desk.uow() as uow:
            zoe = await people.ensure_user(uow, 3999)
            await people.register_customer(uow, zoe, "Zoe", "+8613700137000")
            day = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
            order = await booking.book_repair(uow, zoe, category="tv", description="No picture",
                                              address="Pudong, 9 Zhangjiang Rd", day=day,
                                              window="13-17")
            await uow.commit()
        await catalogue_and_stock(staff, van_of=600)
        await assign(staff, order.number, 600)
        await on_site(staff, 600, order.number, diagnosed=True)
        return order.number
    finally:
        await engine.dispose()


async def test_killed_at_random_points_no_answer_is_lost_or_misplaced(tmp_path, telegram, desk,
                                                                      db_url):
    for number in range(3):
        await technician(desk, 600 + number, f"Tech {number}", categories=("tv",),
                         areas=("Pudong",), telegram=telegram)
    job = await job_on_site(db_url, telegram)
    rng = random.Random(SEED)
    env = environment(BOT_TOKEN=TOKEN, BOT_API_BASE_URL=telegram.base_url,
                      DATABASE_URL=db_url, DEFAULT_LANGUAGE="en", SERVICE_AREAS="Pudong")
    logs = []

    async def start():
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)

    async def kill(process):
        process.send_signal(signal.SIGKILL)
        output, _ = await process.communicate()
        logs.append(output.decode(errors="replace"))

    customers = [Customer(telegram, i) for i in range(1, 5)]
    tech = Technician(telegram, job)
    process = await start()
    loop = asyncio.get_running_loop()
    acting = [asyncio.create_task(who.run(loop.time() + 240)) for who in (*customers, tech)]
    try:
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.3, 2.5))
            await kill(process)
            process = await start()
        await asyncio.wait_for(asyncio.gather(*acting), 240)
    finally:
        for task in acting:
            task.cancel()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
            logs.append(output.decode(errors="replace"))
    log = "\n".join(logs)
    assert "Traceback" not in log, log[-5000:]

    engine = make_engine(db_url)
    try:
        async with make_session_factory(engine)() as session:
            rows = (await session.execute(
                select(User.telegram_id, ServiceOrder.number, Appliance.category, Appliance.brand,
                       Appliance.model, Appliance.serial, ServiceOrder.description, Address.text)
                .join(ServiceOrder, ServiceOrder.customer_id == User.id)
                .join(Appliance, Appliance.id == ServiceOrder.appliance_id)
                .join(Address, Address.id == ServiceOrder.address_id))).all()
    finally:
        await engine.dispose()
    by_customer: dict[int, list] = {}
    for telegram_id, *booked in rows:
        by_customer.setdefault(telegram_id, []).append(booked)
    for customer in customers:
        assert customer.booked, customer.user.transcript_text()
        [booked] = by_customer[customer.user.id]  # one each: none lost, none doubled
        a = customer.answers
        assert booked == [customer.booked, "tv", "TCL", a["model"], a["serial"],
                           a["description"], a["address"]], customer.user.transcript_text()

    assert tech.sent, tech.user.transcript_text()
    engine = make_engine(db_url)
    try:
        async with make_session_factory(engine)() as session:
            order = await session.scalar(select(ServiceOrder).where(ServiceOrder.number == job))
            [quote] = (await session.scalars(
                select(Quote).where(Quote.order_id == order.id))).all()
            lines = (await session.execute(select(QuoteLine.description, QuoteLine.quantity).where(
                QuoteLine.quote_id == quote.id).order_by(QuoteLine.description))).all()
    finally:
        await engine.dispose()
    assert order.status == "awaiting_approval"
    assert [tuple(line) for line in lines] == [("Compressor", 1), ("Repair labour", 1)], \
        tech.user.transcript_text()
