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

from budgetguard.db.plumbing.sealing import SEALED_KINDS, Keyring, Unreadable
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
        # The shop's policy when queued (NULL on rows queued before policies: the settings').
        timezone=row.timezone,
        language=row.language,
        currency=row.currency,
        evaluated_at=row.evaluated_at,
    )


def contact_from(values: Mapping[Any, Any], keyring: Keyring) -> Contact:
    """Build a contact from a `bg_contacts` row's values, by column name, opening what is sealed.

    A sealed contact that `keyring` cannot open keeps its stand-in target, no secret, and says
    why in `unreadable`: delivering to it fails (and is retried), listing it still works.
    """
    target, secret, unreadable = values["target"], values["secret"], None
    sealed = values["sealed"]
    if sealed is not None:
        try:
            opened = keyring.open(sealed)
            target, secret = opened.target, opened.secret
        except Unreadable as error:
            unreadable = f"the contact's URL and secret cannot be read: {error}"
    return Contact(
        id=values["id"],
        shop_id=values["shop_id"],
        kind=ChannelKind(values["kind"]),
        target=target,
        secret=secret,
        created_at=values["created_at"],
        disabled_at=values["disabled_at"],
        disabled_reason=values["disabled_reason"],
        unreadable=unreadable,
    )


def contact_values(
    keyring: Keyring, *, kind: str, target: str, secret: str | None
) -> dict[str, Any]:
    """The stored columns of a contact: sealed when there is a key and its kind is sealed."""
    if keyring.active and kind in SEALED_KINDS:
        stand_in, sealed = keyring.seal(target, secret)
        return {"target": stand_in, "secret": None, "sealed": sealed}
    return {"target": target, "secret": secret, "sealed": None}


def contact_columns() -> list[ColumnElement[Any]]:
    """The contact's columns, labelled `c_<name>`, for a query that outer-joins bg_contacts."""
    return [column.label(f"c_{column.name}") for column in contacts.c]


def joined_contact(row: Any, keyring: Keyring) -> Contact | None:
    """The contact of a row selected with `contact_columns()`, or None (no contact)."""
    if row.c_id is None:
        return None
    values = {column.name: row._mapping[f"c_{column.name}"] for column in contacts.c}
    return contact_from(values, keyring)
