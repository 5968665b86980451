"""Run a unit of work in a transaction, again when a concurrent writer got in its way."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import exc
from sqlalchemy.engine import Connection

from budgetguard.domain.errors import ConcurrentChange

T = TypeVar("T")
log = logging.getLogger(__name__)

ATTEMPTS = 6
_MYSQL_RETRYABLE = {1205, 1213}  # lock wait timeout, deadlock
_POSTGRES_RETRYABLE = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available


def is_retryable(error: BaseException) -> bool:
    """Whether `error` means another transaction won a race, so the same work may succeed now."""
    if isinstance(error, ConcurrentChange | exc.IntegrityError):
        # Our tables' only constraints are keys: a duplicate is a concurrent writer's work.
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    orig = error.orig
    if getattr(orig, "sqlstate", None) in _POSTGRES_RETRYABLE:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in _MYSQL_RETRYABLE:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database is busy" in text


def in_transaction(connection: Connection, work: Callable[[], T], *, what: str) -> T:
    """Run `work` in a transaction on `connection`; on a lost race roll back and run it again."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with connection.begin():
                return work()
        except (ConcurrentChange, exc.IntegrityError, exc.OperationalError) as error:
            if attempt == ATTEMPTS or not is_retryable(error):
                raise
            log.info("%s: concurrent change (%s), retrying", what, type(error).__name__)
            time.sleep(random.uniform(0.005, 0.05) * attempt)  # noqa: S311 - jitter, not secrets
    raise AssertionError("unreachable")
