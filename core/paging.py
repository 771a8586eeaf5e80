"""One page of a list that can grow, as plain data a chat front end renders with
Previous / Next buttons."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam

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


def _size(page_size, default_size: int) -> int:
    if not isinstance(page_size, int) or isinstance(page_size, bool):
        page_size = default_size
    return min(max(page_size, 1), PAGE_SIZE_MAX)


def _asked(page) -> int:
    if not isinstance(page, int) or isinstance(page, bool):
        return 1
    return max(page, 1)


def page_bounds(page, page_size, total: int, default_size: int) -> tuple[int, int, int]:
    """(page, page_size, offset) for a requested page: sizes kept within 1..PAGE_SIZE_MAX,
    anything that is not a page number read as the first page, a page past the end as the
    last one."""
    page_size = _size(page_size, default_size)
    pages = max(1, -(-total // page_size))
    page = min(_asked(page), pages)
    return page, page_size, (page - 1) * page_size


# The bind parameters a statement given to `page_rows` pages by: `.offset(OFFSET).limit(LIMIT)`.
OFFSET, LIMIT = bindparam("page_offset"), bindparam("page_limit")


async def page_rows(session, statement, page, page_size, default_size: int,
                    **params) -> tuple[Sequence[Any], int, int, int]:
    """(rows, page, page_size, total) of a page, as `page_bounds` bounds it, in one round trip
    rather than a count and then the page: `statement` selects the rows from OFFSET, at most
    LIMIT of them, each carrying the number of items in all pages as its last column (a
    `count(*) over ()`, or a count as a scalar subquery); `params` are its other bind
    parameters. Only a page past the end costs more: the first row tells the total, then the
    last page is read."""
    async def rows_at(offset: int, limit: int):
        return (await session.execute(
            statement, {**params, OFFSET.key: offset, LIMIT.key: limit})).all()

    page_size = _size(page_size, default_size)
    asked = _asked(page)
    rows = await rows_at((asked - 1) * page_size, page_size)
    if rows or asked == 1:
        return rows, asked, page_size, rows[0][-1] if rows else 0
    first = await rows_at(0, 1)
    total = first[0][-1] if first else 0
    page, page_size, offset = page_bounds(page, page_size, total, default_size)
    if not total:
        return [], page, page_size, 0
    rows = await rows_at(offset, page_size)
    return rows, page, page_size, rows[0][-1] if rows else 0
