"""POST /v1/spend and /v1/spend/batch: record spend events and evaluate their budgets at once."""

from __future__ import annotations

from fastapi import APIRouter, Response

from budgetguard import services_spend
from budgetguard.api.auth import Caller
from budgetguard.api.responses import problems
from budgetguard.api.runtime import Runtime, Wired
from budgetguard.api.schemas import SpendBatchIn, SpendBatchOut, SpendIn, Standing
from budgetguard.domain.refusals import NotFound
from budgetguard.domain.spend import SpendEvent
from budgetguard.services_spend import Located, SpendReport

router = APIRouter(prefix="/v1", tags=["spend"])


@router.post("/spend", responses=problems(400, 404, 409, 413))
def post_spend(body: SpendIn, wired: Wired, caller: Caller, response: Response) -> Standing:
    """Record one spend event, add it to its month's spend and evaluate that budget.

    The answer is the budget's standing once the event counts: a shop that crossed its pause
    threshold is offline already. A repeat of a recorded event (same id, same payload) counts
    nothing and answers the standing with `Idempotent-Replayed: true`; the same id with another
    payload is 409.
    """
    report = _record(wired, [Located(_event(body), "")], caller)
    if report.duplicates:
        response.headers["Idempotent-Replayed"] = "true"
    if not report.standings:
        raise NotFound(f"shop {body.shop_id} or its budget no longer exists")
    return Standing.of(report.standings[0])


@router.post("/spend/batch", responses=problems(400, 404, 409, 413))
def post_spend_batch(body: SpendBatchIn, wired: Wired, caller: Caller) -> SpendBatchOut:
    """Record up to 10,000 spend events at once, all or nothing.

    Every event is checked first: one 422 names each bad event (`events[3].amount`). Then they
    are applied in one transaction and the current month's budgets they touch are evaluated.
    Events recorded before (same id, same payload) count as duplicates.
    """
    located = [Located(_event(e), f"events[{i}].") for i, e in enumerate(body.events)]
    report = _record(wired, located, caller)
    return SpendBatchOut(
        applied=report.applied,
        duplicates=report.duplicates,
        budgets=[Standing.of(standing) for standing in report.standings],
    )


def _record(wired: Runtime, events: list[Located], caller: str) -> SpendReport:
    report = services_spend.record_spend(app=wired.app, events=events, source=caller)
    wired.metrics.ingested(applied=report.applied, duplicates=report.duplicates)
    wired.evaluated(report.queued)
    return report


def _event(body: SpendIn) -> SpendEvent:
    return SpendEvent(body.event_id, body.shop_id, body.amount, body.occurred_at)
