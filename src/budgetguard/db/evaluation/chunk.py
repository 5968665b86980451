"""The evaluation of one scope of budgets, in the caller's transaction: first whether anything
must change (cheap, and the common answer is no), then every change, in an order that matters.

The sweep (services/evaluation.py) runs it over each chunk of a month; a request that changed
budgets (request.py) over exactly those.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Connection

from budgetguard.db.evaluation.forecasts import fire_forecasts, forecast_sql
from budgetguard.db.evaluation.history import history_sql, record_history
from budgetguard.db.evaluation.recurring import create_recurring_budgets, recurring_sql
from budgetguard.db.evaluation.scope import ChunkScope, Stamp
from budgetguard.db.evaluation.statements import EvaluationSql
from budgetguard.domain.errors import ConcurrentChange
from budgetguard.domain.evaluation import ChunkResult, SkippedBudget
from budgetguard.domain.money import unusable_reason

log = logging.getLogger(__name__)


def needs_work(
    connection: Connection, sql: EvaluationSql, scope: ChunkScope, skipped: list[SkippedBudget]
) -> bool:
    """Whether an alert, claim or online flag of `scope` must change; add its unusable budget
    rows to `skipped` (with a warning)."""
    params = scope.params()
    work = False
    for shop_id, budget, spent, usable in connection.execute(sql.findings, params):
        if usable:
            work = True
            continue
        reason = unusable_reason(budget=budget, spent=spent) or "unusable amounts"
        month = scope.evaluated_month
        skipped.append(SkippedBudget(shop_id, month, reason))
        log.warning("skipping the budget of shop %s for %s: %s", shop_id, month, reason)
    if not work:
        work = connection.execute(sql.claims_set_online, params).first() is not None
    return work


def change(
    connection: Connection, sql: EvaluationSql, scope: ChunkScope, stamp: Stamp
) -> ChunkResult:
    """Re-arm, resume, fire and pause what `scope` needs (after `needs_work` said so)."""
    params = scope.params() | stamp.params()
    connection.execute(sql.release_claims, params)
    connection.execute(sql.rearm, params)
    resumed = _resume(connection, sql, params)
    fired, paused = _fire(connection, sql, params)
    return ChunkResult(notifications=fired + resumed, paused=paused, resumed=resumed)


def evaluate_chunk(
    connection: Connection, sql: EvaluationSql, scope: ChunkScope, stamp: Stamp
) -> ChunkResult:
    """Both halves: what a chunk of the sweep does in its transaction, with the sweep's own
    steps: the month's recurring budget rows first, forecasts last (`findings` finds them due;
    README "Recurring budgets", "Forecast alerts": requests do neither); and the spend history
    of the budgets that changed (history.py), as a request's evaluation records it too."""
    params = scope.params() | stamp.params()
    created = create_recurring_budgets(connection, recurring_sql(sql), params)
    recorded = record_history(connection, history_sql(sql), params)
    skipped: list[SkippedBudget] = []
    if not needs_work(connection, sql, scope, skipped):
        # nothing to change: the common, cheap case
        return ChunkResult(skipped=skipped, created=created, recorded=recorded)
    result = change(connection, sql, scope, stamp)
    if sql.forecasts:
        result.forecasts = fire_forecasts(connection, forecast_sql(sql), params)
        result.notifications += result.forecasts
    result.created, result.recorded = created, recorded
    result.skipped.extend(skipped)
    return result


def _resume(connection: Connection, sql: EvaluationSql, params: dict[str, Any]) -> int:
    resumed: int = connection.execute(sql.queue_resumes, params).rowcount
    if resumed:
        _expect(connection.execute(sql.resume_shops, params).rowcount, resumed, "resumed")
        connection.execute(sql.release_claims, params)  # the resumed shops are online now
    return resumed


def _fire(connection: Connection, sql: EvaluationSql, params: dict[str, Any]) -> tuple[int, int]:
    # Order matters: notifications and claims read which thresholds fire before the alerts
    # record them, and the claims say which shops to take offline.
    fired: int = connection.execute(sql.queue_threshold_notifications, params).rowcount
    if not fired:
        return 0, 0
    paused: int = connection.execute(sql.record_pauses, params).rowcount
    connection.execute(sql.record_alerts, params)
    if paused:
        _expect(connection.execute(sql.pause_shops, params).rowcount, paused, "paused")
    return fired, paused


def _expect(changed: int, expected: int, what: str) -> None:
    if changed != expected:
        # A shop's online flag changed under this transaction: decide again.
        raise ConcurrentChange(f"{what}: {changed} shops changed, {expected} expected")
