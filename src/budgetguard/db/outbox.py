"""The notification outbox (`bg_notifications`): what its rows say, and how to read them.

The evaluation queues a notification `pending`, due for dispatch at once (`next_attempt_at`).
Dispatch (db/dispatch.py) turns it into one delivery record per recipient (`bg_deliveries`) and
marks it `dispatched`, with no next attempt. Databases upgraded from schema 0001 may still hold
notifications in the older states (`delivering`, `failed`, `delivered`, `dead`); those still
due are dispatched like pending ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Column, ColumnElement, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month

ERROR_TEXT_LIMIT = 1000
_KINDS = {kind.value: kind for kind in Kind}
_ACTIONS: dict[str | None, Action | None] = {None: None, **{a.value: a for a in Action}}


class Status(StrEnum):
    """The state of a delivery record (and, before dispatch, of a notification)."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"
    DISPATCHED = "dispatched"
    """A notification only: its delivery records exist."""


RECORD_STATUSES = [status.value for status in Status if status is not Status.DISPATCHED]
"""The states a delivery record can be in."""


@lru_cache(maxsize=256)
def decode_thresholds(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",")) if text else ()


def any_id(connection: Connection, column: Column[int], ids: Sequence[int]) -> ColumnElement[bool]:
    """`column IN ids`: on PostgreSQL one array parameter instead of one parameter per id."""
    if connection.dialect.name == "postgresql":
        return column == any_(literal(list(ids), ARRAY(BigInteger)))
    return column.in_(ids)


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
