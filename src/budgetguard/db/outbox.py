"""The notification outbox: claim due notifications, then record each delivery's outcome.

A notification is due while `next_attempt_at <= now`. A claim pushes `next_attempt_at` one lease
ahead, so a worker that dies mid-delivery only delays its notifications by the lease; delivered
and dead notifications have no next attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from budgetguard.db.tables import notifications
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month

ERROR_TEXT_LIMIT = 1000


class Status(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


def encode_thresholds(thresholds: Sequence[int]) -> str:
    return ",".join(str(t) for t in thresholds)


def decode_thresholds(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def claim_due(
    connection: Connection, *, now: datetime, lease_until: datetime, limit: int
) -> list[tuple[Notification, int]]:
    """Claim up to `limit` due notifications, oldest first; return each with its attempt number."""
    query = (
        select(notifications)
        .where(notifications.c.next_attempt_at <= now)
        .order_by(notifications.c.next_attempt_at, notifications.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = connection.execute(query).mappings().all()
    if not rows:
        return []
    connection.execute(
        update(notifications)
        .where(notifications.c.id.in_([row["id"] for row in rows]))
        .values(
            status=Status.DELIVERING.value,
            attempts=notifications.c.attempts + 1,
            next_attempt_at=lease_until,
        )
    )
    return [(to_notification(row), row["attempts"] + 1) for row in rows]


def mark_delivered(connection: Connection, ids: Sequence[int], *, now: datetime) -> None:
    if ids:
        connection.execute(
            update(notifications)
            .where(notifications.c.id.in_(ids))
            .values(status=Status.DELIVERED.value, delivered_at=now, next_attempt_at=None)
        )


def mark_failed(
    connection: Connection, notification_id: int, *, error: str, retry_at: datetime | None
) -> None:
    """Record a failed attempt: try again at `retry_at`, or never (dead) when it is None."""
    status = Status.FAILED if retry_at is not None else Status.DEAD
    connection.execute(
        update(notifications)
        .where(notifications.c.id == notification_id)
        .values(status=status.value, next_attempt_at=retry_at, last_error=error[:ERROR_TEXT_LIMIT])
    )


def to_notification(row: Any) -> Notification:
    """Build the domain notification from a `bg_notifications` row mapping."""
    return Notification(
        id=int(row["id"]),
        kind=Kind(row["kind"]),
        shop_id=int(row["shop_id"]),
        shop_name=row["shop_name"],
        month=Month.of(row["month"]),
        budget=row["budget"],
        spent=row["spent"],
        thresholds=decode_thresholds(row["thresholds"]),
        action=Action(row["action"]) if row["action"] else None,
        evaluated_on=row["evaluated_on"],
        created_at=row["created_at"],
    )
