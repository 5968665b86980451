"""Which database errors mean that a concurrent writer won a race, so the same work may succeed
if it runs again (the unit of work, services/uow.py, retries those)."""

from __future__ import annotations

from sqlalchemy import exc

from budgetguard.db.plumbing.dialects import mysql_error_code
from budgetguard.domain.errors import ConcurrentChange

RACES = (ConcurrentChange, exc.IntegrityError, exc.OperationalError)
"""The exception types among which `lost_a_race` looks."""

_MYSQL_RACES = {1205, 1213}  # lock wait timeout, deadlock
_POSTGRES_RACES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available


def lost_a_race(error: BaseException) -> bool:
    """Whether `error` means another transaction won a race, so the same work may succeed now."""
    if isinstance(error, ConcurrentChange | exc.IntegrityError):
        # Our tables' only constraints are keys: a duplicate is a concurrent writer's work.
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    if getattr(error.orig, "sqlstate", None) in _POSTGRES_RACES:
        return True
    # Not SQLite's "database is locked": every transaction there begins IMMEDIATE, so it means
    # that another process held the write lock for all of the busy timeout
    # (BUDGETGUARD_DATABASE_TIMEOUT): an outage to report, not a race to run again and again.
    # Nor a connection lost or timed out: the database did not answer.
    return mysql_error_code(error) in _MYSQL_RACES
