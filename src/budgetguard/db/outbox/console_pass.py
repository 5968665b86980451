"""The console's own path: notifications whose only recipient is the console, straight from the
outbox, a page at a time, with no per-record claim or outcome.

Each page is one transaction of the caller's: a locking read of due notifications with nobody but
the console (FOR UPDATE SKIP LOCKED: rows another dispatcher holds are its to deliver), printed
while locked (so no other dispatcher prints them too), then one UPDATE marking them dispatched
and delivered. SQLite's lock is the whole database's, which a stalled reader of standard output
must not hold: there the page is claimed for the delivery lease instead, as the worker claims
its records, printed outside any transaction, then recorded, fenced by the claim. A
notification that gained a contact meanwhile stays due, for the worker: printed once more than
needed, never skipped. Used only when no operator channel is configured (the
console is then the one recipient of every notification without a contact).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, exists, func, literal, literal_column, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Select

from budgetguard.db.plumbing.keys import one_of
from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.tables import contacts, notifications
from budgetguard.domain.delivery import Status

_n = notifications.c
_CONTENT = [_n.id, _n.kind, _n.shop_id, _n.shop_name, _n.month, _n.budget, _n.spent,
            _n.thresholds, _n.action, _n.evaluated_on, _n.created_at,
            _n.timezone, _n.language, _n.currency, _n.evaluated_at,
            literal(1).label("attempts")]  # fmt: skip  # the attempt in progress, as a claim


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
    """Lock and return up to `limit` due console-only notification rows after `after`, in the
    order dispatch takes them, and the position of the last one (None when there was none)."""
    query = _page_query(after).limit(limit).with_for_update(skip_locked=True)
    rows = list(connection.execute(query, {"now": now}))
    if not rows:
        return rows, None
    # The due time of the last row only (one conversion per page, not per row); it is locked.
    last = rows[-1].id
    due_at = connection.execute(select(_n.next_attempt_at).where(_n.id == last)).scalar_one()
    return rows, Position(due_at, last)


def _page_query(after: Position | None) -> Select[Any]:
    query = (
        select(*_CONTENT)
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


def claim_page(connection: Connection, ids: Sequence[int], *, until: datetime) -> None:
    """Hold the notifications `ids` until `until` (SQLite, whose lock is the database's: a page
    is claimed, printed outside any transaction, then recorded, fenced by this claim)."""
    connection.execute(
        update(notifications)
        .where(_one_of_ids(connection.dialect.name, ids))
        .values(next_attempt_at=until)
    )


def release_page(
    connection: Connection, ids: Sequence[int], *, claimed: datetime, due: datetime
) -> None:
    """Make the claimed notifications `ids` that did not print due again at `due`, for the
    worker (which records the console's failure and its back-off)."""
    connection.execute(
        update(notifications)
        .where(_one_of_ids(connection.dialect.name, ids), _n.next_attempt_at == claimed)
        .values(next_attempt_at=due)
    )


def record_page(
    connection: Connection, ids: Sequence[int], *, now: datetime, claimed: datetime | None = None
) -> int:
    """Record the printed notifications `ids` dispatched and delivered to the console, those
    still due (or still `claimed` until then) and console-only; return how many.

    The notification row is the record (no delivery record per notification,
    whose insert with its indexes cost more than the rest of the pass): `status` dispatched, no
    next attempt, `attempts` 1, `delivered_at` when the page was recorded.
    """
    return connection.execute(
        update(notifications)
        .where(_one_of_ids(connection.dialect.name, ids), console_only(), _still_ours(claimed))
        .values(status=Status.DISPATCHED.value, next_attempt_at=None, attempts=1, delivered_at=now)
    ).rowcount


def _still_ours(claimed: datetime | None) -> ColumnElement[bool]:
    """Not dispatched since it was read (the row was locked), or still under our claim."""
    return _n.next_attempt_at.is_not(None) if claimed is None else _n.next_attempt_at == claimed


def recorded_kinds(connection: Connection, ids: Sequence[int], *, at: datetime) -> Counter[str]:
    """The kinds of the notifications among `ids` that the console's pass recorded at `at`."""
    query = (
        select(_n.kind, func.count())
        .where(_one_of_ids(connection.dialect.name, ids), _n.delivered_at == at)
        .group_by(_n.kind)
    )
    return Counter({kind: count for kind, count in connection.execute(query)})


def _one_of_ids(dialect: str, ids: Sequence[int]) -> ColumnElement[bool]:
    """`id IN (…)`: thousands of integers written inline on MariaDB and SQLite, where a bound
    parameter each cost more to render and escape than the statement (PostgreSQL: one array)."""
    if dialect == "postgresql":
        return one_of(_n.id, dialect, "ids", ids)
    return _n.id.in_([literal_column(",".join(str(int(i)) for i in ids))])
