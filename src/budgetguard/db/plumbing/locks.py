"""Session locks: one evaluation (or one prune) at a time on a database, across processes and
machines."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from budgetguard.domain.errors import BudgetguardError, EvaluationBusy

LOCK_NAME = "budgetguard.evaluate"
PRUNE_LOCK_NAME = "budgetguard.prune"
_POLL_SECONDS = 0.2
_MYSQL_WAIT_SECONDS = 1
_MYSQL_NAME_LIMIT = 64
Busy = Callable[[float], BudgetguardError]
"""Makes the error raised when the lock stayed taken for the timeout (seconds)."""


def _pg_key(name: str) -> int:
    """PostgreSQL advisory locks take a 64-bit key; derive a stable one from the name."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


@contextmanager
def evaluation_lock(connection: Connection, *, timeout: float) -> Iterator[None]:
    """Hold the evaluation lock on `connection` (a session lock) for the block.

    MySQL/MariaDB: GET_LOCK; PostgreSQL: a session advisory lock. The server releases either
    when the session ends, so a killed evaluation never leaves the lock behind. SQLite needs
    none: every transaction there takes the database's write lock first (BEGIN IMMEDIATE).
    """
    with session_lock(connection, LOCK_NAME, timeout=timeout, busy=_busy):
        yield


@contextmanager
def session_lock(
    connection: Connection,
    name: str,
    *,
    timeout: float,
    busy: Busy,
) -> Iterator[None]:
    """Hold the session lock `name` on `connection` for the block (none on SQLite); raise
    `busy(timeout)` when another session held it for `timeout` seconds."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        yield
        return
    if dialect == "postgresql":
        key = _pg_key(name)
        _acquire_postgres(connection, key, timeout, busy)
        release = select(func.pg_advisory_unlock(key))
    else:
        name = _mysql_name(connection, name)
        _acquire_mysql(connection, name, timeout, busy)
        release = select(func.release_lock(name))
    try:
        yield
    finally:
        if not connection.invalidated:
            connection.execute(release)
            connection.commit()


def _mysql_name(connection: Connection, name: str) -> str:
    """The lock's name on this database: GET_LOCK's names are the server's, not a database's
    (PostgreSQL's advisory locks are per database), and two budgetguards on two databases of
    one server must not wait for each other. At most 64 characters, as MySQL requires."""
    database = connection.engine.url.database or ""
    full = f"{name}.{database}"
    if len(full) <= _MYSQL_NAME_LIMIT:
        return full
    return f"{name}.{hashlib.blake2b(database.encode(), digest_size=12).hexdigest()}"


def _acquire_postgres(connection: Connection, key: int, timeout: float, busy: Busy) -> None:
    deadline = time.monotonic() + timeout
    while True:
        acquired = connection.execute(select(func.pg_try_advisory_lock(key))).scalar_one()
        connection.commit()
        if acquired:
            return
        if time.monotonic() >= deadline:
            raise busy(timeout)
        time.sleep(_POLL_SECONDS)


def _acquire_mysql(connection: Connection, name: str, timeout: float, busy: Busy) -> None:
    # GET_LOCK waits in the server, a second at a time: one long wait would outlast the
    # connection's read timeout (BUDGETGUARD_DATABASE_TIMEOUT) and be taken for an outage.
    deadline = time.monotonic() + timeout
    while True:
        wait = max(0, min(_MYSQL_WAIT_SECONDS, math.ceil(deadline - time.monotonic())))
        acquired = connection.execute(select(func.get_lock(name, wait))).scalar()
        connection.commit()
        if acquired == 1:
            return
        if time.monotonic() >= deadline:
            raise busy(timeout)


def _busy(timeout: float) -> EvaluationBusy:
    return EvaluationBusy(
        f"another evaluation has held the evaluation lock for more than {timeout:g} s "
        "(BUDGETGUARD_LOCK_TIMEOUT)"
    )
