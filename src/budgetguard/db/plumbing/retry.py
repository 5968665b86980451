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
    if mysql_error_code(error) in _MYSQL_RACES:
        return True
    text = str(error.orig).lower()
    return "database is locked" in text or "database is busy" in text
