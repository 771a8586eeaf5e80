"""One page of a list that can grow, as plain data a chat front end renders with
Previous / Next buttons."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PAGE_SIZE_MAX = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int  # 1-based; a page past the end shows the last one
    page_size: int
    total: int  # items in all pages

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_bounds(page, page_size, total: int, default_size: int) -> tuple[int, int, int]:
    """(page, page_size, offset) for a requested page: sizes kept within 1..PAGE_SIZE_MAX,
    anything that is not a page number read as the first page, a page past the end as the
    last one."""
    if not isinstance(page_size, int) or isinstance(page_size, bool):
        page_size = default_size
    page_size = min(max(page_size, 1), PAGE_SIZE_MAX)
    pages = max(1, -(-total // page_size))
    if not isinstance(page, int) or isinstance(page, bool):
        page = 1
    page = min(max(page, 1), pages)
    return page, page_size, (page - 1) * page_size
