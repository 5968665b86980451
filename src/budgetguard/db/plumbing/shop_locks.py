"""Queue the requests that write one shop's rows, before their transactions begin (PostgreSQL).

In REPEATABLE READ, PostgreSQL takes a transaction's snapshot at its first statement; a request
that then waits for another one's row lock fails with a serialisation failure once that other
request commits. Sixty-four clients posting events for one shop would mostly fail and retry.
So on PostgreSQL a request first takes session advisory locks on its shops (hashed into
STRIPES stripes, so that a batch of 10,000 shops takes at most STRIPES locks), in ascending
order so that two requests never wait for each other in a circle; its transaction begins only
once it holds them and sees everything the previous holder committed. The locks are released
after the transaction, or by the server if the session dies.

On SQLite, where a database has one writer at a time, the requests of a process queue on one
lock per engine instead: SQLite's own busy handler would let them wait in sleeps of up to
100 ms, polling. MySQL/MariaDB need nothing (a locking read waits, then reads the newest row).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import exc, text
from sqlalchemy.engine import Connection, Engine

from budgetguard.domain.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

STRIPES = 256
# The first key of PostgreSQL's two-key advisory locks: budgetguard's shop locks ("bgsh").
NAMESPACE = 0x62677368

_LOCK = text(
    "SELECT pg_advisory_lock(:namespace, stripe) "
    "FROM (SELECT unnest(CAST(:stripes AS integer[])) AS stripe ORDER BY 1) AS ordered"
)
_UNLOCK = text(
    "SELECT pg_advisory_unlock(:namespace, stripe) "
    "FROM unnest(CAST(:stripes AS integer[])) AS stripe"
)


@contextmanager
def shop_locks(
    connection: Connection, shop_ids: Iterable[int], *, isolation: str | None
) -> Iterator[None]:
    """Hold the write locks of `shop_ids` for the block (PostgreSQL; SQLite: the one lock).

    The locks are taken and released outside any transaction (autocommit), which saves a COMMIT
    round trip each; the block's transactions then run at `isolation` (None: the default).
    """
    if connection.dialect.name == "sqlite":
        with _writer_lock(connection.engine):
            yield
        return
    if connection.dialect.name != "postgresql":
        yield
        return
    stripes = sorted({shop_id % STRIPES for shop_id in shop_ids})
    params = {"namespace": NAMESPACE, "stripes": stripes}
    _outside_transaction(connection, _LOCK, params)
    connection.execution_options(isolation_level=isolation or connection.default_isolation_level)
    try:
        yield
    finally:
        if not connection.invalidated:
            _release(connection, params)


_writer_locks: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()
_writer_waits: WeakKeyDictionary[Engine, float] = WeakKeyDictionary()
_writer_locks_guard = threading.Lock()
_UNBOUNDED = -1  # threading.Lock.acquire's "wait for ever"


def bound_writer_wait(engine: Engine, seconds: float) -> None:
    """Let a request of `engine` (SQLite) wait at most `seconds` for the process's write lock,
    as long as SQLite's busy timeout lets it wait for another process's."""
    _writer_waits[engine] = seconds


@contextmanager
def _writer_lock(engine: Engine) -> Iterator[None]:
    with _writer_locks_guard:
        lock = _writer_locks.setdefault(engine, threading.Lock())
    wait = _writer_waits.get(engine, _UNBOUNDED)
    if not lock.acquire(timeout=wait):
        raise DatabaseUnavailable(
            f"SQLite's write lock is still held after {wait:g} s (BUDGETGUARD_DATABASE_TIMEOUT)"
        )
    try:
        yield
    finally:
        lock.release()


def _outside_transaction(connection: Connection, statement: Any, params: dict[str, Any]) -> None:
    connection.execution_options(isolation_level="AUTOCOMMIT")
    connection.execute(statement, params)
    connection.commit()  # ends SQLAlchemy's bookkeeping; the database has nothing to commit


def _release(connection: Connection, params: dict[str, Any]) -> None:
    """Release the locks; if the session fails meanwhile, drop it instead of raising.

    The block's work has committed or failed by now, and its outcome is the answer: a
    connection lost just after a commit must not turn a stored event into an error. A dropped
    session's advisory locks are released by the server.
    """
    try:
        connection.rollback()
        _outside_transaction(connection, _UNLOCK, params)
    except exc.DBAPIError as error:
        # Never hand a session that may still hold the locks back to the pool.
        log.warning("releasing the shop locks failed, connection dropped: %s", error.orig)
        connection.invalidate()
