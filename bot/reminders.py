"""The reminder service: APScheduler runs with the bot and triggers the sending of due
reminders (rows written by core), plus the daily morning lists and digests.

Business reminders are never APScheduler jobs (its job store is neither shared safely between
processes nor safe to unpickle); APScheduler only says "now". Telegram's limits: the
application's AIORateLimiter keeps to ~30 messages a second overall, and this sender keeps
one chat to one message a second. A 429 or a network error puts a reminder back with a
delay; a 403 (blocked) drops it and marks the person unreachable.
"""
from __future__ import annotations

import asyncio
import logging
import time as clock_time
from datetime import datetime, time, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from telegram.constants import ParseMode
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from core import reminders
from core.desk import Desk
from handlers.reminders import render
from handlers.texts import split_message

log = logging.getLogger(__name__)

MORNING_LIST_AT = time(7, 30)
DIGEST_AT = time(8, 0)


class ReminderService:
    def __init__(self, application: Application, desk: Desk, *, interval: float = 5.0,
                 batch: int = 100, concurrency: int = 8, per_chat_gap: float = 1.0):
        self.application = application
        self.desk = desk
        self.interval = interval
        self.batch = batch
        self.per_chat_gap = per_chat_gap
        self._slots = asyncio.Semaphore(concurrency)
        self._again = False
        self._sending: asyncio.Task | None = None
        self._last_sent: dict[int, float] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self.scheduler = AsyncIOScheduler(timezone=desk.company.timezone)

    def start(self) -> None:
        zone = self.desk.company.timezone
        self.scheduler.add_job(self._tick, "interval", seconds=self.interval,
                               id="send_due", max_instances=1, coalesce=True,
                               next_run_time=datetime.now(zone))
        self.scheduler.add_job(self.plan_mornings, CronTrigger(
            hour=MORNING_LIST_AT.hour, minute=MORNING_LIST_AT.minute, timezone=zone),
            id="mornings", max_instances=1, coalesce=True)
        self.scheduler.start()

    async def stop(self) -> None:
        """Stops triggering; a pass under way finishes, so what it sent is marked sent."""
        self.scheduler.shutdown(wait=False)
        if self._sending is not None:
            await asyncio.gather(self._sending, return_exceptions=True)

    def wake(self) -> None:
        """Send what is due now (e.g. right after a change that notifies someone). One
        sending pass runs at a time; a wake during a pass makes it go round once more."""
        self._again = True
        if self._sending is None or self._sending.done():
            self._sending = asyncio.get_running_loop().create_task(self._drain())

    async def _tick(self) -> None:
        self.wake()
        # Shielded: when the scheduler shuts down and cancels this job, the pass under way
        # must not be cut between Telegram's answer and marking the reminder sent.
        await asyncio.shield(self._sending)

    async def _drain(self) -> None:
        while self._again:
            self._again = False
            try:
                await self.send_due()
            except Exception:  # noqa: BLE001 - the next tick tries again; never kill the loop
                log.exception("sending reminders failed")

    async def plan_mornings(self) -> None:
        """Today's technicians' job lists (07:30) and managers' digests (08:00), once each."""
        zone = self.desk.company.timezone
        async with self.desk.uow() as uow:
            today = uow.now().astimezone(zone).date()
            technicians, managers = await reminders.technicians_and_managers(uow)
            for technician in technicians:
                await reminders.add_daily(uow, "morning_list", technician, today.isoformat(),
                                          datetime.combine(today, MORNING_LIST_AT, tzinfo=zone))
            for manager in managers:
                await reminders.add_daily(uow, "digest", manager, today.isoformat(),
                                          datetime.combine(today, DIGEST_AT, tzinfo=zone))
            await uow.commit()

    async def send_due(self) -> int:
        """Claims what is due and sends it; returns how many were sent."""
        sent = 0
        while True:
            async with self.desk.uow() as uow:
                claimed = await reminders.claim_due(uow, self.batch)
                await uow.commit()
            if not claimed:
                return sent
            results = await asyncio.gather(*(self._send(r) for r in claimed))
            sent += sum(results)

    async def _send(self, reminder) -> bool:
        lock = self._chat_locks.setdefault(reminder.recipient_id, asyncio.Lock())
        async with lock:  # one chat's reminders in order, a second apart; others go on
            message = await self._prepare(reminder)
            if message is None:
                return False
            await self._keep_chat_pace(message.chat_id)
            async with self._slots:
                return await self._deliver(reminder, message)

    async def _prepare(self, reminder):
        """The message to send, or None (and the reminder dropped) when there is none now."""
        async with self.desk.uow() as uow:
            message = None
            if await reminders.still_wanted(uow, reminder):
                message = await render(uow, self.application.bot_data["texts"],
                                       self.application.bot_data["default_language"], reminder)
            if message is None:
                await reminders.mark_dropped(uow, reminder.id, "no_longer_due")
            await uow.commit()
        return message

    async def _deliver(self, reminder, message) -> bool:
        try:
            # A long one (a report with many parts) goes as several, the buttons with the last.
            *first, last = split_message(message.text)
            for part in first:
                await self.application.bot.send_message(message.chat_id, part,
                                                        parse_mode=ParseMode.HTML)
            await self.application.bot.send_message(
                message.chat_id, last, parse_mode=ParseMode.HTML, reply_markup=message.markup)
        except Forbidden:
            async with self.desk.uow() as uow:
                await reminders.mark_undeliverable(uow, reminder)
                await uow.commit()
            log.info("reminder %s: recipient blocked the bot", reminder.id)
            return False
        except RetryAfter as error:
            await self._failed(reminder, error, error.retry_after)
            return False
        except TelegramError as error:  # network errors, 5xx, a chat Telegram cannot find
            await self._failed(reminder, error)
            return False
        finally:
            self._last_sent[message.chat_id] = clock_time.monotonic()
        async with self.desk.uow() as uow:
            await reminders.mark_sent(uow, reminder.id)
            await uow.commit()
        log.info("reminder %s (%s, order %s) sent", reminder.id, reminder.kind,
                 message.order_number or "-")
        return True

    async def _keep_chat_pace(self, chat_id: int) -> None:
        last = self._last_sent.get(chat_id)
        if last is not None:
            wait = self.per_chat_gap - (clock_time.monotonic() - last)
            if wait > 0:
                await asyncio.sleep(wait)

    async def _failed(self, reminder, error, retry_after=None) -> None:
        if isinstance(retry_after, timedelta):
            retry_after = retry_after.total_seconds()
        async with self.desk.uow() as uow:
            await reminders.mark_failed(uow, reminder, str(error), retry_after)
            await uow.commit()
        log.warning("reminder %s not sent, will retry: %s", reminder.id, error)
