"""POST /v1/spend and /v1/spend/batch: record spend events and evaluate their budgets at once."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Response

from budgetguard.api.dependencies import Caller, Runtime, Wired
from budgetguard.api.responses import problems
from budgetguard.api.schemas.shops import Standing
from budgetguard.api.schemas.spend import SpendBatchIn, SpendBatchOut, SpendIn
from budgetguard.domain.errors import NotFound
from budgetguard.services.spend import Located, SpendReport, record_spend
from budgetguard.services.spend_group import Single

router = APIRouter(prefix="/spend", tags=["spend"])


@router.post("", operation_id="spend-post", responses=problems(400, 404, 409, 413))
async def post_spend(body: SpendIn, wired: Wired, caller: Caller, response: Response) -> Standing:
    """Record one spend event, add it to its month's spend and evaluate that budget.

    The answer is the budget's standing once the event counts: a shop that crossed its pause
    threshold is offline already. A repeat of a recorded event (same id, same payload) counts
    nothing and answers the standing with `Idempotent-Replayed: true`; the same id with another
    payload is 409.

    Events that arrive together share a transaction (README "Group commit"); each is answered
    once its transaction committed, as it would have been alone.
    """
    if not wired.spend_group.enabled:
        report = await anyio.to_thread.run_sync(_record, wired, [Located(body.event(), "")], caller)
    else:
        report = await wired.spend_group.submit(Single(body.event(), caller))
        _count(wired, report)
    if report.duplicates:
        response.headers["Idempotent-Replayed"] = "true"
    if not report.standings:
        raise NotFound(f"shop {body.shop_id} or its budget no longer exists")
    return Standing.of(report.standings[0])


@router.post("/batch", operation_id="spend-batch-post", responses=problems(400, 404, 409, 413))
def post_spend_batch(body: SpendBatchIn, wired: Wired, caller: Caller) -> SpendBatchOut:
    """Record up to 10,000 spend events at once, all or nothing.

    Every event is checked first: one 422 names each bad event (`events[3].amount`). Then they
    are applied in one transaction and the current month's budgets they touch are evaluated.
    Events recorded before (same id, same payload) count as duplicates.
    """
    located = [Located(e.event(), f"events[{i}].") for i, e in enumerate(body.events)]
    report = _record(wired, located, caller)
    return SpendBatchOut(
        applied=report.applied,
        duplicates=report.duplicates,
        budgets=[Standing.of(standing) for standing in report.standings],
    )


def _record(wired: Runtime, events: list[Located], caller: str) -> SpendReport:
    report = record_spend(context=wired.context, events=events, source=caller)
    _count(wired, report)
    return report


def _count(wired: Runtime, report: SpendReport) -> None:
    wired.metrics.ingested(applied=report.applied, duplicates=report.duplicates)
    wired.evaluated(report.queued)
