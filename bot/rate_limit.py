"""Telegram's flood limits, kept so that a person who just acted is answered at once.

Telegram's rules (its bot FAQ): about one message a second to one chat, short bursts
allowed; twenty a minute to one group; and for bulk notifications to many people "not more
than 30 messages per second or so". PTB's own `AIORateLimiter` puts every message through
the 30-a-second budget, so a reply waits behind every reminder queued before it. This one:

* keeps each chat to its own pace (a burst of `chat_burst`, then `chat_rate` a second;
  groups twenty a minute) — replies and bulk alike; `chat_rate=0` leaves chats unpaced
  (for a Bot API server without flood limits, e.g. the tests' local one);
* gives the overall budget (`bulk_rate` a second) only to messages nobody is waiting
  for, marked by the sender with ``rate_limit_args={"bulk": True}`` (the reminder service
  does); replies are not counted against it and never queue behind it;
* on a 429 (`RetryAfter`) waits what Telegram says and tries again, up to `max_retries`
  times (``rate_limit_args={"max_retries": n}`` overrides), then lets the error through.
  A 429 on a reply holds that chat; on a bulk message it holds all bulk messages (the
  broadcast budget is the bot's, not the chat's); on a request without a chat, everything.

Senders may observe what happens (`observers`): each message sent and each 429, for the
metrics endpoint.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

BULK = {"bulk": True}  # rate_limit_args for a message nobody is waiting for


class RateObserver(Protocol):
    def sent(self, endpoint: str, chat_id: int | str | None, bulk: bool) -> None: ...

    def retry_after(self, endpoint: str, scope: str, seconds: float) -> None: ...


class RateLimiter(BaseRateLimiter[dict]):
    def __init__(self, *, chat_rate: float = 1.0, chat_burst: int = 3,
                 group_max_rate: int = 20, group_period: float = 60.0,
                 bulk_rate: float = 30.0, max_retries: int = 5,
                 keep_idle_chats: int = 1024):
        self.chat_rate = chat_rate
        self.chat_burst = chat_burst
        self.group_max_rate = group_max_rate
        self.group_period = group_period
        self.bulk_rate = bulk_rate
        self.max_retries = max_retries
        self.keep_idle_chats = keep_idle_chats
        self._bulk: AsyncLimiter | None = None
        self._chats: dict[int | str, AsyncLimiter] = {}
        # monotonic moments until which Telegram asked us to hold off
        self._chat_hold: dict[int | str, float] = {}
        self._bulk_hold = 0.0
        self._all_hold = 0.0
        self.observers: list[RateObserver] = []

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    # ------------------------------------------------------------------ the limits
    def _bulk_limiter(self):
        if not self.bulk_rate:
            return contextlib.nullcontext()
        if self._bulk is None:  # made on first use, inside the running loop
            self._bulk = AsyncLimiter(self.bulk_rate, 1.0)
        return self._bulk

    def _chat_limiter(self, chat_id: int | str | None):
        if chat_id is None or not self.chat_rate:
            return contextlib.nullcontext()
        limiter = self._chats.get(chat_id)
        if limiter is None:
            if len(self._chats) > self.keep_idle_chats:
                self._forget_idle_chats()
            if isinstance(chat_id, str) or chat_id < 0:  # groups, supergroups, channels
                limiter = AsyncLimiter(self.group_max_rate, self.group_period)
            else:
                limiter = AsyncLimiter(self.chat_burst, self.chat_burst / self.chat_rate)
            self._chats[chat_id] = limiter
        return limiter

    def _forget_idle_chats(self) -> None:
        """Chats whose bucket has drained carry no state worth keeping."""
        now = time.monotonic()
        for chat_id, limiter in list(self._chats.items()):
            if limiter.has_capacity(limiter.max_rate):  # drained: nobody waits on it
                del self._chats[chat_id]
        for chat_id, until in list(self._chat_hold.items()):
            if until <= now:
                del self._chat_hold[chat_id]

    async def _wait_holds(self, chat_id, bulk: bool) -> None:
        """Sleeps while Telegram's retry_after for this request's scope runs."""
        while True:
            until = max(self._all_hold, self._bulk_hold if bulk else 0.0,
                        self._chat_hold.get(chat_id, 0.0) if chat_id is not None else 0.0)
            wait = until - time.monotonic()
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def _hold(self, chat_id, bulk: bool, seconds: float) -> str:
        until = time.monotonic() + seconds
        if chat_id is None:
            self._all_hold = max(self._all_hold, until)
            return "all"
        self._chat_hold[chat_id] = max(self._chat_hold.get(chat_id, 0.0), until)
        if bulk:
            self._bulk_hold = max(self._bulk_hold, until)
            return "bulk"
        return "chat"

    # ------------------------------------------------------------------ PTB's entry point
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict | list[dict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> bool | dict | list[dict]:
        options = rate_limit_args or {}
        bulk = bool(options.get("bulk"))
        max_retries = options.get("max_retries", self.max_retries)
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # a numeric id may come as a string
        for attempt in range(max_retries + 1):
            await self._wait_holds(chat_id, bulk)
            bulk_slot = self._bulk_limiter() if bulk else contextlib.nullcontext()
            chat_slot = self._chat_limiter(chat_id)
            try:
                # The overall budget first: a bulk message waiting for it holds no chat's slot.
                async with bulk_slot, chat_slot:
                    result = await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = error.retry_after
                seconds = (seconds.total_seconds() if hasattr(seconds, "total_seconds")
                           else float(seconds))
                scope = self._hold(chat_id, bulk, seconds + 0.1)
                for observer in self.observers:
                    observer.retry_after(endpoint, scope, seconds)
                if attempt == max_retries:
                    log.warning("%s: still 429 after %d retries", endpoint, max_retries)
                    raise
                log.info("%s: 429, holding %s for %.1fs", endpoint, scope, seconds)
                continue
            for observer in self.observers:
                observer.sent(endpoint, chat_id, bulk)
            return result
        raise AssertionError("unreachable")  # the loop returns or raises
