"""Use cases of the evaluation: every budget of a month (the sweep), and `check`.

The sweep holds the evaluation lock on one connection (one evaluation at a time per database),
records itself in bg_evaluations, splits the month into chunks of shops and evaluates each
chunk in one REPEATABLE READ transaction of its own, on `BUDGETGUARD_EVALUATION_WORKERS`
connections at once (db/evaluation/chunk.py says what a chunk does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exc
from sqlalchemy.engine import Connection

from budgetguard.db.evaluation import records
from budgetguard.db.evaluation.chunk import evaluate_chunk
from budgetguard.db.evaluation.scope import ChunkScope, Stamp
from budgetguard.db.evaluation.statements import evaluation_sql
from budgetguard.db.maintenance.prune import alerts_pruned_before
from budgetguard.db.plumbing.chunk_pool import ChunkPool
from budgetguard.db.plumbing.locks import evaluation_lock
from budgetguard.db.plumbing.statistics import StatisticsKeeper
from budgetguard.domain.delivery import DeliveryReport
from budgetguard.domain.errors import Conflict
from budgetguard.domain.evaluation import ChunkResult, EvaluationReport, Progress
from budgetguard.domain.period import Month
from budgetguard.services.database import open_database
from budgetguard.services.deliveries import Delivery, deliver_queued
from budgetguard.services.uow import Context, Isolation, connection, transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What `check` did: the evaluation, then the delivery of what was due."""

    evaluation: EvaluationReport
    delivery: DeliveryReport


def run_check(
    *, context: Context, at: datetime, delivery: Delivery, on_progress: Progress | None = None
) -> CheckReport:
    """Evaluate every budget of the month containing `at`, then deliver what is due."""
    open_database(context=context)
    evaluation = evaluate_month(context=context, at=at, on_progress=on_progress)
    return CheckReport(evaluation, deliver_queued(context=context, delivery=delivery))


def evaluate_month(
    *,
    context: Context,
    at: datetime,
    on_progress: Progress | None = None,
    lock_timeout: float | None = None,
) -> EvaluationReport:
    """Evaluate every budget of the month containing `at`; queue, pause and resume (SPEC §3).

    `lock_timeout` overrides BUDGETGUARD_LOCK_TIMEOUT (the service waits less than cron).
    """
    settings = context.settings
    month = Month.containing(at, settings.zone)
    timeout = settings.lock_timeout if lock_timeout is None else lock_timeout
    with (
        connection(context.engine, Isolation.DEFAULT) as lead,
        evaluation_lock(lead, timeout=timeout),
    ):
        report = transaction(lead, lambda c: _start(c, context, month, at), what="evaluation")
        try:
            _sweep(context, lead, report, on_progress)
        except BaseException:
            _record_failure(context, lead, report)
            raise
        transaction(lead, lambda c: _finish(c, context, report, "completed"), what="evaluation")
    return report


def _sweep(
    context: Context, lead: Connection, report: EvaluationReport, on_progress: Progress | None
) -> None:
    """Evaluate the month chunk by chunk, each in its own transaction, on pooled connections."""
    settings, engine = context.settings, context.engine
    sql = evaluation_sql(settings.policy, engine.dialect.name, narrowed=False)
    month, size = report.month, settings.chunk_size
    today = report.evaluated_at.astimezone(settings.zone).date()

    def run(connected: Connection, scope: ChunkScope) -> ChunkResult:
        stamp = Stamp(report.evaluation_id, context.clock(), today)
        return transaction(
            connected, lambda c: evaluate_chunk(c, sql, scope, stamp), what=f"evaluation of {month}"
        )

    plan = transaction(lead, lambda c: records.chunks(c, month, size), what="evaluation")
    statistics = StatisticsKeeper()
    pool = ChunkPool(
        engine, workers=settings.evaluation_workers, isolation=Isolation.SNAPSHOT.value
    )
    with pool:
        done = 0
        for chunk in pool.map(run, pool.spread(plan)):
            report.add(chunk)
            statistics.wrote(lead, chunk.notifications)
            done = min(done + size, report.budgets)
            if on_progress is not None:
                on_progress(done, report.budgets)


def _start(connected: Connection, context: Context, month: Month, at: datetime) -> EvaluationReport:
    now = context.clock()
    if month < Month.containing(now, context.settings.zone):
        _refuse_pruned(connected, month)  # the current month's alerts are never pruned
    budgets = records.count_budgets(connected, month)
    evaluation_id = records.start(connected, month=month, at=at, now=now)
    abandoned = records.abandon_running(connected, before=evaluation_id, now=now)
    if abandoned:
        log.warning("%d earlier evaluation(s) never finished (killed?): abandoned", abandoned)
    return EvaluationReport(
        evaluation_id=evaluation_id, month=month, evaluated_at=at, budgets=budgets
    )


def _refuse_pruned(connected: Connection, month: Month) -> None:
    """Refuse a month whose alerts `db prune` may have removed: evaluated again, its crossings
    would be notified a second time (a month's alerts are kept while it can matter)."""
    kept_from = alerts_pruned_before(connected)
    if kept_from is not None and month.first_day < kept_from:
        raise Conflict(
            f"the alerts of months before {Month.of(kept_from)} were pruned (`budgetguard db "
            f"prune`): evaluating {month} again would notify its crossings a second time"
        )


def _finish(
    connected: Connection, context: Context, report: EvaluationReport, outcome: str
) -> None:
    records.finish(connected, report, now=context.clock(), outcome=outcome)


def _record_failure(context: Context, lead: Connection, report: EvaluationReport) -> None:
    """Mark the evaluation failed where the database still answers; the cause is raised anyway."""
    if lead.invalidated:
        return
    try:
        lead.rollback()
        transaction(lead, lambda c: _finish(c, context, report, "failed"), what="evaluation")
    except exc.DBAPIError as error:
        log.debug("could not record the failed evaluation %s: %s", report.evaluation_id, error)
