"""One evaluation of every budget of a month, chunk by chunk, each chunk one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import exc, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from budgetguard.db.chunk_pool import ChunkPool
from budgetguard.db.evaluation_sql import ChunkScope, EvaluationSql, Stamp
from budgetguard.db.locks import evaluation_lock
from budgetguard.db.retry import in_transaction
from budgetguard.db.statistics import StatisticsKeeper
from budgetguard.db.tables import budgets, evaluations
from budgetguard.domain.errors import ConcurrentChange
from budgetguard.domain.money import unusable_reason
from budgetguard.domain.period import Month
from budgetguard.domain.thresholds import ThresholdPolicy

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]
"""Called after each chunk with (budget rows done, budget rows in the month)."""


@dataclass(frozen=True, slots=True)
class SkippedBudget:
    shop_id: int
    month: Month
    reason: str


@dataclass
class EvaluationReport:
    """What one evaluation did."""

    evaluation_id: int
    month: Month
    evaluated_at: datetime
    budgets: int = 0
    notifications: int = 0
    paused: int = 0
    resumed: int = 0
    skipped: list[SkippedBudget] = field(default_factory=list)

    def add(self, chunk: ChunkResult) -> None:
        self.notifications += chunk.notifications
        self.paused += chunk.paused
        self.resumed += chunk.resumed
        self.skipped.extend(chunk.skipped)


@dataclass
class ChunkResult:
    notifications: int = 0
    paused: int = 0
    resumed: int = 0
    skipped: list[SkippedBudget] = field(default_factory=list)


def evaluate(
    *,
    engine: Engine,
    policy: ThresholdPolicy,
    at: datetime,
    zone: ZoneInfo,
    clock: Clock,
    chunk_size: int,
    lock_timeout: float,
    workers: int = 1,
    on_progress: Progress | None = None,
) -> EvaluationReport:
    """Evaluate every budget of the month containing `at` (SPEC §3); return what happened.

    The connection that holds the evaluation lock plans the chunks; `workers` connections of
    their own evaluate them, each chunk in one transaction.
    """
    month = Month.containing(at, zone)
    today = at.astimezone(zone).date()
    sql = EvaluationSql(policy, engine.dialect.name)
    # One view of the budgets for every statement of a chunk (see evaluation_sql).
    isolation = None if engine.dialect.name == "sqlite" else "REPEATABLE READ"

    def run(connection: Connection, scope: ChunkScope) -> ChunkResult:
        stamp = Stamp(report.evaluation_id, clock(), today)
        work = partial(_evaluate_chunk, connection, sql, scope, stamp)
        return in_transaction(connection, work, what=f"evaluation of {month}")

    with engine.connect() as connection, evaluation_lock(connection, timeout=lock_timeout):
        report = _start(connection, month=month, at=at, clock=clock)
        statistics = StatisticsKeeper()
        try:
            with ChunkPool(engine, workers=workers, isolation=isolation) as pool:
                done = 0
                for chunk in pool.map(run, list(_chunks(connection, month, chunk_size))):
                    report.add(chunk)
                    statistics.wrote(connection, chunk.notifications)
                    done = min(done + chunk_size, report.budgets)
                    if on_progress is not None:
                        on_progress(done, report.budgets)
        except BaseException:
            _record_failure(connection, report, clock)
            raise
        _finish(connection, report, clock=clock, outcome="completed")
    return report


def _evaluate_chunk(
    connection: Connection, sql: EvaluationSql, scope: ChunkScope, stamp: Stamp
) -> ChunkResult:
    result = ChunkResult()
    if not scope_needs_work(connection, sql, scope, result.skipped):
        return result  # nothing to change: the common, cheap case
    change_scope(connection, sql, scope, stamp, result)
    return result


def scope_needs_work(
    connection: Connection, sql: EvaluationSql, scope: ChunkScope, skipped: list[SkippedBudget]
) -> bool:
    """Whether an alert, claim or online flag of `scope` must change; add its unusable budget
    rows to `skipped` (with a warning). The first half of a chunk's evaluation."""
    work = False
    for shop_id, budget, spent, usable in connection.execute(sql.findings(scope)):
        if usable:
            work = True
            continue
        reason = unusable_reason(budget=budget, spent=spent) or "unusable amounts"
        month = scope.evaluated_month()
        skipped.append(SkippedBudget(shop_id, month, reason))
        log.warning("skipping the budget of shop %s for %s: %s", shop_id, month, reason)
    if not work:
        work = connection.execute(sql.claims_set_online(scope).limit(1)).first() is not None
    return work


def change_scope(
    connection: Connection,
    sql: EvaluationSql,
    scope: ChunkScope,
    stamp: Stamp,
    result: ChunkResult,
) -> None:
    """Re-arm, resume, fire and pause what `scope` needs, in the caller's transaction; count
    it in `result`. The second half of a chunk's evaluation (after scope_needs_work)."""
    connection.execute(sql.release_claims(scope))
    connection.execute(sql.rearm(scope))
    result.resumed = _resume(connection, sql, scope, stamp)
    fired, result.paused = _fire(connection, sql, scope, stamp)
    result.notifications = fired + result.resumed


def _resume(connection: Connection, sql: EvaluationSql, scope: ChunkScope, stamp: Stamp) -> int:
    resumed = connection.execute(sql.queue_resumes(scope, stamp)).rowcount
    if resumed:
        _expect(connection.execute(sql.resume_shops(scope)).rowcount, resumed, "resumed")
        connection.execute(sql.release_claims(scope))  # the resumed shops are online now
    return resumed


def _fire(
    connection: Connection, sql: EvaluationSql, scope: ChunkScope, stamp: Stamp
) -> tuple[int, int]:
    # Order matters: notifications and claims read which thresholds fire before the alerts
    # record them, and the claims say which shops to take offline.
    fired = connection.execute(sql.queue_threshold_notifications(scope, stamp)).rowcount
    if not fired:
        return 0, 0
    paused = connection.execute(sql.record_pauses(scope, stamp)).rowcount
    connection.execute(sql.record_alerts(scope, stamp))
    if paused:
        _expect(connection.execute(sql.pause_shops(scope, stamp)).rowcount, paused, "paused")
    return fired, paused


def _expect(changed: int, expected: int, what: str) -> None:
    if changed != expected:
        # A shop's online flag changed under this transaction: decide again.
        raise ConcurrentChange(f"{what}: {changed} shops changed, {expected} expected")


def _chunks(connection: Connection, month: Month, size: int) -> Iterator[ChunkScope]:
    """Split shop ids into ranges of `size` budget rows of `month` each (the last: the rest)."""
    after: int | None = None
    while True:
        query = (
            select(budgets.c.a_shop_id)
            .where(budgets.c.a_month == month.first_day)
            # MariaDB otherwise walks the index from the month's first entry every time.
            .with_hint(budgets, "FORCE INDEX (ix_t_budgets_month_shop)", "mysql")
            .with_hint(budgets, "FORCE INDEX (ix_t_budgets_month_shop)", "mariadb")
        )
        if after is not None:
            query = query.where(budgets.c.a_shop_id > after)
        upto = connection.execute(
            query.order_by(budgets.c.a_shop_id).offset(size - 1).limit(1)
        ).scalar()
        connection.commit()
        yield ChunkScope(month.first_day, after, upto)
        if upto is None:
            return
        after = upto


def _start(connection: Connection, *, month: Month, at: datetime, clock: Clock) -> EvaluationReport:
    total = connection.execute(
        select(func.count()).where(budgets.c.a_month == month.first_day)
    ).scalar_one()
    row = {
        "month": month.first_day,
        "evaluated_at": at,
        "started_at": clock(),
        "outcome": "running",
    }
    key = connection.execute(insert(evaluations).values(**row)).inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new evaluation")
    connection.commit()
    return EvaluationReport(
        evaluation_id=int(key[0]), month=month, evaluated_at=at, budgets=int(total)
    )


def _finish(
    connection: Connection, report: EvaluationReport, *, clock: Clock, outcome: str
) -> None:
    counts = {
        "budgets": report.budgets,
        "notifications": report.notifications,
        "paused": report.paused,
        "resumed": report.resumed,
        "skipped": len(report.skipped),
    }
    connection.execute(
        update(evaluations)
        .where(evaluations.c.id == report.evaluation_id)
        .values(finished_at=clock(), outcome=outcome, **counts)
    )
    connection.commit()


def _record_failure(connection: Connection, report: EvaluationReport, clock: Clock) -> None:
    """Mark the evaluation failed where the database still answers; the cause is raised anyway."""
    if connection.invalidated:
        return
    try:
        connection.rollback()
        _finish(connection, report, clock=clock, outcome="failed")
    except exc.DBAPIError as error:
        log.debug("could not record the failed evaluation %s: %s", report.evaluation_id, error)
