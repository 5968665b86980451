"""Figures about the outbox and the claims for monitoring: what waits, since when, who is paused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from budgetguard.db.plumbing.types import aware_utc
from budgetguard.db.schema.tables import deliveries, notifications, pauses


@dataclass(frozen=True, slots=True)
class OutboxStats:
    shops_paused: int
    waiting: int
    oldest_waiting: datetime | None


def outbox_stats(connection: Connection) -> OutboxStats:
    """Count the shops budgetguard paused and the work still to deliver: notifications not yet
    dispatched, and delivery records not yet delivered (nor dead)."""
    paused = connection.execute(select(func.count()).select_from(pauses)).scalar_one()
    stats = [
        connection.execute(
            select(func.count(), func.min(table.c.created_at)).where(
                table.c.next_attempt_at.is_not(None)
            )
        ).one()
        for table in (notifications, deliveries)
    ]
    waiting = sum(int(count) for count, _ in stats)
    oldest = [stamp for stamp in (aware_utc(first) for _, first in stats) if stamp is not None]
    return OutboxStats(int(paused), waiting, min(oldest, default=None))
