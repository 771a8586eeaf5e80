"""Assembles the service layer (cosmicpython's bootstrap): a desk whose units of work plan
the changed orders' reminders and keep the summary's daily figures in the same transaction
as each change. Everything that runs the bot, its commands and the tests makes its desk here,
so no commit can skip them."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from core import reminder_queue, summaries
from core.clock import Clock
from core.desk import CompanySettings, Desk


def make_desk(session_factory: async_sessionmaker, company: CompanySettings | None = None,
              clock: Clock | None = None) -> Desk:
    # Reminders first: the summary's hook flushes and reads what the others wrote.
    return Desk(session_factory, company or CompanySettings(), clock,
                on_commit=(reminder_queue.plan_changes, summaries.keep))
