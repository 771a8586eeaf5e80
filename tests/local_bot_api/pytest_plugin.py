"""Print the Telegram conversation in the report of a failing test.

``attach_transcript(request, api)`` (call it from the fixture that starts the server) is all
that is needed: it registers this module as a pytest plugin on first use. Alternatively list the
module in the root conftest: ``pytest_plugins = ["tests.local_bot_api.pytest_plugin"]``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bot.sandbox.botapi import LocalBotApi

_ATTR = "_local_bot_api_instances"
PLUGIN_NAME = "local_bot_api_transcripts"


def attach_transcript(request: Any, api: "LocalBotApi") -> "LocalBotApi":
    """Show ``api.transcript()`` (every user's conversation, interleaved) as a
    "telegram transcript" section when the test using ``request`` fails. Returns ``api``."""
    node = request.node
    apis = node.__dict__.setdefault(_ATTR, [])
    if api not in apis:
        apis.append(api)
    manager = request.config.pluginmanager
    module = sys.modules[__name__]
    if not manager.is_registered(module) and manager.get_plugin(PLUGIN_NAME) is None:
        manager.register(module, PLUGIN_NAME)
    return api


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed:
        for api in item.__dict__.get(_ATTR, []):
            # Failed Bot API calls are in it too, as "! method -> code description" lines.
            text = api.transcript() or "(no messages were exchanged)"
            report.sections.append((f"telegram transcript (@{api.bot_username})", text))
    return report
