"""The notification outbox: claim what is due, then record each delivery's outcome.

A notification is due while `next_attempt_at <= now`; delivered and dead notifications have no
next attempt. A deliverer claims a batch (FOR UPDATE SKIP LOCKED, so that concurrent deliverers
take different batches) by pushing its next attempt one lease ahead, and commits; it delivers
outside any transaction, then records the outcome. A deliverer that dies mid-batch only delays
its batch by the lease. No lock is held while a channel talks to the world.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, any_, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from budgetguard.db.tables import notifications
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month

ERROR_TEXT_LIMIT = 1000
_KINDS = {kind.value: kind for kind in Kind}
_ACTIONS: dict[str | None, Action | None] = {None: None, **{a.value: a for a in Action}}


class Status(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


@lru_cache(maxsize=256)
def decode_thresholds(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",")) if text else ()


def claim_due(
    connection: Connection, *, now: datetime, lease_until: datetime, limit: int
) -> list[Notification]:
    """Claim up to `limit` due notifications, oldest first, until `lease_until`."""
    c = notifications.c
    columns = [c.id, c.kind, c.shop_id, c.shop_name, c.month, c.budget, c.spent, c.thresholds]
    columns += [c.action, c.evaluated_on, c.created_at, c.attempts]
    query = (
        select(*columns)
        .where(c.next_attempt_at <= now)
        .order_by(c.next_attempt_at, c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # An attempt counts when it is claimed, so one that kills its deliverer still counts.
    claimed = [to_notification(row, attempted=1) for row in connection.execute(query).all()]
    if claimed:
        connection.execute(
            update(notifications)
            .where(_any_of(connection, [n.id for n in claimed]))
            .values(
                status=Status.DELIVERING.value,
                attempts=notifications.c.attempts + 1,
                next_attempt_at=lease_until,
            )
        )
    return claimed


def mark_delivered(connection: Connection, ids: Sequence[int], *, now: datetime) -> None:
    if ids:
        connection.execute(
            update(notifications)
            .where(_any_of(connection, ids))
            .values(
                status=Status.DELIVERED.value,
                delivered_at=now,
                next_attempt_at=None,
            )
        )


def mark_failed(
    connection: Connection, notification_id: int, *, error: str, retry_at: datetime | None
) -> None:
    """Record a failed attempt: try again at `retry_at`, or never (dead) when it is None."""
    status = Status.FAILED if retry_at is not None else Status.DEAD
    connection.execute(
        update(notifications)
        .where(notifications.c.id == notification_id)
        .values(
            status=status.value,
            next_attempt_at=retry_at,
            last_error=error[:ERROR_TEXT_LIMIT],
        )
    )


def _any_of(connection: Connection, ids: Sequence[int]) -> ColumnElement[bool]:
    if connection.dialect.name == "postgresql":
        # One array parameter instead of one parameter per id.
        return notifications.c.id == any_(literal(list(ids), ARRAY(BigInteger)))
    return notifications.c.id.in_(ids)


def to_notification(row: Any, *, attempted: int = 0) -> Notification:
    """Build the domain notification from a `bg_notifications` row (`attempted` more tries)."""
    return Notification(
        id=row.id,
        kind=_KINDS[row.kind],
        shop_id=row.shop_id,
        shop_name=row.shop_name,
        month=Month.of_cached(row.month.year, row.month.month),
        budget=row.budget,
        spent=row.spent,
        thresholds=decode_thresholds(row.thresholds),
        action=_ACTIONS[row.action],
        evaluated_on=row.evaluated_on,
        created_at=row.created_at,
        attempts=row.attempts + attempted,
    )
