"""Telling other people: notifications are reminders due now (so they are retried, paced
and never lost like any reminder); after a change, the handler wakes the sender."""
from __future__ import annotations

from .chat import Context


def wake_reminders(context: Context) -> None:
    service = context.application.bot_data.get("reminders")
    if service is not None:
        service.wake()
