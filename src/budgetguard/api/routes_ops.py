"""Operations: liveness, readiness, metrics; the outbox's notifications; an evaluation now."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response

from budgetguard import services, services_catalog
from budgetguard.api.auth import Caller
from budgetguard.api.fields import LARGEST_BIG_ID, LARGEST_ID, Instant, cursor_id
from budgetguard.api.responses import problems
from budgetguard.api.runtime import Wired
from budgetguard.api.schemas import CheckIn, CheckOut, NotificationOut, Page
from budgetguard.db.notification_list import NotificationFilter, StoredNotification
from budgetguard.metrics import CONTENT_TYPE

# An evaluation asked for over HTTP waits this long for a running one, then answers 409.
CHECK_LOCK_TIMEOUT = 30.0

health = APIRouter(tags=["operations"])
router = APIRouter(prefix="/v1", tags=["operations"])


@health.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive: the process answers (the database is not consulted)."""
    return {"status": "alive"}


@health.get("/readyz", responses={503: problems()[503]})
def readyz(wired: Wired) -> dict[str, str]:
    """Ready: the database answers and its schema is the one this budgetguard needs."""
    services.open_database(wired.app)
    return {"status": "ready"}


@health.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format."}},
)
def metrics(wired: Wired) -> Response:
    """Prometheus metrics: evaluations, spend events, notifications, shops paused, delivery lag."""
    return Response(wired.metrics.render(), media_type=CONTENT_TYPE)


@router.get("/notifications", responses=problems())
def list_notifications(
    *,
    wired: Wired,
    _caller: Caller,
    shop_id: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
    kind: Literal["threshold", "resumed"] | None = None,
    status: Literal["pending", "delivering", "delivered", "failed", "dead"] | None = None,
    since: Annotated[Instant | None, Query(description="Queued at or after (RFC 3339).")] = None,
    until: Annotated[Instant | None, Query(description="Queued before (RFC 3339).")] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,19}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[NotificationOut]:
    """Notifications in the order they were queued, with their delivery state."""
    wanted = NotificationFilter(shop_id, kind, status, since, until)
    rows = services_catalog.notification_page(
        app=wired.app, wanted=wanted, after=cursor_id(cursor, LARGEST_BIG_ID), limit=limit
    )
    following = str(rows[-1].notification.id) if len(rows) == limit else None
    return Page[NotificationOut](items=[_notification(r) for r in rows], next_cursor=following)


@router.post("/checks", responses=problems(400, 409, 413))
def post_check(
    wired: Wired, _caller: Caller, body: Annotated[CheckIn | None, Body()] = None
) -> CheckOut:
    """Evaluate every budget of a month now (default: the current month), as the interval does.

    Notifications it queues are delivered by the service's deliverer. 409 when another
    evaluation holds the lock for more than 30 s.
    """
    at: datetime = body.at if body is not None and body.at is not None else wired.app.clock()
    started = time.perf_counter()
    report = services.evaluate_month(app=wired.app, at=at, lock_timeout=CHECK_LOCK_TIMEOUT)
    wired.metrics.evaluated("check", report, time.perf_counter() - started)
    if report.notifications:
        wired.wake_delivery()
    return CheckOut(
        evaluation_id=report.evaluation_id,
        month=str(report.month),
        budgets=report.budgets,
        notifications=report.notifications,
        paused=report.paused,
        resumed=report.resumed,
        skipped=len(report.skipped),
    )


def _notification(row: StoredNotification) -> NotificationOut:
    n = row.notification
    return NotificationOut(
        id=n.id,
        kind=n.kind.value,
        shop_id=n.shop_id,
        shop_name=n.shop_name,
        month=str(n.month),
        thresholds=list(n.thresholds),
        budget=n.budget,
        spent=n.spent,
        percent=n.percent,
        action=n.action.value if n.action else None,
        date=n.evaluated_on.isoformat(),
        created_at=n.created_at,
        status=row.status,
        attempts=n.attempts,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )
