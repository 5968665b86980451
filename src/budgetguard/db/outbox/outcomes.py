"""Recording delivery outcomes, a few statements per batch, each fenced by its claim.

A worker records what its attempts did after sending, outside the claim's transaction; the record
must still be `delivering` at the attempt's count, so a worker whose lease ran out while another
delivered the record cannot undo the delivery with a late failure (deliveries.py claims).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, literal, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from budgetguard.db.outbox.rows import ERROR_TEXT_LIMIT
from budgetguard.db.plumbing.keys import in_parts, one_of
from budgetguard.db.schema.tables import deliveries
from budgetguard.domain.delivery import Claimed, Status

FAILURES_PER_STATEMENT = 500
"""Failed attempts one UPDATE records at most (each names its id in three CASEs)."""


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
