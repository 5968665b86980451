"""The console's own path: notifications whose only recipient is the console, straight from the
outbox, a page at a time, with no per-record claim or outcome.

A page is read in a short transaction of its own, passing over the rows another dispatcher holds
(nothing is held while it is printed), printed by the caller, then recorded in one transaction: a
locking read of those notifications still due and still with nobody but the console (SKIP
LOCKED: one another dispatcher holds now is its to deliver), one INSERT … SELECT of a delivered
console record for each, one UPDATE marking them dispatched. A notification that gained a
contact, or that another process dispatched meanwhile, is left alone: printed once more than
needed, never skipped. Used only when no operator channel is configured (the console is then
the one recipient of every notification without a contact).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, exists, literal, null, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Select

from budgetguard.db.plumbing.keys import one_of
from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.tables import contacts, deliveries, notifications
from budgetguard.domain.delivery import Status
from budgetguard.domain.recipients import CONSOLE_KEY, ChannelKind

_n = notifications.c
_CONTENT = [_n.id, _n.kind, _n.shop_id, _n.shop_name, _n.month, _n.budget, _n.spent,
            _n.thresholds, _n.action, _n.evaluated_on, _n.created_at,
            literal(1).label("attempts")]  # fmt: skip  # the attempt in progress, as a claim
_RECORD_COLUMNS = [
    deliveries.c.notification_id, deliveries.c.recipient, deliveries.c.channel,
    deliveries.c.contact_id, deliveries.c.shop_id, deliveries.c.status, deliveries.c.attempts,
    deliveries.c.next_attempt_at, deliveries.c.created_at, deliveries.c.delivered_at,
]  # fmt: skip


class Position(NamedTuple):
    """Where a page ended, in dispatch order (due time, then id): the next page starts after."""

    due_at: datetime
    id: int


def console_only() -> ColumnElement[bool]:
    """The notification's shop has no enabled contact: the console is its only recipient."""
    c = contacts.c
    return ~exists().where(c.shop_id == _n.shop_id, c.disabled_at.is_(None))


def read_page(
    connection: Connection, *, now: datetime, after: Position | None, limit: int
) -> tuple[list[Any], Position | None]:
    """Return up to `limit` due console-only notification rows after `after`, in the order
    dispatch takes them, and the position of the last one (None when there was none).

    The locks taken are only held until the caller's transaction ends, before printing."""
    # Rows another dispatcher holds right now are its to deliver: passed over, not printed twice.
    query = _page_query(after).limit(limit).with_for_update(skip_locked=True)
    rows = list(connection.execute(query, {"now": now}))
    if not rows:
        return rows, None
    last = rows[-1]
    return rows, Position(last.due_at, last.id)


def _page_query(after: Position | None) -> Select[Any]:
    query = (
        select(*_CONTENT, _n.next_attempt_at.label("due_at"))
        .where(_n.next_attempt_at <= bindparam("now", type_=UtcDateTime), console_only())
        .order_by(_n.next_attempt_at, _n.id)
    )
    if after is not None:
        # Written out rather than as a row comparison: MariaDB reads this as two index ranges.
        query = query.where(
            or_(
                _n.next_attempt_at > after.due_at,
                and_(_n.next_attempt_at == after.due_at, _n.id > after.id),
            )
        )
    return query


def record_page(connection: Connection, ids: Sequence[int], *, now: datetime) -> list[int]:
    """Record the printed notifications `ids` dispatched and delivered to the console; return
    the ids recorded (those still due, console-only, and not held by another dispatcher)."""
    dialect = connection.dialect.name
    taken = list(
        connection.execute(
            select(_n.id)
            .where(one_of(_n.id, dialect, "printed", ids), _n.next_attempt_at.is_not(None))
            .where(console_only())
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not taken:
        return taken
    batch = one_of(_n.id, dialect, "taken", taken)
    connection.execute(deliveries.insert().from_select(_RECORD_COLUMNS, _delivered(batch, now)))
    connection.execute(
        update(notifications)
        .where(batch)
        .values(status=Status.DISPATCHED.value, next_attempt_at=None)
    )
    return taken


def _delivered(batch: ColumnElement[bool], now: datetime) -> Select[Any]:
    """A console record per notification of `batch`, delivered at `now` at its first attempt."""
    stamp = literal(now, UtcDateTime)
    return (
        select(
            _n.id,
            literal(CONSOLE_KEY),
            literal(ChannelKind.CONSOLE.value),
            null(),
            _n.shop_id,
            literal(Status.DELIVERED.value),
            literal(1),
            null(),
            stamp,
            stamp,
        )
        .where(batch)
        .order_by(_n.next_attempt_at, _n.id)  # record ids in the order the lines were printed
    )
