"""The bot's command lists (setMyCommands & co., per scope and language) and menu button."""

from __future__ import annotations

import copy
import re
from typing import Any

from . import errors as E
from .errors import bad_request
from .params import _canonical_json, _Params

_COMMAND_RE = re.compile(r"^[a-z0-9_]+$")


def scope_key(scope: dict[str, Any] | str | None) -> str:
    """The key ``LocalBotApi.commands`` uses for a BotCommandScope: canonical JSON such as
    ``'{"type":"default"}'`` or ``'{"chat_id":1001,"type":"chat"}'``."""
    if scope is None:
        scope = {"type": "default"}
    elif isinstance(scope, str):
        scope = {"type": scope}
    return _canonical_json(scope)


class CommandsMixin:
    """LocalBotApi's commands (state in ``commands``) and menu buttons (``menu_buttons``)."""

    def commands_for(
        self, scope: dict[str, Any] | str | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """What setMyCommands stored for ``scope`` (dict, type name, or None = default)."""
        return self.commands.get((scope_key(scope), language_code), [])

    def _commands_target(self, p: _Params) -> tuple[str, str]:
        scope = p.json("scope", "can't parse BotCommandScope JSON object") if p.has("scope") else None
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            try:
                chat_id = int(scope.get("chat_id"))
            except (TypeError, ValueError):
                raise bad_request(E.CHAT_NOT_FOUND) from None
            if chat_id not in self._users or not self._users[chat_id]._chat_known:
                raise bad_request(E.CHAT_NOT_FOUND)
            if scope["type"] != "chat":
                raise bad_request("can't use specified scope in private chats")
            scope = {**scope, "chat_id": chat_id}
        language = p.str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request(E.INVALID_LANGUAGE_CODE)
        return scope_key(scope), language

    async def _set_my_commands(self, p: _Params) -> bool:
        commands = p.json("commands", "can't parse commands JSON object") if p.has("commands") else []
        if not isinstance(commands, list):
            raise bad_request('field "commands" must be of type Array')
        if len(commands) > 100:
            raise bad_request(E.BOT_COMMANDS_TOO_MUCH)
        clean = []
        for item in commands:
            command = str(item.get("command", "")) if isinstance(item, dict) else ""
            description = str(item.get("description", "")) if isinstance(item, dict) else ""
            command = command.removeprefix("/")
            if not command:
                raise bad_request("command must be non-empty")
            if len(command) > 32:
                raise bad_request("command length must not exceed 32")
            if not _COMMAND_RE.match(command):
                raise bad_request(E.BOT_COMMAND_INVALID)
            if not description.strip():
                raise bad_request("command description must be non-empty")
            if len(description) > 256:
                raise bad_request("command description length must not exceed 256")
            clean.append({"command": command, "description": description})
        key = self._commands_target(p)
        if clean:
            self.commands[key] = clean
        else:
            self.commands.pop(key, None)  # an empty list deletes the commands
        return True

    async def _get_my_commands(self, p: _Params) -> list[dict[str, str]]:
        return copy.deepcopy(self.commands.get(self._commands_target(p), []))

    async def _delete_my_commands(self, p: _Params) -> bool:
        self.commands.pop(self._commands_target(p), None)
        return True

    async def _set_chat_menu_button(self, p: _Params) -> bool:
        button = p.json("menu_button", "can't parse MenuButton JSON object") if p.has("menu_button") else None
        button = button or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise bad_request("can't parse MenuButton JSON object")
        chat_id = None
        if p.has("chat_id"):
            chat_id = self._target_user(p).id
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, p: _Params) -> dict[str, Any]:
        chat_id = self._target_user(p).id if p.has("chat_id") else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}
