"""The evaluation lock: one evaluation at a time on a database, across processes and machines."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from budgetguard.domain.errors import EvaluationBusy

LOCK_NAME = "budgetguard.evaluate"
_POLL_SECONDS = 0.2
_MYSQL_WAIT_SECONDS = 1
# PostgreSQL advisory locks take a 64-bit key; derive a stable one from the name.
_PG_KEY = int.from_bytes(
    hashlib.blake2b(LOCK_NAME.encode(), digest_size=8).digest(), "big", signed=True
)


@contextmanager
def evaluation_lock(connection: Connection, *, timeout: float) -> Iterator[None]:
    """Hold the evaluation lock on `connection` (a session lock) for the block.

    MySQL/MariaDB: GET_LOCK; PostgreSQL: a session advisory lock. The server releases either
    when the session ends, so a killed evaluation never leaves the lock behind. SQLite needs
    none: every transaction there takes the database's write lock first (BEGIN IMMEDIATE).
    """
    dialect = connection.dialect.name
    if dialect == "sqlite":
        yield
        return
    if dialect == "postgresql":
        _acquire_postgres(connection, timeout)
        release = select(func.pg_advisory_unlock(_PG_KEY))
    else:
        _acquire_mysql(connection, timeout)
        release = select(func.release_lock(LOCK_NAME))
    try:
        yield
    finally:
        if not connection.invalidated:
            connection.execute(release)
            connection.commit()


def _acquire_postgres(connection: Connection, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        acquired = connection.execute(select(func.pg_try_advisory_lock(_PG_KEY))).scalar_one()
        connection.commit()
        if acquired:
            return
        if time.monotonic() >= deadline:
            raise _busy(timeout)
        time.sleep(_POLL_SECONDS)


def _acquire_mysql(connection: Connection, timeout: float) -> None:
    # GET_LOCK waits in the server, a second at a time: one long wait would outlast the
    # connection's read timeout (BUDGETGUARD_DATABASE_TIMEOUT) and be taken for an outage.
    deadline = time.monotonic() + timeout
    while True:
        wait = max(0, min(_MYSQL_WAIT_SECONDS, math.ceil(deadline - time.monotonic())))
        acquired = connection.execute(select(func.get_lock(LOCK_NAME, wait))).scalar()
        connection.commit()
        if acquired == 1:
            return
        if time.monotonic() >= deadline:
            raise _busy(timeout)


def _busy(timeout: float) -> EvaluationBusy:
    return EvaluationBusy(
        f"another evaluation has held the evaluation lock for more than {timeout:g} s "
        "(BUDGETGUARD_LOCK_TIMEOUT)"
    )
