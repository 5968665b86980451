"""The outbox as the HTTP API lists it: notifications with their delivery state, filtered.

A notification's delivery state is derived from its delivery records (one per recipient, made
when it is dispatched): `pending` until it is dispatched; then `dead` if any record is dead,
else `failed` if any waits for a retry, else `delivering` while any is still to be sent, else
`delivered`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, literal, select
from sqlalchemy.engine import Connection

from budgetguard.db.outbox.rows import to_notification
from budgetguard.db.plumbing.types import aware_utc
from budgetguard.db.schema.tables import deliveries, notifications
from budgetguard.domain.delivery import Status
from budgetguard.domain.notification import NotificationFilter, StoredNotification


def _conditions(wanted: NotificationFilter) -> list[ColumnElement[bool]]:
    c = notifications.c
    conditions: list[ColumnElement[bool]] = []
    if wanted.shop_id is not None:
        conditions.append(c.shop_id == wanted.shop_id)
    if wanted.kind is not None:
        conditions.append(c.kind == wanted.kind)
    if wanted.status is not None:
        conditions.append(delivery_state() == wanted.status)
    if wanted.since is not None:
        conditions.append(c.created_at >= wanted.since)
    if wanted.until is not None:
        conditions.append(c.created_at < wanted.until)
    return conditions


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
            # The console's pass records its deliveries on the notification itself.
            func.coalesce(
                _of_records(deliveries.c.delivered_at, "max"), notifications.c.delivered_at
            ).label("last_delivered"),
            _of_records(deliveries.c.last_error, "max").label("error"),
        )
        .where(*_conditions(wanted))
        .order_by(notifications.c.id)
    )
    if after is not None:
        query = query.where(notifications.c.id > after)
    return [
        StoredNotification(
            notification=to_notification(row),
            status=row.state,
            next_attempt_at=aware_utc(row.next_attempt),
            delivered_at=aware_utc(row.last_delivered) if row.state == "delivered" else None,
            last_error=row.error,
        )
        for row in connection.execute(query.limit(limit))
    ]
