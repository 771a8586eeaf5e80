"""Two instances of the bot behind a load balancer, on one database, as a company that outgrows
one machine runs them: Telegram's webhook goes to the balancer, which sends each update of a
person to the other instance than the one before. Every answer is taken at the first try, an
update delivered to both instances is handled once, and a notice is sent once."""
from __future__ import annotations

import asyncio
import json
from datetime import date

import aiohttp
from aiohttp import web

from tests.e2e.booking_steps import book_repair
from tests.e2e.conftest import TOKEN, free_port
from tests.e2e.job_steps import catalogue_and_stock, open_job, until
from tests.e2e.people import technician
from tests.e2e.staff_acts import assign
from tests.workshop import at

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REFUSALS = ("out of date", "answer the question above", "answer this question first",
            "did not understand", "went wrong")


class Balancer:
    """Alternates each person's updates between the instances; `both` sends the next update
    of a person to both instances at once (a redelivery racing the first delivery)."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.last: dict[int, int] = {}
        self.both: set[int] = set()
        self.sent_to: list[tuple[int, int]] = []  # (update_id, instance)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram"
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/telegram", self.receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        await self._http.close()
        await self._runner.cleanup()

    async def forward(self, index: int, body: bytes, headers) -> int:
        async with self._http.post(self.urls[index], data=body, headers=headers) as response:
            return response.status

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        update = json.loads(body)
        person = _sender(update)
        headers = {"Content-Type": "application/json",
                   SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        if person in self.both:
            self.both.discard(person)
            statuses = await asyncio.gather(*(self.forward(i, body, headers)
                                              for i in range(len(self.urls))))
            self.sent_to += [(update["update_id"], i) for i in range(len(self.urls))]
            return web.Response(status=max(statuses))
        index = (self.last.get(person, 1) + 1) % len(self.urls)
        self.last[person] = index
        self.sent_to.append((update["update_id"], index))
        return web.Response(status=await self.forward(index, body, headers))


def _sender(update: dict) -> int:
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        if key in update:
            return update[key]["from"]["id"]
    return 0


async def test_two_instances_share_every_person_and_handle_each_update_once(telegram, bots,
                                                                          clock):
    first = await bots.start("webhook")
    second = await bots.start("webhook")
    balancer = Balancer([first.settings.webhook_url, second.settings.webhook_url])
    await balancer.start()
    try:
        async with aiohttp.ClientSession() as http:  # Telegram now calls the balancer
            async with http.post(f"{telegram.base_url}{TOKEN}/setWebhook", json={
                    "url": balancer.url, "secret_token": first.settings.webhook_secret}) as r:
                assert r.status == 200
        await technician(first.desk, 2001, "Li Lei", ["tv"], areas=["Pudong"],
                         telegram=telegram)
        await catalogue_and_stock(first, van_of=2001)
        ann = telegram.user(1001, "Ann")
        await ann.send("/start")
        assert "what name" in (await ann.reply()).text
        await ann.send("Ann")
        assert "phone number" in (await ann.reply()).text
        await ann.send_contact(phone="+8613800138000")
        registered, _menu = await ann.replies(2)
        assert "You are registered" in registered.text
        number = await book_repair(ann, address="8 Century Ave, Pudong")
        used = {index for _, index in balancer.sent_to}
        assert used == {0, 1}  # both instances took part in one person's conversation

        # Assigned through core on the first instance; both reminder services are running.
        await assign(first, number, 2001)
        li = telegram.user(2001, "Li")
        await until(li, "New job")
        await until(ann, "is confirmed")

        # The visit's morning. The same update delivered to both instances at once: handled
        # once. The technician runs the job in chat: accept, on my way, arrived, diagnosis, a quote
        # the customer approves, completion with the part's serial, paid.
        clock.at = at(date(2026, 11, 25), 6, 0)
        card = await open_job(li, number)
        for act in ("✅ Accept", "🚗 On my way", "📍 Arrived"):
            await li.press(act, message=card)
            card = await until(li, f"Job {number}")
        await li.press("🔍 Diagnose", message=card)
        await until(li, "What fault did you find?")
        await li.send("The main board's capacitor is swollen")
        await li.press("Done with photos", message=await until(li, "Send photos"))
        await until(li, "Diagnosis saved")
        card = await open_job(li, number)
        await li.press("💰 Quote", message=card)
        await li.press("➕ Part", message=await until(li, "Quote for job"))
        await until(li, "Type the SKU")
        await li.send("compr")
        await li.press("Compressor · CMP-01 · ¥450.00", message=await until(li, "Parts matching"))
        await li.press("1", message=await until(li, "How many"))
        await li.press("📤 Send ¥450.00 to the customer", message=await until(li, "Total"))
        await until(li, "sent to the customer")
        await ann.press("✅ Approve", message=await until(ann, "Quote for order"))
        await until(ann, "approved")
        await until(li, "approved the quote")
        card = await open_job(li, number)
        await li.press("✅ Complete", message=card)
        await li.press("➕ Compressor (0/1)", message=await until(li, "0 of 1 used"))
        await until(li, "Serial number")
        await li.send("SN-2INST")
        await li.press("Next ▶", message=await until(li, "1 of 1 used"))
        await li.press("Done with photos", message=await until(li, "Send photos"))
        await until(li, "What did you do?")
        await li.send("Replaced the compressor")
        await li.press("✅ Complete the job", message=await until(li, "S/N SN-2INST"))
        await until(li, "is completed")
        assert "SN-2INST" in (await until(ann, "report")).text
        await ann.settle(quiet=0.5)
        before = len(ann.messages)
        balancer.both.add(1001)
        await ann.send("/orders")
        assert any(number in b for b in (await ann.reply()).button_texts)
        await asyncio.sleep(1)
        await ann.settle(quiet=0.5)
        await li.settle(quiet=0.5)
    finally:
        await balancer.stop()
    assert len(ann.messages) - before == 1  # one list, though both instances got the update
    delivered = [update_id for update_id, _ in balancer.sent_to]
    assert len(delivered) == len(set(delivered)) + 1  # that one update went to both
    transcript = ann.transcript_text() + li.transcript_text()
    assert not any(refusal in transcript for refusal in REFUSALS), transcript
    assert li.transcript_text().count("New job") == 1  # a notice goes once
    assert ann.transcript_text().count("You are registered") == 1
