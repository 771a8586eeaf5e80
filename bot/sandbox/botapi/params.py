"""Reading a Bot API request's parameters: JSON bodies, form posts and uploads alike."""

from __future__ import annotations

import json
from typing import Any

from .errors import bad_request
from .models import UploadedFile

# Parameters the Bot API reads as JSON-serialized objects (strings in form posts).
JSON_PARAMETERS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "media", "scope", "commands",
        "allowed_updates", "link_preview_options", "reply_parameters", "menu_button",
        "message_ids", "results", "options", "reaction", "permissions", "rights",
        "explanation_entities", "question_entities", "prices", "input_message_content",
    }
)


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _Params:
    """Request parameters, whatever the encoding; typed accessors coerce form strings."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            try:
                return int(float(value))
            except (TypeError, ValueError):
                raise bad_request(f'field "{name}" must be of type Integer') from None

    def float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def json(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error or f"can't parse {name} JSON object") from None
        return value

    def for_record(self) -> dict[str, Any]:
        """The parameters as ``api.calls`` shows them: JSON fields decoded, uploads as
        ``UploadedFile``."""
        record: dict[str, Any] = {}
        for name, value in self.values.items():
            if name in JSON_PARAMETERS and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            record[name] = value
        record.update(self.files)
        return record
