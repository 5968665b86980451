"""Failed sign-ins per subject (`bg_sign_in_failures`), shared by every replica.

Each function runs in the caller's transaction. `locked` takes the rows' locks (on SQLite the
transaction holds the database's write lock already), so that concurrent attempts for one
subject are counted one after the other: a burst of parallel guesses cannot all pass the check
before the first failure is written.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from budgetguard.db.schema.console_tables import sign_in_failures as table
from budgetguard.domain.sign_in import Failures


def locked(connection: Connection, subjects: Collection[str]) -> dict[str, Failures]:
    """The subjects' rows, locked until the transaction ends (in key order: no deadlock)."""
    query = (
        select(table)
        .where(table.c.subject.in_(sorted(subjects)))
        .order_by(table.c.subject)
        .with_for_update()
    )
    return {row.subject: _failures(row) for row in connection.execute(query)}


def put(connection: Connection, rows: Iterable[Failures], *, existing: Collection[str]) -> bool:
    """Write each subject's count (an update where a row exists, else an insert); return whether
    a row was inserted. A concurrent insert of the same subject fails on its key: the unit of
    work runs the transaction again, and it then finds the row."""
    inserted = False
    for row in rows:
        values = {"failures": row.failures, "last_failed_at": row.last_failed_at}
        if row.subject in existing:
            connection.execute(update(table).where(table.c.subject == row.subject).values(values))
        else:
            connection.execute(insert(table).values(subject=row.subject, **values))
            inserted = True
    return inserted


def forget(connection: Connection, subject: str) -> None:
    connection.execute(delete(table).where(table.c.subject == subject))


def forget_before(connection: Connection, cutoff: datetime) -> int:
    """Remove the subjects whose last failure is older than `cutoff`; return how many."""
    return int(connection.execute(delete(table).where(table.c.last_failed_at < cutoff)).rowcount)


def all_failures(connection: Connection) -> list[Failures]:
    """Every subject counted (tests and operators look at them)."""
    rows = connection.execute(select(table).order_by(table.c.subject))
    return [_failures(row) for row in rows]


def _failures(row: Any) -> Failures:
    return Failures(row.subject, int(row.failures), row.last_failed_at)
