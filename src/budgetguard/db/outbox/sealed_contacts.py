"""Sealing stored contacts again, one bounded batch at a time: the clear ones when a key is first
set, every one under the first key when keys are rotated (`budgetguard db rotate-secrets`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from budgetguard.db.outbox.rows import contact_from, contact_values
from budgetguard.db.plumbing.sealing import SEALED_KINDS, keyring_of
from budgetguard.db.schema.tables import contacts


class Resealed(StrEnum):
    """What sealing a stored contact again did."""

    SEALED = "sealed"
    """It was in clear; now it is sealed under the first key."""
    ROTATED = "rotated"
    """It was sealed under another key; now under the first."""
    CURRENT = "current"
    """It was sealed under the first key already: nothing to do."""
    UNREADABLE = "unreadable"
    """No key opens it: left as it is."""
    CHANGED = "changed"
    """It was written meanwhile (with the current key): left as it is."""


def contacts_after(
    connection: Connection, *, after_id: int, limit: int, clear_only: bool
) -> list[Any]:
    """The next `limit` contacts whose kind is sealed, by id after `after_id`."""
    c = contacts.c
    query = select(contacts).where(c.id > after_id, c.kind.in_(sorted(SEALED_KINDS)))
    if clear_only:
        query = query.where(c.sealed.is_(None))
    return list(connection.execute(query.order_by(c.id).limit(limit)))


def reseal(connection: Connection, row: Any) -> Resealed:
    """Seal the contact of `row` under the first key, unless it changed since it was read."""
    keyring = keyring_of(connection)
    if row.sealed is not None and keyring.sealed_with_first_key(row.sealed):
        return Resealed.CURRENT
    contact = contact_from(row._mapping, keyring)
    if contact.unreadable is not None:
        return Resealed.UNREADABLE
    c = contacts.c
    values = contact_values(
        keyring, kind=contact.kind.value, target=contact.target, secret=contact.secret
    )
    written = connection.execute(
        update(contacts)
        .where(c.id == row.id, c.target == row.target, c.sealed.is_not_distinct_from(row.sealed))
        .values(**values)
    ).rowcount
    if not written:
        return Resealed.CHANGED
    return Resealed.SEALED if row.sealed is None else Resealed.ROTATED
