"""Rows of the outbox tables as domain objects: notifications and the contacts they go to.

The evaluation queues a notification `pending`, due for dispatch at once (`next_attempt_at`).
Dispatch (dispatch.py) turns it into one delivery record per recipient (`bg_deliveries`) and
marks it `dispatched`, with no next attempt. Databases upgraded from schema 0001 may still hold
notifications in the older states (`delivering`, `failed`, `delivered`, `dead`); those still
due are dispatched like pending ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement

from budgetguard.db.schema.tables import contacts
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month
from budgetguard.domain.recipients import ChannelKind, Contact

ERROR_TEXT_LIMIT = 1000
_KINDS = {kind.value: kind for kind in Kind}
_ACTIONS: dict[str | None, Action | None] = {None: None, **{a.value: a for a in Action}}


@lru_cache(maxsize=256)
def decode_thresholds(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",")) if text else ()


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


def contact_from(values: Mapping[Any, Any]) -> Contact:
    """Build a contact from a `bg_contacts` row's values, by column name."""
    return Contact(
        id=values["id"],
        shop_id=values["shop_id"],
        kind=ChannelKind(values["kind"]),
        target=values["target"],
        secret=values["secret"],
        created_at=values["created_at"],
        disabled_at=values["disabled_at"],
        disabled_reason=values["disabled_reason"],
    )


def contact_columns() -> list[ColumnElement[Any]]:
    """The contact's columns, labelled `c_<name>`, for a query that outer-joins bg_contacts."""
    return [column.label(f"c_{column.name}") for column in contacts.c]


def joined_contact(row: Any) -> Contact | None:
    """The contact of a row selected with `contact_columns()`, or None (no contact)."""
    if row.c_id is None:
        return None
    return contact_from({column.name: row._mapping[f"c_{column.name}"] for column in contacts.c})
