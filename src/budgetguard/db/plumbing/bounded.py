"""A psycopg 3 connection that waits a bounded time for every answer from the server.

psycopg has no read timeout. libpq's `tcp_user_timeout` and TCP keepalives do not help when the
link is silent but something on the way still acknowledges the bytes (a proxy, a load balancer,
a NAT that lost its state): the kernel sees a healthy connection, and a query waits forever.
`statement_timeout` is the server's, and a server that is not reached never applies it.

Every network wait of a synchronous psycopg connection (execute, fetch, commit, rollback,
setting the isolation level) goes through `Connection.wait`, which takes a timeout; this class
gives it one by default. When it expires the connection's state is unknown (a query may or may
not have run), so the connection is closed: SQLAlchemy then sees it `closed` and drops it from
its pool instead of handing it to the next request.
"""

from __future__ import annotations

from typing import TypeVar

import psycopg
from psycopg import errors
from psycopg.abc import PQGen
from psycopg.rows import TupleRow

RV = TypeVar("RV")
_INTERVAL = 0.1  # psycopg's own: how often a wait wakes to let Ctrl-C through


class BoundedConnection(psycopg.Connection[TupleRow]):
    """A psycopg connection whose waits for the server end after `answer_timeout` seconds
    (None: no bound, for migrations)."""

    answer_timeout: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = _INTERVAL, timeout: float | None = None) -> RV:
        bound = self.answer_timeout if timeout is None else timeout
        try:
            return super().wait(gen, interval, bound)
        # _WaitTimeout: what psycopg raises when the timeout of a wait expires.
        except errors._WaitTimeout:
            self.close()
            raise psycopg.OperationalError(
                f"no answer from the database within {bound:g} s (BUDGETGUARD_DATABASE_TIMEOUT)"
            ) from None
