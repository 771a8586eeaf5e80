"""The update queue: getUpdates long polling, webhooks, and what users do becoming updates."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from . import errors as E
from .errors import BotApiError, bad_request
from .models import StoredMessage
from .params import _Params
from .users import SimulatedUser

# Update types a bot gets when it never set allowed_updates.
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


class UpdatesMixin:
    """LocalBotApi's updates (state in ``_updates``, ``webhook``, ``_callback_queries``)."""

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (getUpdates) or delivered (webhook)."""
        return list(self._updates)

    @staticmethod
    def _now() -> int:
        return int(time.time())

    def _notify(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    async def _wait_for_news(self, timeout: float) -> None:
        event = self._wake
        try:
            await asyncio.wait_for(event.wait(), timeout=max(timeout, 0))
        except asyncio.TimeoutError:
            pass

    def _enqueue(self, content: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update (``content`` is e.g. ``{"message": {...}}``) for getUpdates or
        the webhook. Like Telegram, updates of types the bot did not subscribe to are not
        stored at all."""
        kind = next(iter(content))
        allowed = self.webhook.allowed_updates if self.webhook else self._allowed_updates
        if allowed:
            if kind not in allowed:
                return None
        elif kind in _NOT_DEFAULT_UPDATES:
            return None
        update = {"update_id": next(self._update_ids), **content}
        self._updates.append(update)
        self._notify()
        return update

    async def _get_updates(self, p: _Params) -> list[dict[str, Any]]:
        if self.webhook:
            raise BotApiError(409, E.WEBHOOK_ACTIVE)
        offset = p.int("offset", 0) or 0
        limit = min(max(p.int("limit", 100) or 100, 1), 100)
        timeout = max(p.float("timeout") or 0.0, 0.0)
        if p.has("allowed_updates"):
            allowed = p.json("allowed_updates")
            self._allowed_updates = list(allowed) if allowed else None  # the setting persists
        # An update is confirmed by asking for a higher offset; a negative offset keeps only
        # the last -offset updates.
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._notify()  # wakes a pending long poll, which then sees it was superseded
        # A newer getUpdates ends a pending long poll with 409, as at Telegram (two pollers).
        self._poll_generation += 1
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._wait_for_news(remaining)
            if self.webhook:
                raise BotApiError(409, E.WEBHOOK_ACTIVE)
            if generation != self._poll_generation:
                raise BotApiError(409, E.TERMINATED_BY_OTHER_POLL)
        return copy.deepcopy(self._updates[:limit])

    async def _set_webhook(self, p: _Params) -> tuple[bool, str]:
        url = (p.str("url") or "").strip()
        if not url:
            return await self._delete_webhook(p)
        # Deviation: Telegram demands HTTPS on ports 443/80/88/8443; local receivers use http.
        if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
            raise bad_request(E.WEBHOOK_NEEDS_HTTPS)
        secret = p.str("secret_token") or None
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = p.json("allowed_updates") if p.has("allowed_updates") else None
        if p.bool("drop_pending_updates"):
            self._updates.clear()
        self.webhook = Webhook(
            url=url, secret_token=secret, allowed_updates=list(allowed) if allowed else None,
            max_connections=p.int("max_connections", 40) or 40,
        )
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        self._notify()  # wake long polls: they now answer 409
        return True, "Webhook was set"

    async def _delete_webhook(self, p: _Params) -> tuple[bool, str]:
        was_set = self.webhook is not None
        self.webhook = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        if p.bool("drop_pending_updates"):
            self._updates.clear()
        return True, "Webhook was deleted" if was_set else "Webhook is already deleted"

    async def _get_webhook_info(self, p: _Params) -> dict[str, Any]:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
            if hook.allowed_updates:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _deliver_webhooks(self) -> None:
        """POST each update, in order, to the webhook until it answers 2xx. Telegram retries
        for hours; here a failing update is retried every ``webhook_retry_delay`` seconds and
        dropped (into ``dropped_updates``) after ``webhook_max_attempts`` attempts so that a
        broken receiver cannot hang a test. One update at a time keeps the order per chat."""
        attempts = 0
        while self.webhook is not None and not self._closing:
            if not self._updates:
                await self._wait_for_news(3600)
                continue
            hook = self.webhook
            update = self._updates[0]
            headers = {"Content-Type": "application/json"}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            status: int | None = None
            reason = ""
            try:
                assert self._http is not None
                async with self._http.post(
                    hook.url, data=json.dumps(update), headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as response:
                    status, reason = response.status, response.reason or ""
                    await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                reason = f"Connection failed: {exc.__class__.__name__}"
            self.webhook_deliveries.append((update["update_id"], status))
            if status is not None and 200 <= status < 300:
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                attempts = 0
                continue
            hook.last_error_date = self._now()
            hook.last_error_message = (
                f"Wrong response from the webhook: {status} {reason}" if status else reason
            )
            attempts += 1
            if attempts >= self.webhook_max_attempts:
                if self._updates and self._updates[0] is update:
                    self.dropped_updates.append(self._updates.pop(0))
                attempts = 0
                continue
            await asyncio.sleep(self.webhook_retry_delay)

    # ============================================================== users -> bot
    def _user_message(
        self, user: SimulatedUser, content: dict[str, Any], *, reply_to_message_id: int | None
    ) -> dict[str, Any]:
        user._chat_known = True
        tg: dict[str, Any] = {
            "message_id": self._next_message_id(user),
            "from": user.user_dict(),
            "chat": user.chat_dict(),
            "date": self._now(),
            **content,
        }
        if reply_to_message_id is not None:
            target = user._messages.get(reply_to_message_id)
            if target is None:
                raise AssertionError(f"{user!r} cannot reply to unknown message #{reply_to_message_id}")
            tg["reply_to_message"] = self._reply_copy(target)
        stored = StoredMessage(tg=tg, from_bot=False)
        for kind in ("photo", "document"):
            if kind in tg:
                file_id = tg[kind][-1]["file_id"] if kind == "photo" else tg[kind]["file_id"]
                stored.file = self._files.get(file_id)
        user._messages[tg["message_id"]] = stored
        self._enqueue({"message": stored.snapshot()})
        return stored.snapshot()

    def _callback_query(self, user: SimulatedUser, stored: StoredMessage, data: str) -> str:
        query_id = str(4_611_686_018_427_387_904 + user.id * 1000 + next(self._query_counter))
        self._callback_queries[query_id] = {"user": user, "answered": False}
        self._enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.user_dict(),
                    "message": stored.snapshot(),
                    # chat_instance: a global identifier of the chat the message is in
                    "chat_instance": str(-(7_000_000_000_000_000_000 + user.id)),
                    "data": data,
                }
            }
        )
        return query_id

    @staticmethod
    def _next_message_id(user: SimulatedUser) -> int:
        # One counter per chat, shared by the user's and the bot's messages.
        message_id = user._next_mid
        user._next_mid += 1
        return message_id

    @staticmethod
    def _reply_copy(stored: StoredMessage) -> dict[str, Any]:
        # Telegram does not nest reply_to_message further than one level.
        data = stored.snapshot()
        data.pop("reply_to_message", None)
        return data
