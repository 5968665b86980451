"""Delivery records (`bg_deliveries`): claim what is due, list, retry (outcomes: outcomes.py).

A record is due while `next_attempt_at <= now`; delivered and dead records have none. A worker
claims records (FOR UPDATE SKIP LOCKED, so concurrent workers take different ones) by counting
the attempt and pushing the next attempt one lease ahead, and commits; it sends outside any
transaction, then records the outcome. A worker that dies mid-flight only delays its claims by
the lease.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from budgetguard.db.outbox.outcomes import mark_delivered, mark_failed
from budgetguard.db.outbox.rows import (
    contact_columns,
    contact_from,
    joined_contact,
    to_notification,
)
from budgetguard.db.plumbing.keys import one_of
from budgetguard.db.plumbing.sealing import Keyring, keyring_of
from budgetguard.db.schema.tables import contacts, deliveries, notifications
from budgetguard.domain.delivery import (
    LOST_LAST_ATTEMPT,
    RETRIABLE,
    Candidate,
    Claimed,
    DeliveryRecord,
    Picker,
    Status,
)
from budgetguard.domain.recipients import ChannelKind, Contact

__all__ = ["claim_due", "list_records", "mark_delivered", "mark_failed", "retry_records"]
"""Outcomes are recorded by outcomes.py; `mark_delivered` and `mark_failed` are still imported from
here."""


def claim_due(
    connection: Connection,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    max_attempts: int,
    skip: Collection[str] = (),
    skip_channels: Collection[ChannelKind] = (),
    pick: Picker | None = None,
) -> list[Claimed]:
    """Claim up to `limit` due records, oldest first, until `lease_until`.

    Records of the recipients in `skip` or of `skip_channels` are passed over; `pick` may take
    fewer of the locked candidates (a quota per recipient), the others stay due.
    """
    d = deliveries.c
    query = select(d.id, d.recipient, d.channel, d.attempts).where(d.next_attempt_at <= now)
    if skip:
        query = query.where(d.recipient.not_in(list(skip)))
    if skip_channels:
        query = query.where(d.channel.not_in([c.value for c in skip_channels]))
    query = query.order_by(d.next_attempt_at, d.id).limit(limit).with_for_update(skip_locked=True)
    found = [
        Candidate(r.id, r.recipient, ChannelKind(r.channel), r.attempts)
        for r in connection.execute(query)
    ]
    found = _bury_exhausted(connection, found, max_attempts)
    chosen = pick(found) if pick is not None else found
    if not chosen:
        return []
    ids = [c.id for c in chosen]
    # An attempt counts when it is claimed, so one that kills its worker still counts.
    connection.execute(
        update(deliveries)
        .where(one_of(d.id, connection.dialect.name, "claimed", ids))
        .values(
            status=Status.DELIVERING.value, attempts=d.attempts + 1, next_attempt_at=lease_until
        )
    )
    return _load(connection, ids)


def _bury_exhausted(
    connection: Connection, found: list[Candidate], max_attempts: int
) -> list[Candidate]:
    """End dead the records due again with their attempts used up (their worker died during
    the last attempt); return the others."""
    exhausted = [c.id for c in found if c.attempts >= max_attempts]
    if exhausted:
        connection.execute(
            update(deliveries)
            .where(one_of(deliveries.c.id, connection.dialect.name, "exhausted", exhausted))
            .values(status=Status.DEAD.value, next_attempt_at=None, last_error=LOST_LAST_ATTEMPT)
        )
    return [c for c in found if c.attempts < max_attempts]


_CONTENT = (
    *(notifications.c[name] for name in ("id", "kind", "shop_id", "shop_name", "month")),
    *(notifications.c[name] for name in ("budget", "spent", "thresholds", "action")),
    notifications.c.evaluated_on,
    notifications.c.created_at,
    *(notifications.c[name] for name in ("timezone", "language", "currency", "evaluated_at")),
)
_CLAIM = (
    deliveries.c.id.label("delivery_id"),
    deliveries.c.recipient,
    deliveries.c.channel,
    deliveries.c.attempts,  # the notification's own `attempts` is not read: this is the count
)
_CONTACT_AT = len(_CONTENT) + len(_CLAIM)
"""Where a claimed row's contact columns begin."""
CONTACTS_REMEMBERED = 4096
_BY_STATUS = "ix_bg_deliveries_status_id"


def _load(connection: Connection, ids: list[int]) -> list[Claimed]:
    d, c = deliveries.c, contacts.c
    query = (
        select(*_CONTENT, *_CLAIM, *contact_columns())
        .select_from(
            deliveries.join(notifications, notifications.c.id == d.notification_id).outerjoin(
                contacts, c.id == d.contact_id
            )
        )
        .where(one_of(d.id, connection.dialect.name, "claimed", ids))
    )
    keyring = keyring_of(connection)
    by_id = {row.delivery_id: _claimed(row, keyring) for row in connection.execute(query)}
    return [by_id[i] for i in ids if i in by_id]


@lru_cache(maxsize=CONTACTS_REMEMBERED)
def _contact(keyring: Keyring, values: tuple[Any, ...]) -> Contact | None:
    """The contact of these stored values, opened once (Fernet) for all its records: any change
    to the stored row (disabled, a new secret, sealed again) is another key, so never stale."""
    if values[0] is None:  # no contact joined
        return None
    return contact_from(dict(zip(contacts.c.keys(), values, strict=True)), keyring)


def _record(row: Any, keyring: Keyring) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id,
        notification_id=row.notification_id,
        shop_id=row.shop_id,
        channel=ChannelKind(row.channel),
        recipient=row.recipient,
        status=Status(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        contact=joined_contact(row, keyring),
    )


def _claimed(row: Any, keyring: Keyring) -> Claimed:
    contact = _contact(keyring, tuple(row[_CONTACT_AT:]))
    return Claimed(
        id=row.delivery_id,
        recipient=row.recipient,
        channel=ChannelKind(row.channel),
        attempts=row.attempts,
        notification=to_notification(row),
        contact=contact,
    )


def list_records(
    connection: Connection,
    *,
    status: Status | None = None,
    shop_id: int | None = None,
    before_id: int | None = None,
    notification_ids: Sequence[int] | None = None,
    limit: int = 100,
) -> list[DeliveryRecord]:
    """Return delivery records, newest first, `limit` at a time (keyset: ids below `before_id`);
    `notification_ids`: only those notifications' records (read by their unique index)."""
    d, c = deliveries.c, contacts.c
    query = select(deliveries, *contact_columns()).select_from(
        deliveries.outerjoin(contacts, c.id == d.contact_id)
    )
    if status is not None:
        query = query.where(d.status == status.value)
        if shop_id is None:
            # MariaDB otherwise reads every record of the status from the newest down to
            # `before_id` (a `ref` on the status alone): 0.9 s a page deep in 100,000 dead ones.
            for dialect in ("mysql", "mariadb"):
                query = query.with_hint(deliveries, f"FORCE INDEX ({_BY_STATUS})", dialect)
    if shop_id is not None:
        query = query.where(d.shop_id == shop_id)
    if before_id is not None:
        query = query.where(d.id < before_id)
    order = [d.id.desc()]
    if notification_ids is not None:
        # In the unique index's order, so that no planner walks the whole table by id instead.
        query = query.where(d.notification_id.in_(list(notification_ids)))
        order = [d.notification_id.desc(), *order]
    query = query.order_by(*order).limit(limit)
    keyring = keyring_of(connection)
    return [_record(row, keyring) for row in connection.execute(query)]


def retry_records(
    connection: Connection, ids: Sequence[int], *, now: datetime, shop_id: int | None = None
) -> dict[int, tuple[Status, int]]:
    """Make the failed, dead or pending records among `ids` (of shop `shop_id` only, if given)
    due now with a fresh schedule.

    Return the status each found record had before, and its shop; delivered and delivering ones
    stay as they are (a retry never duplicates a delivery in flight).
    """
    d = deliveries.c
    query = select(d.id, d.status, d.shop_id).where(d.id.in_(list(ids)))
    if shop_id is not None:
        query = query.where(d.shop_id == shop_id)
    found = {
        row.id: (Status(row.status), row.shop_id)
        for row in connection.execute(query.with_for_update())
    }
    retriable = [i for i, (s, _shop) in found.items() if s in RETRIABLE]
    if retriable:
        connection.execute(
            update(deliveries)
            .where(d.id.in_(retriable))
            .values(status=Status.PENDING.value, attempts=0, next_attempt_at=now)
        )
    return found
