"""The outbox as the HTTP API lists it: notifications with their delivery state, filtered.

A notification's delivery state is derived from its delivery records (one per recipient, made
when it is dispatched): `pending` until it is dispatched; then `dead` if any record is dead,
else `failed` if any waits for a retry, else `delivering` while any is still to be sent, else
`delivered`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, literal, select
from sqlalchemy.engine import Connection

from budgetguard.db.outbox import Status, to_notification
from budgetguard.db.tables import deliveries, notifications
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
            wanted.append(delivery_state() == self.status)
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


def delivery_state() -> ColumnElement[str]:
    """The delivery state of each notification, from its records (see the module's docstring)."""

    def any_record(*statuses: Status) -> ColumnElement[bool]:
        return exists().where(
            deliveries.c.notification_id == notifications.c.id,
            deliveries.c.status.in_([s.value for s in statuses]),
        )

    return case(
        (notifications.c.status == Status.PENDING.value, literal(Status.PENDING.value)),
        (any_record(Status.DEAD), literal(Status.DEAD.value)),
        (any_record(Status.FAILED), literal(Status.FAILED.value)),
        (any_record(Status.PENDING, Status.DELIVERING), literal(Status.DELIVERING.value)),
        else_=literal(Status.DELIVERED.value),
    )


def _of_records(column: ColumnElement[Any], aggregate: str) -> ColumnElement[Any]:
    """`aggregate` (min, max) of `column` over the notification's delivery records."""
    return (
        select(getattr(func, aggregate)(column))
        .where(deliveries.c.notification_id == notifications.c.id)
        .scalar_subquery()
    )


def list_notifications(
    connection: Connection, *, wanted: NotificationFilter, after: int | None, limit: int
) -> list[StoredNotification]:
    """Return up to `limit` notifications matching `wanted`, by id, after the id `after`."""
    next_attempt = func.coalesce(
        notifications.c.next_attempt_at, _of_records(deliveries.c.next_attempt_at, "min")
    )
    query = (
        select(
            notifications,
            delivery_state().label("state"),
            next_attempt.label("next_attempt"),
            _of_records(deliveries.c.delivered_at, "max").label("last_delivered"),
            _of_records(deliveries.c.last_error, "max").label("error"),
        )
        .where(*wanted.conditions())
        .order_by(notifications.c.id)
    )
    if after is not None:
        query = query.where(notifications.c.id > after)
    return [
        StoredNotification(
            notification=to_notification(row),
            status=row.state,
            next_attempt_at=_aware(row.next_attempt),
            delivered_at=_aware(row.last_delivered) if row.state == "delivered" else None,
            last_error=row.error,
        )
        for row in connection.execute(query.limit(limit))
    ]


def _aware(value: datetime | None) -> datetime | None:
    # An aggregate loses the column's type on some databases: restore UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
