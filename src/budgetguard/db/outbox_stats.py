"""Figures about the outbox and the claims for monitoring: what waits, since when, who is paused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from budgetguard.db.tables import notifications, pauses


@dataclass(frozen=True, slots=True)
class OutboxStats:
    shops_paused: int
    waiting: int
    oldest_waiting: datetime | None


def outbox_stats(connection: Connection) -> OutboxStats:
    """Count the shops budgetguard paused and the notifications still to deliver."""
    paused = connection.execute(select(func.count()).select_from(pauses)).scalar_one()
    waiting, oldest = connection.execute(
        select(func.count(), func.min(notifications.c.created_at)).where(
            notifications.c.next_attempt_at.is_not(None)
        )
    ).one()
    return OutboxStats(int(paused), int(waiting), _aware(oldest))


def _aware(value: datetime | None) -> datetime | None:
    # func.min loses the column's type on some databases: restore UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
