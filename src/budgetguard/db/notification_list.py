"""The outbox as the HTTP API lists it: notifications with their delivery state, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from budgetguard.db.outbox import to_notification
from budgetguard.db.tables import notifications
from budgetguard.domain.notification import Notification


@dataclass(frozen=True, slots=True)
class NotificationFilter:
    """Which notifications to list; None means any."""

    shop_id: int | None = None
    kind: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        c = notifications.c
        wanted: list[ColumnElement[bool]] = []
        if self.shop_id is not None:
            wanted.append(c.shop_id == self.shop_id)
        if self.kind is not None:
            wanted.append(c.kind == self.kind)
        if self.status is not None:
            wanted.append(c.status == self.status)
        if self.since is not None:
            wanted.append(c.created_at >= self.since)
        if self.until is not None:
            wanted.append(c.created_at < self.until)
        return wanted


@dataclass(frozen=True, slots=True)
class StoredNotification:
    """A notification and where its delivery stands."""

    notification: Notification
    status: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None


def list_notifications(
    connection: Connection, *, wanted: NotificationFilter, after: int | None, limit: int
) -> list[StoredNotification]:
    """Return up to `limit` notifications matching `wanted`, by id, after the id `after`."""
    query = select(notifications).where(*wanted.conditions()).order_by(notifications.c.id)
    if after is not None:
        query = query.where(notifications.c.id > after)
    return [
        StoredNotification(
            notification=to_notification(row),
            status=row.status,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            last_error=row.last_error,
        )
        for row in connection.execute(query.limit(limit))
    ]
