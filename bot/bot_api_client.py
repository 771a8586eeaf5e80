"""The bot's HTTP client for Bot API calls, on aiohttp (already here for the webhook server).

PTB's default `HTTPXRequest` costs about a millisecond of CPU a call in httpx and httpcore
(request building, a liveness poll of every pooled connection, anyio's layers); every reply
and reminder is one call or more, so this is the largest cost of an update after the
database. aiohttp does the same POST for much less (bench/README.md). Same contract as
PTB's but for the body: JSON (PTB sends a form), multipart when files go up; PTB's timeouts
per call; httpx-like errors mapped to PTB's `TimedOut` / `NetworkError`.
"""
from __future__ import annotations

import asyncio
import json

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}
# PTB's HTTPXRequest defaults, seconds.
CONNECT, READ, WRITE, POOL, MEDIA_WRITE = 5.0, 5.0, 5.0, 1.0, 20.0


class BotApiClient(BaseRequest):
    def __init__(self, connections: int = 256):
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return READ

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # Made here, inside the running loop that will use it.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE,
                         write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE,
                         pool_timeout=BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("BotApiClient is not initialized")
        files = request_data.multipart_data if request_data else None
        headers = None
        if files:
            data = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mime_type) in files.items():
                data.add_field(name, content, filename=filename, content_type=mime_type)
        elif request_data and request_data.parameters:
            # A JSON body, which the Bot API takes for any call without files: one
            # json.dumps, where a form would encode each nested value and then quote it all.
            data = json.dumps(request_data.parameters).encode()
            headers = _JSON
        else:
            data = None
        read = _given(read_timeout, READ)
        write = _given(write_timeout, MEDIA_WRITE if files else WRITE)
        connect = _given(connect_timeout, CONNECT)
        pool = _given(pool_timeout, POOL)
        # aiohttp has no write timeout: the whole call gets the sum of the parts.
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(parts), sock_read=read,
            sock_connect=connect, connect=None if None in (pool, connect) else pool + connect)
        try:
            async with self._session.request(method, url, data=data, headers=headers,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _given(value, default):
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value
