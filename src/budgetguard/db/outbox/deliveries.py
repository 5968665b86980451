"""Delivery records (`bg_deliveries`): claim what is due, record outcomes, list, retry.

A record is due while `next_attempt_at <= now`; delivered and dead records have none. A worker
claims records (FOR UPDATE SKIP LOCKED, so concurrent workers take different ones) by counting
the attempt and pushing the next attempt one lease ahead, and commits; it sends outside any
transaction, then records the outcome. A worker that dies mid-flight only delays its claims by
the lease.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, literal, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from budgetguard.db.outbox.rows import (
    ERROR_TEXT_LIMIT,
    contact_columns,
    joined_contact,
    to_notification,
)
from budgetguard.db.plumbing.keys import in_parts, one_of
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
from budgetguard.domain.recipients import ChannelKind

FAILURES_PER_STATEMENT = 500
"""Failed attempts one UPDATE records at most (each names its id in three CASEs)."""


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


def _load(connection: Connection, ids: list[int]) -> list[Claimed]:
    d, c = deliveries.c, contacts.c
    n = notifications.c
    content = [n.id, n.kind, n.shop_id, n.shop_name, n.month, n.budget, n.spent, n.thresholds]
    content += [n.action, n.evaluated_on, n.created_at]
    query = (
        select(
            *content,
            d.id.label("delivery_id"),
            d.recipient,
            d.channel,
            d.attempts,  # the notification's own `attempts` is not read: this is the count
            *contact_columns(),
        )
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
    contact = joined_contact(row, keyring)
    return Claimed(
        id=row.delivery_id,
        recipient=row.recipient,
        channel=ChannelKind(row.channel),
        attempts=row.attempts,
        notification=to_notification(row),
        contact=contact,
    )


def mark_delivered(connection: Connection, claims: Sequence[Claimed], *, now: datetime) -> int:
    """Record these attempts delivered; return how many were still theirs to record.

    Each update is fenced by the claim's attempt count: an attempt whose lease ran out, and whose
    record another worker claimed since, records nothing.
    """
    recorded = 0
    by_attempt: dict[int, list[int]] = {}
    for claim in claims:
        by_attempt.setdefault(claim.attempts, []).append(claim.id)
    for attempts, ids in by_attempt.items():
        recorded += connection.execute(
            update(deliveries)
            .where(
                one_of(deliveries.c.id, connection.dialect.name, "held", ids), _still_held(attempts)
            )
            .values(status=Status.DELIVERED.value, delivered_at=now, next_attempt_at=None)
        ).rowcount
    return recorded


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed attempt to record: try again at `retry_at`, or never (dead) when it is None."""

    claim: Claimed
    error: str
    retry_at: datetime | None


def mark_failed(
    connection: Connection, claim: Claimed, *, error: str, retry_at: datetime | None
) -> bool:
    """Record a failed attempt: try again at `retry_at`, or never (dead) when it is None.

    Return False (recording nothing) when the attempt's lease ran out and another worker
    claimed the record since.
    """
    return bool(mark_failures(connection, [Failure(claim, error, retry_at)]))


def mark_failures(connection: Connection, failures: Sequence[Failure]) -> set[int]:
    """Record failed attempts, a few statements per batch; return the ids of those recorded.

    Fenced as `mark_delivered` is: the records still held at their attempt are locked first,
    then updated in one statement per part (each row's status, next attempt and error picked by
    CASE), so an attempt whose lease ran out records nothing.
    """
    held = _held(connection, [f.claim for f in failures])
    mine = [f for f in failures if held.get(f.claim.id) == f.claim.attempts]
    for part in in_parts(mine, FAILURES_PER_STATEMENT):
        d = deliveries.c
        ids = [f.claim.id for f in part]
        statuses = {f.claim.id: _failed_status(f).value for f in part}
        retries = {f.claim.id: f.retry_at for f in part}
        errors = {f.claim.id: f.error[:ERROR_TEXT_LIMIT] for f in part}
        connection.execute(
            update(deliveries)
            .where(one_of(d.id, connection.dialect.name, "failed", ids))
            .where(d.status == Status.DELIVERING.value)
            .values(
                status=_by_id(statuses, d.status),
                next_attempt_at=_by_id(retries, d.next_attempt_at),
                last_error=_by_id(errors, d.last_error),
            )
        )
    return {f.claim.id for f in mine}


def _held(connection: Connection, claims: Sequence[Claimed]) -> dict[int, int]:
    """The attempt count of each of these records still being delivered, locked."""
    d = deliveries.c
    held: dict[int, int] = {}
    for part in in_parts([c.id for c in claims]):
        query = (
            select(d.id, d.attempts)
            .where(one_of(d.id, connection.dialect.name, "held", part))
            .where(d.status == Status.DELIVERING.value)
            .with_for_update()
        )
        held.update((row.id, row.attempts) for row in connection.execute(query))
    return held


def _failed_status(failure: Failure) -> Status:
    return Status.FAILED if failure.retry_at is not None else Status.DEAD


def _by_id(values: dict[int, Any], column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`CASE id WHEN … THEN …`: each record's own value of `column`, typed as the column."""
    whens = {key: literal(value, column.type) for key, value in values.items()}
    return case(whens, value=deliveries.c.id)


def _still_held(attempts: int) -> ColumnElement[bool]:
    d = deliveries.c
    return and_(d.status == Status.DELIVERING.value, d.attempts == attempts)


def list_records(
    connection: Connection,
    *,
    status: Status | None = None,
    shop_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[DeliveryRecord]:
    """Return delivery records, newest first, `limit` at a time (keyset: ids below `before_id`)."""
    d, c = deliveries.c, contacts.c
    query = select(deliveries, *contact_columns()).select_from(
        deliveries.outerjoin(contacts, c.id == d.contact_id)
    )
    if status is not None:
        query = query.where(d.status == status.value)
    if shop_id is not None:
        query = query.where(d.shop_id == shop_id)
    if before_id is not None:
        query = query.where(d.id < before_id)
    query = query.order_by(d.id.desc()).limit(limit)
    keyring = keyring_of(connection)
    return [_record(row, keyring) for row in connection.execute(query)]


def retry_records(
    connection: Connection, ids: Sequence[int], *, now: datetime
) -> dict[int, Status]:
    """Make the failed, dead or pending records among `ids` due now with a fresh schedule.

    Return the status each found record had before; delivered and delivering ones stay as they
    are (a retry never duplicates a delivery in flight).
    """
    d = deliveries.c
    found = {
        row.id: Status(row.status)
        for row in connection.execute(
            select(d.id, d.status).where(d.id.in_(list(ids))).with_for_update()
        )
    }
    retriable = [i for i, s in found.items() if s in RETRIABLE]
    if retriable:
        connection.execute(
            update(deliveries)
            .where(d.id.in_(retriable))
            .values(status=Status.PENDING.value, attempts=0, next_attempt_at=now)
        )
    return found
