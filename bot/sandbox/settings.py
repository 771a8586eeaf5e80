"""The sandbox's own settings, beside the bot's: where its page listens and its database."""
from __future__ import annotations

import ipaddress

from pydantic import ValidationError, field_validator, model_validator

from bot.settings import Settings, SettingsError

SANDBOX_TOKEN = "1000001:SANDBOX-local_bot_api"  # the pretend bot's token; never a real one
SANDBOX_BOT_USERNAME = "service_desk_bot"


class SandboxSettings(Settings):
    sandbox_port: int = 8800
    sandbox_listen: str = "127.0.0.1"
    sandbox_database_url: str = "sqlite+aiosqlite:///data/sandbox.db"

    @field_validator("sandbox_port")
    @classmethod
    def _port(cls, value):
        if not 0 <= value <= 65535:
            raise ValueError("expected a port from 1 to 65535 (0: any free port)")
        return value

    @field_validator("sandbox_listen")
    @classmethod
    def _loopback(cls, value):
        host = value.strip().strip("[]")
        if host == "localhost":
            return "127.0.0.1"
        try:
            if ipaddress.ip_address(host).is_loopback:
                return host
        except ValueError:
            pass
        raise ValueError("the sandbox only listens on this machine: "
                         "127.0.0.1, ::1 or localhost")

    @field_validator("sandbox_database_url")
    @classmethod
    def _sandbox_database(cls, value):
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected sqlite+aiosqlite:///path or postgresql+asyncpg://...")
        return value

    @model_validator(mode="after")
    def _own_database(self):
        if self.sandbox_database_url == self.database_url:
            raise ValueError("SANDBOX_DATABASE_URL is the real database (DATABASE_URL): "
                             "the sandbox needs a database of its own")
        return self

    def bot_settings(self, bot_api_base_url: str, manager_ids: list[int]) -> Settings:
        """The bot's settings inside the sandbox: the local Bot API, the sandbox's database,
        polling, and a pretend token (a real BOT_TOKEN is never used here)."""
        return Settings.model_validate({
            **self.model_dump(exclude={"sandbox_port", "sandbox_listen",
                                       "sandbox_database_url"}),
            "bot_token": SANDBOX_TOKEN,
            "bot_api_base_url": bot_api_base_url,
            "database_url": self.sandbox_database_url,
            "manager_ids": manager_ids,
            "webhook_url": None,
            "webhook_secret": None,
        })


def load_sandbox_settings(**overrides) -> SandboxSettings:
    """Like `bot.settings.load_settings`: one clear line (SettingsError) for a bad setting."""
    try:
        return SandboxSettings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:
            raise SettingsError(f"Setting {message}") from None
        name = str(first["loc"][0]).upper()
        raise SettingsError(f"Setting {name} is malformed: {message}") from None
