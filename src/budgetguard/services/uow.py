"""The one unit of work: how every use case opens a connection, begins, retries and commits.

Two kinds of transaction, chosen by the use case:
* `Isolation.SNAPSHOT` (REPEATABLE READ): every statement of the transaction reads the same
  budgets — the evaluation's chunks, and the requests that change budgets and evaluate them
  (db/evaluation/request.py says why that is enough);
* `Isolation.DEFAULT`: the engine's own (READ COMMITTED on MySQL/MariaDB and PostgreSQL), for
  short writes that read nothing they depend on across statements: contacts, delivery records.
SQLite's transactions are serial whatever is asked (BEGIN IMMEDIATE).

Either way, a transaction that loses a race to a concurrent writer (a deadlock, a serialisation
failure, a duplicate key) is rolled back and run again, up to ATTEMPTS times: the work function
must therefore be safe to run twice, which it is when it only talks to the database through its
connection. A database that does not answer within BUDGETGUARD_DATABASE_TIMEOUT (a lost or
silent connection, SQLite's write lock held elsewhere for all of it) is an outage, raised at
once: waiting it out ATTEMPTS times would only make the caller wait that many times as long.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine

from budgetguard.config import Settings
from budgetguard.db.plumbing.dialects import set_isolation
from budgetguard.db.plumbing.engine import first_line
from budgetguard.db.plumbing.retry import RACES, lost_a_race
from budgetguard.db.plumbing.sealing import with_keyring
from budgetguard.db.plumbing.shop_locks import shop_locks
from budgetguard.domain.clock import Clock, utc_now

T = TypeVar("T")
log = logging.getLogger(__name__)

# Twelve: under a busy platform (its own updates of t_budgets in a tight loop) on a starved CPU, a
# PostgreSQL snapshot transaction lost six races in a row (a 503 for a recoverable conflict);
# twelve, with the growing jittered pause below (at most 3.3 s in all), held in the same test.
ATTEMPTS = 12


class Isolation(Enum):
    """How much of the database a transaction's statements see as one."""

    DEFAULT = None
    SNAPSHOT = "REPEATABLE READ"


@dataclass(frozen=True)
class Context:
    """Everything a use case needs: the settings, the database engine, and the clock."""

    settings: Settings
    engine: Engine
    clock: Clock = field(default=utc_now)

    def close(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()


@contextmanager
def connection(engine: Engine, isolation: Isolation) -> Iterator[Connection]:
    """A connection whose transactions run at `isolation`.

    Returning it to the pool resets it (a rollback, the isolation level set back): should that
    fail, the connection is dropped and the failure logged, never raised. The block's work is
    done by then, committed or not, and its outcome is the answer: a spend event committed
    just before the link broke is acknowledged, not answered with an error.
    """
    connected = engine.connect()
    try:
        set_isolation(connected, isolation.value)
        yield connected
    finally:
        _return_to_pool(connected)


def _return_to_pool(connected: Connection) -> None:
    try:
        connected.close()
    except Exception as error:  # the pool may raise the driver's own errors, unwrapped
        log.warning("returning a connection to the pool failed, dropped: %s", first_line(error))
        with suppress(Exception):
            connected.invalidate()


@contextmanager
def reading(context: Context) -> Iterator[Connection]:
    """A connection for reads; what it reads is not held after the block."""
    with connection(context.engine, Isolation.DEFAULT) as connected:
        yield with_keyring(connected, context.settings.keyring)


def transaction(connected: Connection, work: Callable[[Connection], T], *, what: str) -> T:
    """Run `work` in a transaction on `connected` and commit; on a lost race roll back and run
    it again."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with connected.begin():
                return work(connected)
        except RACES as error:
            if attempt == ATTEMPTS or not lost_a_race(error):
                raise
            log.info("%s: concurrent change (%s), retrying", what, type(error).__name__)
            time.sleep(random.uniform(0.005, 0.05) * attempt)  # noqa: S311 - jitter, not secrets
    raise AssertionError("unreachable")


def write(
    context: Context,
    work: Callable[[Connection], T],
    *,
    what: str,
    isolation: Isolation = Isolation.DEFAULT,
    shops: Collection[int] = (),
) -> T:
    """Run `work` in one transaction of its own (see `transaction`).

    `shops`: the shops whose rows the work writes; requests for the same shops queue before
    their transactions begin (db/plumbing/shop_locks.py).
    """
    with connection(context.engine, isolation) as connected:
        with_keyring(connected, context.settings.keyring)  # contacts are sealed and opened with it
        if not shops:
            return transaction(connected, work, what=what)
        with shop_locks(connected, shops, isolation=isolation.value):
            return transaction(connected, work, what=what)
