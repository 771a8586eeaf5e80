"""The company's service areas, and which one an address is in.

An area has a key (what technicians choose and orders are matched on, e.g. "Pudong") and
names people write: its Chinese name and any aliases ("浦东新区", "浦东"). A Chinese address
is read with cpca, which knows every province, city and district of China (so "上海市浦东新区
世纪大道 88 号" is in 浦东新区 even where the text is unusual); otherwise, or when cpca finds no
district, any key or name written in the address counts (the longest wins).
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)

CJK = re.compile(r"[\u4e00-\u9fff]")
SUFFIXES = ("新区", "区", "县")


def names_of(key: str, names: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Every way an area is written: its key, its names, and each name without "新区"/"区"."""
    written = [key, *names.get(key, ())]
    for name in names.get(key, ()):
        for suffix in SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                written.append(name[: -len(suffix)])
                break
    return tuple(dict.fromkeys(w for w in written if w))


def area_of(text: str | None, areas, names: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The configured area an address is in, or None."""
    if not text:
        return None
    names = names or {}
    if CJK.search(text):
        district = _district(text)
        if district:
            for key in areas:
                if district in names_of(key, names):
                    return key
    haystack = text.casefold()
    found = [(len(written), key) for key in areas for written in names_of(key, names)
             if written.casefold() in haystack]
    return max(found)[1] if found else None


def display_name(key: str | None, lang: str, names: dict[str, tuple[str, ...]]) -> str:
    """How an area is shown: its Chinese name to Chinese readers, its key to others."""
    if not key:
        return ""
    if lang == "zh" and names.get(key):
        return names[key][0]
    return key


@lru_cache(maxsize=4096)
def _district(text: str) -> str | None:
    frame = _cpca().transform([text])
    district = frame.iloc[0]["区"]
    return district if isinstance(district, str) and district else None


@lru_cache(maxsize=1)
def _cpca():
    import cpca  # loads its tables (~0.5 s) once, when the first Chinese address comes

    return cpca
