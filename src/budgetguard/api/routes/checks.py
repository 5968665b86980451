"""An evaluation of every budget of a month, asked for over HTTP."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body

from budgetguard.api.dependencies import Wired
from budgetguard.api.responses import problems
from budgetguard.api.schemas.notifications import CheckIn, CheckOut
from budgetguard.services.evaluation import evaluate_month

# An evaluation asked for over HTTP waits this long for a running one, then answers 409.
CHECK_LOCK_TIMEOUT = 30.0

router = APIRouter(prefix="/checks", tags=["operations"])


@router.post("", operation_id="checks-post", responses=problems(400, 409, 413))
def post_check(wired: Wired, body: Annotated[CheckIn | None, Body()] = None) -> CheckOut:
    """Evaluate every budget of a month now (default: the current month), as the interval does.

    Notifications it queues are delivered by the service's deliverer. 409 when another
    evaluation holds the lock for more than 30 s.
    """
    context = wired.context
    at: datetime = body.at if body is not None and body.at is not None else context.clock()
    started = time.perf_counter()
    report = evaluate_month(context=context, at=at, lock_timeout=CHECK_LOCK_TIMEOUT)
    wired.metrics.evaluated("check", report, time.perf_counter() - started)
    if report.notifications:
        wired.wake_delivery()
    return CheckOut.of(report)
