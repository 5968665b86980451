"""Shop contacts (`bg_contacts`): who at a shop hears about its budget, and how."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Connection

from budgetguard.db.outbox.rows import contact_from, contact_values
from budgetguard.db.plumbing.sealing import keyring_of
from budgetguard.db.schema.tables import contacts, deliveries
from budgetguard.domain.delivery import CONTACT_REMOVED, Status
from budgetguard.domain.recipients import ChannelKind, Contact

REASON_LIMIT = 255


def find_contact(
    connection: Connection, *, shop_id: int, kind: ChannelKind, target: str
) -> Contact | None:
    c = contacts.c
    keyring = keyring_of(connection)
    forms = keyring.stored_forms(target)  # in clear, or sealed under any key
    query = select(contacts).where(c.shop_id == shop_id, c.kind == kind.value, c.target.in_(forms))
    row = connection.execute(query).first()
    return None if row is None else contact_from(row._mapping, keyring)


def insert_contact(
    connection: Connection,
    *,
    shop_id: int,
    kind: ChannelKind,
    target: str,
    secret: str | None,
    now: datetime,
) -> int:
    """Add a contact; return its id. Its URL and secret are sealed when there is a key."""
    values = {"shop_id": shop_id, "kind": kind.value}
    values |= contact_values(keyring_of(connection), kind=kind.value, target=target, secret=secret)
    key = connection.execute(
        contacts.insert().values(created_at=now, **values)
    ).inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new contact")
    return int(key[0])


def enable_contact(connection: Connection, contact_id: int, *, secret: str | None) -> None:
    """Enable a contact again (after a 410), with a new secret when one is given.

    Its URL and secret are written again, sealed when there is a key (a contact stored in clear
    is sealed here the first time it is written with a key). One that cannot be opened is only
    enabled: what it holds cannot be written again.
    """
    values: dict[str, Any] = {"disabled_at": None, "disabled_reason": None}
    keyring = keyring_of(connection)
    row = connection.execute(select(contacts).where(contacts.c.id == contact_id)).first()
    current = None if row is None else contact_from(row._mapping, keyring)
    if current is not None and current.unreadable is None:
        kind, target = current.kind.value, current.target
        fresh = current.secret if secret is None else secret
        values |= contact_values(keyring, kind=kind, target=target, secret=fresh)
    connection.execute(update(contacts).where(contacts.c.id == contact_id).values(**values))


def disable_contact(connection: Connection, contact_id: int, *, now: datetime, reason: str) -> None:
    """Stop delivering to a contact (its receiver said 410 Gone)."""
    connection.execute(
        update(contacts)
        .where(contacts.c.id == contact_id, contacts.c.disabled_at.is_(None))
        .values(disabled_at=now, disabled_reason=reason[:REASON_LIMIT])
    )


def shop_contacts(connection: Connection, shop_id: int) -> list[Contact]:
    """The shop's contacts, oldest first."""
    query = select(contacts).where(contacts.c.shop_id == shop_id).order_by(contacts.c.id)
    keyring = keyring_of(connection)
    return [contact_from(row._mapping, keyring) for row in connection.execute(query)]


def delete_contacts(connection: Connection, *, shop_id: int, ids: list[int] | None = None) -> int:
    """Remove the shop's contacts with these ids (all of them when `ids` is None).

    Their records still to be sent end dead, unsent, and every record lets go of the contact:
    no record can ever reach a contact added later under the same id (SQLite reuses the
    highest id).
    """
    chosen = contacts.c.shop_id == shop_id
    if ids is not None:
        chosen = and_(chosen, contacts.c.id.in_(ids))
    gone = list(connection.execute(select(contacts.c.id).where(chosen)).scalars())
    if not gone:
        return 0
    d = deliveries.c
    connection.execute(
        update(deliveries)
        .where(d.contact_id.in_(gone), d.status.in_([Status.PENDING.value, Status.FAILED.value]))
        .values(status=Status.DEAD.value, next_attempt_at=None, last_error=CONTACT_REMOVED)
    )
    connection.execute(update(deliveries).where(d.contact_id.in_(gone)).values(contact_id=None))
    return int(connection.execute(delete(contacts).where(contacts.c.id.in_(gone))).rowcount)
