"""PTB persistence in our own database: conversation steps, user data and chat data.

Each value is one JSON row in `chat_states`, so a restart resumes every conversation where
the person left it. Bot-wide data is not persisted: it holds the running services.
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
CHAT_DATA = "chat_data"
CONVERSATION = "conversation:"


class DatabasePersistence(BasePersistence):
    def __init__(self, session_factory: async_sessionmaker, *, update_interval: float = 1,
                 clock: Clock | None = None):
        # Written every `update_interval` seconds and at shutdown: a crash loses at most that.
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=True, user_data=True,
                                        callback_data=False),
            update_interval=update_interval,
        )
        self.session_factory = session_factory
        self.clock = clock or Clock()

    async def _load(self, kind: str) -> dict[str, object]:
        async with self.session_factory() as session:
            rows = await session.execute(
                select(ChatState.key, ChatState.data).where(ChatState.kind == kind))
            return {key: data for key, data in rows}

    async def _save(self, kind: str, key: str, data) -> None:
        async with self.session_factory() as session:
            await session.merge(ChatState(kind=kind, key=key, data=data,
                                          updated_at=self.clock.now()))
            await session.commit()

    async def _drop(self, kind: str, key: str) -> None:
        async with self.session_factory() as session:
            await session.execute(delete(ChatState).where(ChatState.kind == kind,
                                                          ChatState.key == key))
            await session.commit()

    async def get_user_data(self) -> dict[int, dict]:
        return {int(k): v for k, v in (await self._load(USER_DATA)).items()}

    async def get_chat_data(self) -> dict[int, dict]:
        return {int(k): v for k, v in (await self._load(CHAT_DATA)).items()}

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
        await self._save(CHAT_DATA, str(chat_id), deepcopy(data))

    async def update_bot_data(self, data) -> None:
        pass

    async def update_callback_data(self, data) -> None:
        pass

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._drop(CHAT_DATA, str(chat_id))

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
