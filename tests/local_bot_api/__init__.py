"""The local Bot API for tests: the server itself is the product's (``bot.sandbox.botapi``,
which the sandbox also runs); this package adds the pytest side, ``attach_transcript``.

    from tests.local_bot_api import LocalBotApi, attach_transcript

    @pytest.fixture
    async def api(request):
        async with LocalBotApi(token="123456:TEST", bot_username="service_desk_bot") as api:
            yield attach_transcript(request, api)   # prints the conversation when a test fails
"""

from bot.sandbox.botapi import *  # noqa: F401,F403 - one implementation for tests and sandbox
from bot.sandbox.botapi import __all__ as _server_names
from bot.sandbox.botapi import errors  # noqa: F401

from .pytest_plugin import attach_transcript

__all__ = [*_server_names, "attach_transcript"]
