"""Use cases of the evaluation: every budget of a month (the sweep), and `check`.

The sweep holds the evaluation lock on one connection (one evaluation at a time per database).
It evaluates each shop for the month that contains the instant on the shop's clock: one pass
per such month (domain/shop_clock.month_passes; one, or two around a turn of the month), each
recorded as its own row of bg_evaluations. A pass splits its month into chunks of shops and
evaluates each chunk in one REPEATABLE READ transaction of its own, on
`BUDGETGUARD_EVALUATION_WORKERS` connections at once (db/evaluation/chunk.py says what a chunk
does); every statement of a pass takes the pass's parameters (shop_terms.pass_params).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection

from budgetguard.db.catalog import policies
from budgetguard.db.evaluation import records
from budgetguard.db.evaluation.chunk import evaluate_chunk
from budgetguard.db.evaluation.forecasts import forecast_params
from budgetguard.db.evaluation.predicates import Universe
from budgetguard.db.evaluation.recurring import recurring_params
from budgetguard.db.evaluation.scope import ChunkScope, Stamp
from budgetguard.db.evaluation.shop_terms import ShopTerms, mask_params, pass_params, shape
from budgetguard.db.evaluation.statements import evaluation_sql
from budgetguard.db.maintenance.prune import alerts_pruned_before
from budgetguard.db.plumbing.chunk_pool import ChunkPool
from budgetguard.db.plumbing.locks import evaluation_lock
from budgetguard.db.plumbing.statistics import StatisticsKeeper
from budgetguard.domain.delivery import DeliveryReport
from budgetguard.domain.errors import Conflict
from budgetguard.domain.evaluation import ChunkResult, EvaluationReport, Progress
from budgetguard.domain.period import Month
from budgetguard.domain.policy import PolicyDefaults
from budgetguard.domain.shop_clock import MonthPass, month_passes, zone_clock
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
    """Evaluate every shop's budget of the month containing `at` on the shop's clock; queue,
    pause and resume (SPEC §3, each shop with its own policy).

    Returns the passes' sum, named after the pass of the platform's month; `passes` lists each
    when there were several. `lock_timeout` overrides BUDGETGUARD_LOCK_TIMEOUT (the service
    waits less than cron).
    """
    settings = context.settings
    timeout = settings.lock_timeout if lock_timeout is None else lock_timeout
    reports: list[EvaluationReport] = []
    with (
        connection(context.engine, Isolation.DEFAULT) as lead,
        evaluation_lock(lead, timeout=timeout),
    ):
        plan = transaction(lead, lambda c: _plan(c, context, at), what="evaluation")
        for month_pass in plan.passes:
            reports.append(_evaluate_pass(context, lead, plan, month_pass, on_progress))
    return _summed(reports, plan)


@dataclass(frozen=True, slots=True)
class _Plan:
    """An evaluation's instant and its month passes, by the zones in use at its start (a shop
    whose zone changes during the sweep is evaluated by this plan: README "Time zones")."""

    at: datetime
    passes: list[MonthPass]


def _plan(connected: Connection, context: Context, at: datetime) -> _Plan:
    settings = context.settings
    defaults = settings.policy_defaults
    policies.ensure_bits(connected, defaults.thresholds, settings=defaults.thresholds)
    zones = policies.zones_in_use(connected)
    return _Plan(at, month_passes(at, settings.timezone, zones))


def _universe(connected: Connection, defaults: PolicyDefaults) -> tuple[Universe, dict[str, Any]]:
    """The universe of thresholds as the transaction reads it, and the settings' masks over it.

    Each chunk reads it in its own transaction, with the masks of the policies (a bit no policy
    uses may be reclaimed for another threshold between two chunks: db/catalog/policies); the
    statements are built once per universe.
    """
    bits = policies.ensure_bits(connected, defaults.thresholds, settings=defaults.thresholds)
    return tuple(sorted(bits.items())), mask_params(defaults, bits)


def _evaluate_pass(
    context: Context,
    lead: Connection,
    plan: _Plan,
    month_pass: MonthPass,
    on_progress: Progress | None,
) -> EvaluationReport:
    """One pass, recorded as its own evaluation."""
    settings = context.settings
    terms = pass_params(month_pass, settings.policy_defaults)
    terms |= forecast_params(min_days=settings.forecast_min_days)
    terms |= recurring_params(month_pass.month.first_day)
    report = transaction(
        lead, lambda c: _start(c, context, month_pass, plan.at, terms), what="evaluation"
    )
    try:
        _sweep(
            context,
            lead,
            report=report,
            plan=plan,
            month_pass=month_pass,
            terms=terms,
            on_progress=on_progress,
        )
    except BaseException:
        _record_failure(context, lead, report)
        raise
    transaction(lead, lambda c: _finish(c, context, report, "completed"), what="evaluation")
    return report


def _summed(reports: list[EvaluationReport], plan: _Plan) -> EvaluationReport:
    """The passes' reports as one, named after the pass of the platform's month."""
    main = next(r for r, p in zip(reports, plan.passes, strict=True) if p.holds_default)
    total = EvaluationReport(
        evaluation_id=main.evaluation_id,
        month=main.month,
        evaluated_at=plan.at,
        budgets=sum(r.budgets for r in reports),
    )
    for report in reports:
        total.add(report)
    total.passes = reports if len(reports) > 1 else []
    return total


def _sweep(
    context: Context,
    lead: Connection,
    *,
    report: EvaluationReport,
    plan: _Plan,
    month_pass: MonthPass,
    terms: dict[str, Any],
    on_progress: Progress | None,
) -> None:
    """Evaluate the pass chunk by chunk, each in its own transaction, on pooled connections."""
    settings, engine = context.settings, context.engine
    zones, every_zone = shape(month_pass)
    month, size = report.month, settings.chunk_size

    def work(connected: Connection, scope: ChunkScope, stamp: Stamp) -> ChunkResult:
        universe, masks = _universe(connected, settings.policy_defaults)
        sql = evaluation_sql(
            universe,
            engine.dialect.name,
            narrowed=False,
            zones=zones,
            every_zone=every_zone,
            forecasts=True,
        )
        scoped = replace(scope, terms={**scope.terms, **masks})
        result = evaluate_chunk(connected, sql, scoped, stamp)
        policies.same_universe(connected, dict(universe))
        return result

    def run(connected: Connection, scope: ChunkScope) -> ChunkResult:
        stamp = Stamp(report.evaluation_id, context.clock(), plan.at)
        return transaction(
            connected, lambda c: work(c, scope, stamp), what=f"evaluation of {month}"
        )

    chunks = transaction(lead, lambda c: records.chunks(c, month, size, terms), what="evaluation")
    statistics = StatisticsKeeper()
    pool = ChunkPool(
        engine, workers=settings.evaluation_workers, isolation=Isolation.SNAPSHOT.value
    )
    with pool:
        done = 0
        for chunk in pool.map(run, pool.spread(chunks)):
            report.add(chunk)
            report.budgets += chunk.created  # counted before the chunk created them
            statistics.wrote(lead, chunk.notifications)
            done = min(done + size, report.budgets)
            if on_progress is not None:
                on_progress(done, report.budgets)


def _start(
    connected: Connection,
    context: Context,
    month_pass: MonthPass,
    at: datetime,
    terms: dict[str, Any],
) -> EvaluationReport:
    now, month = context.clock(), month_pass.month
    if month < zone_clock(now, month_pass.default.zone).month:
        _refuse_pruned(connected, month)  # the current month's alerts are never pruned
    zones, every_zone = shape(month_pass)
    shop_terms = ShopTerms(zones, every_zone=every_zone)
    budgets = records.count_budgets(connected, month, shop_terms, terms)
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
