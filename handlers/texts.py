"""Every text a person sees, from `templates/<language>/`.

Messages are Jinja2 `.html` templates rendered for Telegram's HTML parse mode with
autoescape on, so nothing a person typed can break a message. Short plain strings (button
labels, command descriptions, names of statuses and categories) live in `labels.toml`:
buttons are not parsed as HTML, so they are not escaped.
"""
from __future__ import annotations

import html
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from core.people import phone_shown

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("zh", "en")


def pick_language(saved: str | None, telegram_code: str | None, default: str) -> str:
    """The user's saved language, else Telegram's language_code, else the company default."""
    if saved in LANGUAGES:
        return saved
    code = (telegram_code or "").lower().split("-")[0]
    return code if code in LANGUAGES else default


class Texts:
    def __init__(self, timezone: ZoneInfo, root: Path = TEMPLATES):
        self.timezone = timezone
        self.root = root
        self._labels = {lang: _load_labels(root / lang) for lang in LANGUAGES}
        self._envs = {lang: self._environment(lang) for lang in LANGUAGES}

    def _environment(self, lang: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(self.root / lang),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.globals["label"] = lambda key, **kw: self.label(lang, key, **kw)
        env.globals["label_exists"] = lambda key: self.has_label(lang, key)
        env.filters["local"] = self.local_time
        env.filters["day"] = lambda d: d.strftime("%Y-%m-%d") if isinstance(d, date) else str(d)
        env.filters["money"] = money
        env.filters["phone"] = phone_shown  # +86 138 0013 8000
        env.filters["dayname"] = lambda d: self.day(lang, d)  # "Wed 25 Nov" / "11月25日 周三"
        env.filters["window"] = window_label
        env.filters["stars"] = stars
        return env

    def render(self, lang: str, template: str, /, **context) -> str:
        return self._envs[lang].get_template(f"{template}.html").render(**context).strip()

    def label(self, lang: str, key: str, /, **params) -> str:
        text = self._labels[lang].get(key)
        if text is None:
            raise KeyError(f"label {key!r} missing for {lang}")
        return text.format(**params) if params else text

    def has_label(self, lang: str, key: str) -> bool:
        return key in self._labels[lang]

    def labels(self, lang: str) -> dict[str, str]:
        return dict(self._labels[lang])

    def template_names(self, lang: str) -> list[str]:
        return sorted(p.stem for p in (self.root / lang).glob("*.html"))

    def day(self, lang: str, day: date | str) -> str:
        """A booking day as people say it: "Wed 25 Nov" / "11月25日 周三"."""
        day = date.fromisoformat(day) if isinstance(day, str) else day
        return self.label(lang, "format.day", weekday=self.label(lang, f"weekday.{day.weekday()}"),
                          month=day.month, day=day.day,
                          month_name=self.label(lang, f"month.{day.month}"))

    def local_time(self, moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return moment.astimezone(self.timezone).strftime(fmt)


def window_label(window: str) -> str:
    """A booking window as shown: "09-12" -> "09:00–12:00"."""
    start, end = window.split("-")
    return f"{start}:00–{end}:00"


def money(fen: int) -> str:
    """Integer fen shown as yuan: 12345 -> ¥123.45."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


MESSAGE_MAX = 4096  # Telegram: a message's text, after entity parsing
TAG = re.compile(r"<[^>]*>")


def visible_length(text: str) -> int:
    """How long Telegram counts an HTML message after entity parsing: tags dropped, entities
    read as the characters they stand for, in UTF-16 code units (as Telegram counts)."""
    shown = html.unescape(TAG.sub("", text))
    return len(shown.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = MESSAGE_MAX) -> list[str]:
    """`text` as one message, or as several, each within `limit` after entity parsing, cut
    between lines (our templates open and close every tag on one line), between blank-line
    separated blocks where it can. A single line longer than the limit (none of our texts
    has one) is cut between characters outside its tags."""
    if visible_length(text) <= limit:
        return [text]
    parts, current = [], []

    def flush():
        if current:
            parts.append("\n".join(current).strip("\n"))
            current.clear()

    for line in text.split("\n"):
        if visible_length("\n".join([*current, line])) <= limit:
            current.append(line)
            continue
        flush()
        while visible_length(line) > limit:
            head, line = _cut(line, limit)
            parts.append(head)
        current.append(line)
    flush()
    return [part for part in parts if part.strip()]


def _cut(line: str, limit: int) -> tuple[str, str]:
    """The longest start of `line` within `limit` that does not cut a tag or an entity."""
    cut, seen = 0, 0
    for match in re.finditer(r"<[^>]*>|&[#\w]+;|.", line, re.S):
        token = match.group()
        size = 0 if token.startswith("<") else visible_length(token)
        if seen + size > limit:
            break
        seen += size
        cut = match.end()
    return line[:cut], line[cut:]


def stars(n: int) -> str:
    """A rating as stars: 4 -> ★★★★☆."""
    n = max(0, min(5, int(n)))
    return "★" * n + "☆" * (5 - n)


def _load_labels(folder: Path) -> dict[str, str]:
    """labels.toml and any labels_<topic>.toml beside it, as one table; a key may be in one."""
    labels: dict[str, str] = {}
    for path in sorted(folder.glob("labels*.toml")):
        table = _flatten(tomllib.loads(path.read_text("utf-8")))
        twice = labels.keys() & table.keys()
        if twice:
            raise ValueError(f"{path}: labels defined twice: {sorted(twice)}")
        labels.update(table)
    return labels


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat
