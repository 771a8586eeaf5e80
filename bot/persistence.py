"""PTB persistence in our own database: conversation steps and user data (drafts).

Each value is one JSON row in `chat_states`, so a restart resumes every conversation where
the person left it. Bot-wide data is not persisted (it holds the running services), nor chat
data (all chats are private, so user data serves; writing both would double the cost).
"""
from __future__ import annotations

import json
import logging
from copy import deepcopy

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput

from core.clock import Clock
from core.models import ChatState

log = logging.getLogger(__name__)

USER_DATA = "user_data"
CONVERSATION = "conversation:"


class DatabasePersistence(BasePersistence):
    def __init__(self, session_factory: async_sessionmaker, *, update_interval: float = 1,
                 clock: Clock | None = None):
        # Written every `update_interval` seconds and at shutdown: a crash loses at most that.
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True,
                                        callback_data=False),
            update_interval=update_interval,
        )
        self.session_factory = session_factory
        self.clock = clock or Clock()
        # What each row holds now, as JSON: PTB asks to save every user seen in an update,
        # mostly unchanged, and a write skipped is a transaction saved.
        self._stored: dict[tuple[str, str], str] = {}

    async def _load(self, kind: str) -> dict[str, object]:
        async with self.session_factory() as session:
            rows = await session.execute(
                select(ChatState.key, ChatState.data).where(ChatState.kind == kind))
            loaded = {key: data for key, data in rows}
        self._stored.update({(kind, key): _json(data) for key, data in loaded.items()})
        return loaded

    async def _save(self, kind: str, key: str, data) -> None:
        text = _json(data)
        if self._stored.get((kind, key)) == text:
            return
        async with self.session_factory() as session:
            await session.merge(ChatState(kind=kind, key=key, data=data,
                                          updated_at=self.clock.now()))
            await session.commit()
        self._stored[(kind, key)] = text

    async def _drop(self, kind: str, key: str) -> None:
        self._stored.pop((kind, key), None)
        async with self.session_factory() as session:
            await session.execute(delete(ChatState).where(ChatState.kind == kind,
                                                          ChatState.key == key))
            await session.commit()

    async def get_user_data(self) -> dict[int, dict]:
        return {int(k): v for k, v in (await self._load(USER_DATA)).items()}

    async def get_chat_data(self) -> dict[int, dict]:
        return {}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self):
        return None

    async def get_conversations(self, name: str) -> dict:
        stored = await self._load(CONVERSATION + name)
        return {tuple(json.loads(key)): state for key, state in stored.items()}

    async def update_conversation(self, name: str, key: tuple, new_state: object | None) -> None:
        row_key = json.dumps(list(key))
        if new_state is None:
            await self._drop(CONVERSATION + name, row_key)
        else:
            await self._save(CONVERSATION + name, row_key, new_state)

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._save(USER_DATA, str(user_id), deepcopy(data))

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        pass

    async def update_bot_data(self, data) -> None:
        pass

    async def update_callback_data(self, data) -> None:
        pass

    async def drop_chat_data(self, chat_id: int) -> None:
        pass

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop(USER_DATA, str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        pass

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        pass

    async def refresh_bot_data(self, bot_data) -> None:
        pass

    async def flush(self) -> None:
        pass  # every write above is already committed


def _json(data) -> str:
    return json.dumps(data, sort_keys=True, default=str)
