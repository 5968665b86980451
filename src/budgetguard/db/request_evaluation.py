"""Evaluate a few budgets inside a request's transaction, with the sweep's own chunk unit.

A request that changes budgets (spend events, a new budget amount, a shop's online flag)
evaluates exactly those budgets before it commits, with the sweep's own chunk unit
(`scope_needs_work`, then `change_scope`): the same statements, over a scope narrowed to the
shops it touched. An evaluation that changes something is recorded as a row of
`bg_evaluations` (its id stamps the notifications and claims it writes), inserted in the
request's transaction, so it exists exactly when the request's changes do.

Why every statement sees the same budgets (what the sweep gets from REPEATABLE READ): the
request has locked the shop and budget rows first (SELECT … FOR UPDATE) and runs in
REPEATABLE READ too —
* PostgreSQL: one snapshot for the transaction, taken by that first locking read; a concurrent
  writer of the same rows (the platform, the sweep, another replica) makes our write fail with
  a serialisation failure, and the request runs again (db/retry.py). Requests for the same
  shop, from any replica, queue on an advisory lock before they begin (db/shop_locks.py), so
  they do not fail each other;
* MySQL/MariaDB: the first locking read waits for any writer of those rows and reads the newest
  version; InnoDB creates the read view at the first plain read, after the locks are held, and
  every INSERT … SELECT and joined UPDATE of the evaluation is a locking read of current rows;
* SQLite: every transaction is BEGIN IMMEDIATE, so there is one writer at a time.
The primary key of bg_alerts stays the last line, as for the sweep.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, Select, bindparam, update
from sqlalchemy.engine import Connection

from budgetguard.db.evaluation_sql import ChunkScope, EvaluationSql, Stamp
from budgetguard.db.evaluator import ChunkResult, change_scope, scope_needs_work
from budgetguard.db.parts import in_parts
from budgetguard.db.tables import evaluations
from budgetguard.domain.period import Month
from budgetguard.domain.thresholds import ThresholdPolicy

SHOPS_PER_SCOPE = 500

# One budget is evaluated with ChunkScope(month, shop_id - 1, shop_id). Building the findings
# statement costs about a millisecond of Python per request, so a request evaluates one budget
# through ONE scope whose month and bounds are bind parameters read at execution time (from
# `_bounds`, set for the duration of the evaluation): the statements over it are built and
# compiled once per process.
_bounds: ContextVar[tuple[date, int, int]] = ContextVar("request_scope")


def _bound(name: str, index: int, type_: Any) -> Any:
    return bindparam(name, type_=type_, callable_=lambda: _bounds.get()[index])


@dataclass(frozen=True, slots=True)
class _BoundScope(ChunkScope):
    def evaluated_month(self) -> Month:
        return Month.of(_bounds.get()[0])


ONE_BUDGET = _BoundScope(
    cast(date, _bound("scope_month", 0, Date())),
    cast(int, _bound("scope_after", 1, Integer())),
    cast(int, _bound("scope_upto", 2, Integer())),
)


class _RequestSql(EvaluationSql):
    """The evaluation's statements, with the two that every request runs built only once."""

    def __init__(self, policy: ThresholdPolicy, dialect: str) -> None:
        super().__init__(policy, dialect)
        self._findings = super().findings(ONE_BUDGET)
        self._claims = super().claims_set_online(ONE_BUDGET)

    def findings(self, scope: ChunkScope) -> Select[Any, Any, Any, int]:
        return self._findings if scope is ONE_BUDGET else super().findings(scope)

    def claims_set_online(self, scope: ChunkScope) -> Select[int]:
        return self._claims if scope is ONE_BUDGET else super().claims_set_online(scope)


@cache
def _sql(policy: ThresholdPolicy, dialect: str) -> _RequestSql:
    return _RequestSql(policy, dialect)


def evaluate_budgets(
    connection: Connection,
    *,
    policy: ThresholdPolicy,
    month: Month,
    shop_ids: Iterable[int],
    now: datetime,
    zone: ZoneInfo,
) -> ChunkResult:
    """Evaluate the budgets of `shop_ids` for `month` in the caller's transaction.

    The evaluation is recorded in bg_evaluations only when it changes something (its id then
    stamps what it writes), so the usual request, which changes nothing, writes no row there.
    """
    ordered = sorted(set(shop_ids))
    sql = _sql(policy, connection.dialect.name)
    total = ChunkResult()
    stamp: Stamp | None = None
    for part in in_parts(ordered, SHOPS_PER_SCOPE):
        with _scope_of(month, part, connection.dialect.name) as scope:
            if not scope_needs_work(connection, sql, scope, total.skipped):
                continue
            if stamp is None:
                stamp = Stamp(_record(connection, month, now), now, now.astimezone(zone).date())
            chunk = ChunkResult()
            change_scope(connection, sql, scope, stamp, chunk)
        total.notifications += chunk.notifications
        total.paused += chunk.paused
        total.resumed += chunk.resumed
    if stamp is not None:
        _count(connection, stamp.evaluation_id, total, len(ordered))
    return total


@contextmanager
def _scope_of(month: Month, part: tuple[int, ...], dialect: str) -> Iterator[ChunkScope]:
    if len(part) > 1:
        yield ChunkScope(month.first_day, part[0] - 1, part[-1], only=part, dialect=dialect)
        return
    token = _bounds.set((month.first_day, part[0] - 1, part[0]))
    try:
        yield ONE_BUDGET
    finally:
        _bounds.reset(token)


def _record(connection: Connection, month: Month, now: datetime) -> int:
    row = {
        "month": month.first_day,
        "evaluated_at": now,
        "started_at": now,
        "finished_at": now,
        "outcome": "completed",
    }
    key = connection.execute(evaluations.insert(), row).inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new evaluation")
    return int(key[0])


def _count(connection: Connection, evaluation_id: int, total: ChunkResult, budgets: int) -> None:
    connection.execute(
        update(evaluations)
        .where(evaluations.c.id == evaluation_id)
        .values(
            budgets=budgets,
            notifications=total.notifications,
            paused=total.paused,
            resumed=total.resumed,
            skipped=len(total.skipped),
        )
    )
