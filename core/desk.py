"""The service layer's entry point: a Desk hands out units of work.

A unit of work is one transaction: everything a person's single action changes lands
together or not at all (cosmicpython's pattern). Services take the unit of work and use its
session, clock and company settings. What must move with every commit (reminders planned
for changed orders, the summary's daily figures) is given to the desk as commit hooks when
the application is assembled (bot.bootstrap), so this, the lowest layer, imports no service.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .clock import Clock


@dataclass(frozen=True)
class CompanySettings:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    manager_ids: frozenset[int] = frozenset()
    service_areas: tuple[str, ...] = ()  # keys, e.g. "Pudong"
    area_names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "Pudong": ("浦东新区",)
    invite_valid_hours: int = 72
    workmanship_warranty_months: int = 3


class UnitOfWork:
    def __init__(self, desk: Desk):
        self.desk = desk
        self.clock = desk.clock
        self.company = desk.company
        self.session: AsyncSession | None = None
        # Orders changed in this unit of work: their reminders are re-planned on commit.
        self.changed_orders: dict[int, object] = {}
        # Parts whose stock moved: managers hear of any now under its minimum.
        self.moved_parts: set[int] = set()

    async def __aenter__(self) -> UnitOfWork:
        self.session = self.desk.session_factory()
        return self

    async def __aexit__(self, *exc) -> None:
        # Closing rolls back whatever was not committed: half an action never lands.
        await self.session.close()

    async def commit(self) -> None:
        # The hooks' writes land in the same transaction as the action's.
        for hook in self.desk.on_commit:
            await hook(self)
        self.changed_orders.clear()
        self.moved_parts.clear()
        await self.session.commit()

    async def rollback(self) -> None:
        """Undoes what this unit of work changed since its last commit, hooks included."""
        self.changed_orders.clear()
        self.moved_parts.clear()
        await self.session.rollback()

    def order_changed(self, order) -> None:
        self.changed_orders[order.id] = order

    def stock_moved(self, part_id: int) -> None:
        self.moved_parts.add(part_id)

    def now(self):
        return self.clock.now()


CommitHook = Callable[[UnitOfWork], Awaitable[None]]


class Desk:
    def __init__(self, session_factory: async_sessionmaker, company: CompanySettings,
                 clock: Clock | None = None, on_commit: Sequence[CommitHook] = ()):
        self.session_factory = session_factory
        self.company = company
        self.clock = clock or Clock()
        self.on_commit = tuple(on_commit)
        # What services keep between units of work in this process, checked against the
        # database before use (e.g. core.triage's learned models).
        self.caches: dict[str, dict] = {}

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self)

    @property
    def engine(self) -> AsyncEngine:
        return self.session_factory.kw["bind"]
