"""Dispatch: fan queued notifications out into one delivery record per recipient.

Set-based, a batch at a time: one locking read of the due notifications (FOR UPDATE SKIP LOCKED,
so concurrent dispatchers take different batches), one INSERT … SELECT for the shops' contacts,
one per operator channel, one for the console where a notification has nobody else, and one
UPDATE that marks the batch dispatched. The recipients are those current at dispatch time. The
unique key (notification, recipient) is the last line against a second dispatch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, exists, literal, null, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Select

from budgetguard.db.plumbing.keys import one_of
from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.tables import contacts, deliveries, notifications
from budgetguard.domain.delivery import Status
from budgetguard.domain.recipients import CONSOLE_KEY, CONTACT_PREFIX, ChannelKind, Route

_COLUMNS = [
    deliveries.c.notification_id, deliveries.c.recipient, deliveries.c.channel,
    deliveries.c.contact_id, deliveries.c.shop_id, deliveries.c.status, deliveries.c.attempts,
    deliveries.c.next_attempt_at, deliveries.c.created_at,
]  # fmt: skip


def dispatch_due(
    connection: Connection, *, now: datetime, limit: int, operators: Sequence[Route]
) -> int:
    """Dispatch up to `limit` due notifications, oldest first; return how many.

    With no operator channel, a notification whose shop has no enabled contact goes to the
    console, so that nothing queued is ever dropped unseen.
    """
    n = notifications.c
    due = (
        select(n.id)
        .where(n.next_attempt_at <= now)
        .order_by(n.next_attempt_at, n.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(connection.execute(due).scalars())
    if not ids:
        return 0
    batch = one_of(n.id, connection.dialect.name, "batch", ids)
    connection.execute(_insert(_to_contacts(batch, now)))
    for route in operators:
        connection.execute(_insert(_to_everyone(batch, now, route)))
    if not operators:
        console = Route(CONSOLE_KEY, ChannelKind.CONSOLE)
        connection.execute(_insert(_to_everyone(batch, now, console).where(~_has_contact())))
    connection.execute(
        update(notifications)
        .where(batch)
        .values(status=Status.DISPATCHED.value, next_attempt_at=None)
    )
    return len(ids)


def _insert(query: Select[Any]) -> Any:
    return deliveries.insert().from_select(_COLUMNS, query)


def _enabled_contact_of_shop() -> ColumnElement[bool]:
    return and_(contacts.c.shop_id == notifications.c.shop_id, contacts.c.disabled_at.is_(None))


def _has_contact() -> ColumnElement[bool]:
    return exists().where(_enabled_contact_of_shop())


def _fresh(now: datetime) -> list[ColumnElement[Any]]:
    stamp = literal(now, UtcDateTime)
    return [literal(Status.PENDING.value), literal(0), stamp, stamp]


def _to_contacts(batch: ColumnElement[bool], now: datetime) -> Select[Any]:
    key = literal(CONTACT_PREFIX, String) + cast(contacts.c.id, String)
    return (
        select(
            notifications.c.id,
            key,
            contacts.c.kind,
            contacts.c.id,
            notifications.c.shop_id,
            *_fresh(now),
        )
        .select_from(notifications.join(contacts, _enabled_contact_of_shop()))
        .where(batch)
        .order_by(notifications.c.id, contacts.c.id)
    )


def _to_everyone(batch: ColumnElement[bool], now: datetime, route: Route) -> Select[Any]:
    return (
        select(
            notifications.c.id,
            literal(route.key),
            literal(route.kind.value),
            null(),
            notifications.c.shop_id,
            *_fresh(now),
        )
        .where(batch)
        .order_by(notifications.c.id)
    )
