"""Settings from the environment (and `.env`). The names are a contract with operators."""
from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_BOT_API = "https://api.telegram.org/bot"
DEFAULT_AREAS = ("Huangpu=黄浦区,Xuhui=徐汇区,Changning=长宁区,Jing'an=静安区,Putuo=普陀区,"
                 "Hongkou=虹口区,Yangpu=杨浦区,Pudong=浦东新区,Minhang=闵行区,Baoshan=宝山区")


class SettingsError(Exception):
    """One clear line naming the setting that is missing or malformed."""


def _split(value):
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


MAX_AREAS = 150


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str | None = None
    bot_api_base_url: str = TELEGRAM_BOT_API
    database_url: str = "sqlite+aiosqlite:///data/service.db"
    manager_ids: Annotated[list[int], NoDecode] = []
    default_language: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"
    service_areas: Annotated[list[str], NoDecode] = _split(DEFAULT_AREAS)
    workmanship_warranty_months: int = 3
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8080
    # Telegram's pace for one chat; 0 for a Bot API server without flood limits (tests).
    chat_messages_per_second: float = 1.0
    bulk_messages_per_second: float = 30.0

    @field_validator("manager_ids", mode="before")
    @classmethod
    def _manager_ids(cls, value):
        return _split(value)

    @field_validator("service_areas", mode="before")
    @classmethod
    def _areas(cls, value):
        """Key=中文名/别名, comma-separated; the names are optional (e.g. Pudong=浦东新区/浦东)."""
        areas = _split(value)
        if not areas:
            raise ValueError("give at least one area, comma-separated")
        for area in areas:
            key, _, names = area.partition("=")
            if not key.strip() or any(len(n.strip()) > 64 for n in (key, *names.split("/"))):
                raise ValueError("each area is Key or Key=中文名/别名, at most 64 characters each")
        if len(areas) > MAX_AREAS:  # a choice of areas travels in a button's 64 bytes
            raise ValueError(f"at most {MAX_AREAS} areas")
        return areas

    @field_validator("chat_messages_per_second", "bulk_messages_per_second")
    @classmethod
    def _rate(cls, value):
        if not 0 <= value <= 1000:
            raise ValueError("expected messages a second from 0 (no limit) to 1000")
        return value

    @field_validator("workmanship_warranty_months")
    @classmethod
    def _months(cls, value):
        if not 0 <= value <= 120:
            raise ValueError("expected a number of months from 0 to 120")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value):
        if value is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", value.strip()):
            raise ValueError("expected the token BotFather gave, like 123456:ABC-DEF")
        return value.strip() if value else None

    @field_validator("bot_api_base_url", "webhook_url")
    @classmethod
    def _url(cls, value):
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("expected an http:// or https:// address")
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value):
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected sqlite+aiosqlite:///path or postgresql+asyncpg://...")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone like Asia/Shanghai") from None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value):
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self):
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_SECRET is missing: it must be set when WEBHOOK_URL is set")
        return self

    @property
    def bot_api_file_url(self) -> str:
        """Telegram serves files under /file/bot<token>/ beside /bot<token>/."""
        base = self.bot_api_base_url
        return base[: -len("bot")] + "file/bot" if base.endswith("/bot") else base + "/file/bot"

    @property
    def area_keys(self) -> tuple[str, ...]:
        return tuple(area.partition("=")[0].strip() for area in self.service_areas)

    @property
    def area_names(self) -> dict[str, tuple[str, ...]]:
        """Each area's Chinese name first, then its aliases."""
        names = {}
        for area in self.service_areas:
            key, _, written = area.partition("=")
            names[key.strip()] = tuple(n.strip() for n in written.split("/") if n.strip())
        return names

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a rule between settings; its message names them
            raise SettingsError(f"Setting {message}") from None
        name = str(first["loc"][0]).upper()
        raise SettingsError(f"Setting {name} is malformed: {message}") from None
