"""The reminder service: APScheduler runs with the bot and triggers the sending of due
reminders (rows written by core), plus the daily morning lists and digests.

Business reminders are never APScheduler jobs (its job store is neither shared safely between
processes nor safe to unpickle); APScheduler only says "now". Telegram's limits: every
reminder is sent as bulk (`rate_limit_args=BULK`), so the application's rate limiter
(bot/rate_limit.py) keeps them to ~30 a second overall and each chat to its pace, behind
nobody's reply; this sender keeps one chat's reminders in order. A 429 the limiter could not wait
out, or a network error, puts a reminder back with a delay; a 403 (blocked) drops it and
marks the person unreachable.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from contextvars import ContextVar
from datetime import datetime, time, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from telegram.constants import ParseMode
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from core import count_sheets, reminder_queue, scorecards, van_requests
from core.desk import Desk
from handlers.reminder_texts import render
from handlers.texts import split_message

from .metrics import Metrics, outside_update
from .rate_limit import BULK

log = logging.getLogger(__name__)

MORNING_LIST_AT = time(7, 30)
DIGEST_AT = time(8, 0)
COUNT_REMINDER_AT = time(9, 0)  # the last working day's reminder to count (issue 15)
EVENING_AT = time(18, 0)  # technicians short of tomorrow's quoted parts (issue 15)
# While an update is handled: whether something in it woke the sender.
_update_under_way: ContextVar[dict | None] = ContextVar("update_under_way", default=None)


class ReminderService:
    def __init__(self, application: Application, desk: Desk, *, interval: float = 5.0,
                 batch: int = 100, concurrency: int = 4, metrics: Metrics | None = None):
        self.application = application
        self.metrics = metrics
        self.desk = desk
        self.interval = interval
        self.batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self._again = False
        self._sending: asyncio.Task | None = None
        # One lock per recipient with reminders under way (and how many wait on it).
        self._chat_locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self.scheduler = AsyncIOScheduler(timezone=desk.company.timezone)
        self.owner = uuid.uuid4().hex  # this sender's name on its claims

    def start(self) -> None:
        zone = self.desk.company.timezone
        self.scheduler.add_job(self._tick, "interval", seconds=self.interval,
                               id="send_due", max_instances=1, coalesce=True,
                               next_run_time=datetime.now(zone))
        self.scheduler.add_job(self.plan_mornings, CronTrigger(
            hour=MORNING_LIST_AT.hour, minute=MORNING_LIST_AT.minute, timezone=zone),
            id="mornings", max_instances=1, coalesce=True)
        self.scheduler.add_job(self.plan_evenings, CronTrigger(
            hour=EVENING_AT.hour, minute=EVENING_AT.minute, timezone=zone),
            id="evenings", max_instances=1, coalesce=True)
        self.scheduler.start()

    async def stop(self) -> None:
        """Stops triggering; a pass under way finishes, so what it sent is marked sent."""
        self.scheduler.shutdown(wait=False)
        if self._sending is not None:
            await asyncio.gather(self._sending, return_exceptions=True)

    def wake(self) -> None:
        """Send what is due now (e.g. right after a change that notifies someone). One
        sending pass runs at a time; a wake during a pass makes it go round once more.
        Woken while an update is handled: when it has been answered (`end`), so the person
        who acted hears back before the others hear of it."""
        update = _update_under_way.get()
        if update is not None and update["open"]:
            update["woke"] = True
            return
        self._again = True
        if self._sending is None or self._sending.done():
            self._sending = asyncio.get_running_loop().create_task(self._drain())

    # bot.gate's watcher protocol: around each update.
    def begin(self, _update) -> None:
        _update_under_way.set({"open": True, "woke": False})

    def end(self, _update) -> None:
        update = _update_under_way.get()
        if update is None:
            return
        update["open"] = False  # a task the update started, waking later, wakes at once
        _update_under_way.set(None)
        if update["woke"]:
            self.wake()

    async def _tick(self) -> None:
        """Wakes the sending pass and returns: the pass is a task of its own, so a long one
        (a morning's 2,000 reminders at 30 a second) is never cut by the scheduler's
        shutdown (`stop` lets it finish), no tick is skipped while it runs, and the waiting
        count on /metrics moves as the reminders go out."""
        self.wake()
        if self.metrics is not None:
            try:
                async with self.desk.uow() as uow:
                    waiting, held = await reminder_queue.backlog(uow)
                self.metrics.reminders_waiting.set(waiting)
                self.metrics.reminders_held.set(held)
            except Exception:  # noqa: BLE001 - metrics never stop the sending
                log.exception("counting waiting reminders failed")

    async def _drain(self) -> None:
        outside_update()  # woken from a handler: this pass is not part of that update
        while self._again:
            self._again = False
            try:
                await self.send_due()
            except Exception:  # noqa: BLE001 - the next tick tries again; never kill the loop
                log.exception("sending reminders failed")

    async def plan_mornings(self) -> None:
        """Today's technicians' job lists (07:30) and managers' digests (08:00), once each;
        on the 1st, the technicians' monthly scorecards (09:00)."""
        zone = self.desk.company.timezone
        async with self.desk.uow() as uow:
            today = uow.now().astimezone(zone).date()
            technicians, managers = await reminder_queue.technicians_and_managers(uow)
            for technician in technicians:
                await reminder_queue.add_daily(uow, "morning_list", technician, today.isoformat(),
                                          datetime.combine(today, MORNING_LIST_AT, tzinfo=zone))
            for manager in managers:
                await reminder_queue.add_daily(uow, "digest", manager, today.isoformat(),
                                          datetime.combine(today, DIGEST_AT, tzinfo=zone))
            await count_sheets.plan_count_reminder(
                uow, datetime.combine(today, COUNT_REMINDER_AT, tzinfo=zone))
            # On the 1st: last month's scorecard to each technician at 09:00.
            await scorecards.plan_monthly(uow, technicians)
            await uow.commit()

    async def plan_evenings(self) -> None:
        """18:00: each technician whose van is short of what tomorrow's quotes need, once."""
        async with self.desk.uow() as uow:
            await van_requests.plan_evening(uow, uow.now())
            await uow.commit()
        self.wake()

    async def send_due(self) -> int:
        """Claims what is due and sends it; returns how many were sent."""
        sent = 0
        while True:
            async with self.desk.uow() as uow:
                claimed = await reminder_queue.claim_due(uow, self.owner, self.batch)
                await uow.commit()
            if not claimed:
                return sent
            if self.metrics is not None:
                self.metrics.reminders_due.inc(len(claimed))
            results = await asyncio.gather(*(self._send(r) for r in claimed))
            sent += sum(results)

    async def _send(self, reminder) -> bool:
        recipient = reminder.recipient_id
        lock, users = self._chat_locks.get(recipient) or (asyncio.Lock(), 0)
        self._chat_locks[recipient] = (lock, users + 1)
        try:
            # One chat's reminders in order (the rate limiter paces the chat); others go on.
            # A few at a time, preparing included: a hundred reminders rendering at once
            # would each take a turn of the event loop before a person's reply gets one.
            async with lock, self._slots:
                await self._people_first()
                message = await self._prepare(reminder)
                if message is None or not await self._still_ours(reminder):
                    return False
                return await self._deliver(reminder, message)
        finally:
            lock, users = self._chat_locks[recipient]
            if users == 1:
                del self._chat_locks[recipient]
            else:
                self._chat_locks[recipient] = (lock, users - 1)

    async def _people_first(self) -> None:
        """While people's updates wait to be handled, a reminder holds back a moment (at most
        a fifth of a second: reminders slow down in a rush, never stop). Nobody is waiting
        for a reminder; the one thread handles both."""
        waiting = self.application.update_queue
        for _ in range(20):
            if waiting.qsize() == 0:
                return
            await asyncio.sleep(0.01)

    async def _still_ours(self, reminder) -> bool:
        """The claim may have lapsed while this chat's earlier reminders were paced out."""
        async with self.desk.uow() as uow:
            ours = await reminder_queue.renew_claim(uow, reminder.id, self.owner)
            await uow.commit()
        if not ours:
            log.info("reminder %s: taken over by another sender; not sent here", reminder.id)
        return ours

    async def _prepare(self, reminder):
        """The message to send, or None (and the reminder dropped) when there is none now."""
        async with self.desk.uow() as uow:
            message = None
            if await reminder_queue.still_wanted(uow, reminder):
                message = await render(uow, self.application.bot_data["texts"],
                                       self.application.bot_data["default_language"], reminder)
            if message is None:
                await reminder_queue.mark_dropped(uow, reminder.id, "no_longer_due")
            await uow.commit()
        return message

    async def _deliver(self, reminder, message) -> bool:
        try:
            # A long one (a report with many parts) goes as several, the buttons with the last.
            *first, last = split_message(message.text)
            for part in first:
                await self.application.bot.send_message(message.chat_id, part,
                                                        parse_mode=ParseMode.HTML,
                                                        rate_limit_args=BULK)
            await self.application.bot.send_message(
                message.chat_id, last, parse_mode=ParseMode.HTML,
                reply_markup=message.markup, rate_limit_args=BULK)
        except Forbidden:
            self._count_failed("blocked")
            async with self.desk.uow() as uow:
                await reminder_queue.mark_undeliverable(uow, reminder)
                await uow.commit()
            log.info("reminder %s: recipient blocked the bot", reminder.id)
            return False
        except RetryAfter as error:
            self._count_failed("retry_later")
            await self._failed(reminder, error, error.retry_after)
            return False
        except TelegramError as error:  # network errors, 5xx, a chat Telegram cannot find
            self._count_failed("retry_later")
            await self._failed(reminder, error)
            return False
        async with self.desk.uow() as uow:
            await reminder_queue.mark_sent(uow, reminder.id, self.owner)
            await uow.commit()
        log.info("reminder %s (%s, order %s) sent", reminder.id, reminder.kind,
                 message.order_number or "-")
        if self.metrics is not None:
            self.metrics.reminders_sent.labels(reminder.kind).inc()
        return True

    def _count_failed(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.reminders_failed.labels(reason).inc()

    async def _failed(self, reminder, error, retry_after=None) -> None:
        if isinstance(retry_after, timedelta):
            retry_after = retry_after.total_seconds()
        async with self.desk.uow() as uow:
            await reminder_queue.mark_failed(uow, reminder, str(error), retry_after)
            await uow.commit()
        log.warning("reminder %s not sent, will retry: %s", reminder.id, error)
