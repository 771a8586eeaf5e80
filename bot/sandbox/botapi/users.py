"""Simulated Telegram users: a person in a private chat with the bot.

Everything a user does becomes a proper ``Update`` on the local Bot API (``getUpdates`` or the
webhook); everything the bot does to the chat lands in the user's view and transcript, where
``reply()`` / ``settle()`` / ``press()`` pick it up.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from .models import BotMessage, StoredMessage, indent_continuation
from .user_actions import UserActions


class SimulatedUser(UserActions):
    """A Telegram user in a private chat with the bot (chat id == user id). What the user does
    is in user_actions.py; here is who the user is and what the user has received."""

    def __init__(
        self,
        api: Any,  # the LocalBotApi (bot.sandbox.botapi.server) the user talks to
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        phone_number: str | None = None,
        is_premium: bool = False,
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone_number = phone_number
        self.is_premium = is_premium

        # What the user has seen / can read.
        self.transcript: list[str] = []
        self.toasts: list[str] = []
        self.answers: list[dict[str, Any]] = []      # every answerCallbackQuery, in order
        self.presses = 0                             # buttons pressed so far
        self.chat_actions: list[str] = []            # sendChatAction actions
        self.keyboard: list[list[dict[str, Any]]] | None = None  # current reply keyboard
        self._keyboard_one_time = False
        self._view: dict[int, BotMessage] = {}       # current state of the bot's messages
        self._events: list[BotMessage] = []          # sends and edits, in order
        self._cursor = 0                             # first event reply() has not returned
        self._answer_cursor = 0
        self._changed = asyncio.Event()
        self._last_activity = 0.0
        self.version = 0                             # bumped by everything that happens here

        # Server-side state of the private chat (the server reads and writes these).
        self._chat_known = False   # Telegram only lets a bot write to users who wrote first
        self._blocked = False
        self._next_mid = 1
        self._messages: dict[int, StoredMessage] = {}

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        return self.first_name

    def user_dict(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        if self.is_premium:
            user["is_premium"] = True
        return user

    def chat_dict(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def __repr__(self) -> str:
        return f"SimulatedUser({self.id}, {self.first_name!r})"

    # ------------------------------------------------------------------ observing
    @property
    def messages(self) -> list[BotMessage]:
        """The bot's messages as currently shown (after edits, without deleted ones)."""
        return [self._view[mid] for mid in sorted(self._view)]

    @property
    def last_message(self) -> BotMessage | None:
        return self._view[max(self._view)] if self._view else None

    async def reply(self, timeout: float = 5.0) -> BotMessage:
        """The next message the bot sent or edited in this chat that the test has not
        consumed yet. Raises AssertionError (with the transcript) on timeout."""
        await self._wait_until(
            lambda: self._cursor < len(self._events), timeout, "a message from the bot"
        )
        event = self._events[self._cursor]
        self._cursor += 1
        return event

    async def replies(self, n: int, timeout: float = 5.0) -> list[BotMessage]:
        """The next ``n`` messages (``timeout`` is for all of them together)."""
        start = self._cursor
        await self._wait_until(
            lambda: len(self._events) - start >= n, timeout, f"{n} messages from the bot"
        )
        self._cursor = start + n
        return self._events[start : start + n]

    async def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> list[BotMessage]:
        """Wait until nothing happened in this chat for ``quiet`` seconds; return (and consume)
        the messages that arrived and were not consumed yet."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = loop.time()
            idle = now - self._last_activity
            if idle >= quiet:
                break
            if now >= deadline:
                raise AssertionError(
                    f"The bot did not go quiet for {quiet}s within {timeout}s.\n" + self._dump()
                )
            await self._wait_change(min(quiet - idle, deadline - now))
        events = self._events[self._cursor :]
        self._cursor = len(self._events)
        return events

    async def toast(self, timeout: float = 5.0) -> str | None:
        """Wait for the bot's next answerCallbackQuery to this user; returns its text (None
        when it answered without text)."""
        await self._wait_until(
            lambda: self._answer_cursor < len(self.answers), timeout, "an answer to the button press"
        )
        answer = self.answers[self._answer_cursor]
        self._answer_cursor += 1
        return answer.get("text")

    async def last_answer(self, timeout: float = 10.0) -> str | None:
        """Once every press so far is answered: the text of the answer to the last one (None
        when it answered without text)."""
        await self._wait_until(lambda: len(self.answers) >= self.presses, timeout,
                               "an answer to every button pressed")
        return self.answers[-1].get("text") if self.answers else None

    def transcript_text(self) -> str:
        return "\n".join(self.transcript)

    # ------------------------------------------------------------------ internals
    def _log(self, line: str) -> None:
        line = indent_continuation(line)
        self.transcript.append(line)
        self.api._log(self, line)
        self._touch()

    def _touch(self) -> None:
        self.version += 1
        try:
            self._last_activity = asyncio.get_running_loop().time()
        except RuntimeError:
            pass
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for_change(self, version: int, timeout: float) -> int:
        """Wait (at most ``timeout`` seconds) until ``self.version`` is past ``version``;
        returns the version then (long polling for the sandbox's page)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.version <= version:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._wait_change(remaining)
        return self.version

    async def _wait_change(self, timeout: float) -> None:
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout=max(timeout, 0))
        except asyncio.TimeoutError:
            pass

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.first_name} waited {timeout}s for {what}, but it did not come.\n"
                    + self._dump()
                )
            await self._wait_change(remaining)

    def _dump(self) -> str:
        errors = [e for e in self.api._recent_errors() if "! " + e not in self.transcript]
        text = f"Conversation of {self.first_name} (#{self.id}):\n  " + (
            "\n  ".join(self.transcript) if self.transcript else "(empty)"
        )
        if errors:
            text += "\nFailed Bot API calls in other chats:\n  " + "\n  ".join(errors)
        return text

    # Called by the server ------------------------------------------------------------------
    def _bot_posted(self, stored: StoredMessage, *, edited: bool) -> None:
        message = BotMessage.from_stored(stored, edited=edited)
        self._view[message.message_id] = message
        self._events.append(message)
        if not edited:
            if stored.reply_keyboard is not None:
                self.keyboard = message.reply_keyboard
                self._keyboard_one_time = bool(stored.keyboard_options.get("one_time_keyboard"))
            elif stored.remove_keyboard:
                self.keyboard = None
        self._log(message.describe())

    def _bot_deleted(self, message_id: int, *, was_bot_message: bool) -> None:
        self._view.pop(message_id, None)
        what = "" if was_bot_message else f" {self.first_name}'s message"
        self._log(f"< bot (deleted{what} #{message_id})")

    def _bot_answered(self, answer: dict[str, Any]) -> None:
        self.answers.append(answer)
        text = answer.get("text")
        if text:
            self.toasts.append(text)
            kind = "alert" if answer.get("show_alert") else "toast"
            self._log(f"< bot ({kind}): {text}")
        else:
            self._touch()

    def _bot_action(self, action: str) -> None:
        self.chat_actions.append(action)
        self._touch()
