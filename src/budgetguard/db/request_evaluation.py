"""Evaluate a few budgets inside a request's transaction, with the sweep's own chunk unit.

A request that changes budgets (spend events, a new budget amount, a shop's online flag)
evaluates exactly those budgets before it commits, with `evaluate_scope`: the same statements
as a sweep's chunk, narrowed to the shops it touched. Each such evaluation is recorded as a row
of `bg_evaluations` (its id stamps the notifications and claims it writes), inserted in the
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

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from budgetguard.db.evaluation_sql import ChunkScope, EvaluationSql, Stamp
from budgetguard.db.evaluator import ChunkResult, evaluate_scope
from budgetguard.db.parts import in_parts
from budgetguard.db.tables import evaluations
from budgetguard.domain.period import Month
from budgetguard.domain.thresholds import ThresholdPolicy

SHOPS_PER_SCOPE = 500


def evaluate_budgets(
    connection: Connection,
    *,
    policy: ThresholdPolicy,
    month: Month,
    shop_ids: Iterable[int],
    now: datetime,
    zone: ZoneInfo,
) -> ChunkResult:
    """Evaluate the budgets of `shop_ids` for `month` in the caller's transaction."""
    ordered = sorted(set(shop_ids))
    evaluation_id = _record(connection, month, now, len(ordered))
    stamp = Stamp(evaluation_id, now, now.astimezone(zone).date())
    sql = EvaluationSql(policy, connection.dialect.name)
    total = ChunkResult()
    for part in in_parts(ordered, SHOPS_PER_SCOPE):
        only = part if len(part) > 1 else ()
        scope = ChunkScope(month.first_day, part[0] - 1, part[-1], only)
        chunk = evaluate_scope(connection, sql, scope, stamp)
        total.notifications += chunk.notifications
        total.paused += chunk.paused
        total.resumed += chunk.resumed
        total.skipped.extend(chunk.skipped)
    if total.notifications or total.skipped:
        connection.execute(
            update(evaluations)
            .where(evaluations.c.id == evaluation_id)
            .values(
                notifications=total.notifications,
                paused=total.paused,
                resumed=total.resumed,
                skipped=len(total.skipped),
            )
        )
    return total


def _record(connection: Connection, month: Month, now: datetime, budgets: int) -> int:
    row = {
        "month": month.first_day,
        "evaluated_at": now,
        "started_at": now,
        "finished_at": now,
        "outcome": "completed",
        "budgets": budgets,
    }
    key = connection.execute(insert(evaluations).values(**row)).inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new evaluation")
    return int(key[0])
