"""Queue the requests that write one shop's rows, before their transactions begin (PostgreSQL).

In REPEATABLE READ, PostgreSQL takes a transaction's snapshot at its first statement; a request
that then waits for another one's row lock fails with a serialisation failure once that other
request commits. Sixty-four clients posting events for one shop would mostly fail and retry.
So on PostgreSQL a request first takes session advisory locks on its shops (hashed into
STRIPES stripes, so that a batch of 10,000 shops takes at most STRIPES locks), in ascending
order so that two requests never wait for each other in a circle; its transaction begins only
once it holds them and sees everything the previous holder committed. The locks are released
after the transaction, or by the server if the session dies.

MySQL/MariaDB need none (a locking read waits and then reads the newest row) and neither does
SQLite (one writer at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import exc, text
from sqlalchemy.engine import Connection

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
def shop_locks(connection: Connection, shop_ids: Iterable[int]) -> Iterator[None]:
    """Hold the write locks of `shop_ids` for the block (PostgreSQL; elsewhere nothing)."""
    if connection.dialect.name != "postgresql":
        yield
        return
    stripes = sorted({shop_id % STRIPES for shop_id in shop_ids})
    params = {"namespace": NAMESPACE, "stripes": stripes}
    connection.execute(_LOCK, params)
    connection.commit()
    try:
        yield
    finally:
        if not connection.invalidated:
            _release(connection, params)


def _release(connection: Connection, params: dict[str, object]) -> None:
    try:
        connection.rollback()
        connection.execute(_UNLOCK, params)
        connection.commit()
    except exc.DBAPIError:
        # Never hand a session that may still hold the locks back to the pool.
        connection.invalidate()
        raise
