"""The bot is killed (SIGKILL, no chance to clean up) at random points while customers register
and book; it is started again each time, as a supervisor would. People act as people do: they
answer the newest question they see, and say it again when the bot seems not to have heard.

After it all, every booking holds exactly what its customer typed (no answer in another field),
nobody has two, and nobody is left without their confirmation.
"""
from __future__ import annotations

import asyncio
import random
import signal
import sys

from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.models import Address, Appliance, ServiceOrder, User
from tests.e2e.conftest import TOKEN
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


async def test_killed_at_random_points_no_answer_is_lost_or_misplaced(tmp_path, telegram, desk,
                                                                      db_url):
    for number in range(3):
        await technician(desk, 600 + number, f"Tech {number}", categories=("tv",),
                         areas=("Pudong",), telegram=telegram)
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
    process = await start()
    loop = asyncio.get_running_loop()
    people = [asyncio.create_task(c.run(loop.time() + 240)) for c in customers]
    try:
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.3, 2.5))
            await kill(process)
            process = await start()
        await asyncio.wait_for(asyncio.gather(*people), 240)
    finally:
        for task in people:
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
    for telegram_id, *booking in rows:
        by_customer.setdefault(telegram_id, []).append(booking)
    for customer in customers:
        assert customer.booked, customer.user.transcript_text()
        [booking] = by_customer[customer.user.id]  # one each: none lost, none doubled
        a = customer.answers
        assert booking == [customer.booked, "tv", "TCL", a["model"], a["serial"],
                           a["description"], a["address"]], customer.user.transcript_text()
