"""Operations: liveness, readiness and metrics (no API key: probes and scrapers call these)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from budgetguard.api.dependencies import Wired
from budgetguard.api.metrics import CONTENT_TYPE
from budgetguard.api.responses import problems
from budgetguard.services.database import open_database

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="health-live")
async def healthz() -> dict[str, str]:
    """Alive: the process answers (the database is not consulted).

    Async, so that it is answered on the event loop: no request thread, which stuck requests
    may all hold, and no database.
    """
    return {"status": "alive"}


@router.get("/readyz", operation_id="health-ready", responses={503: problems()[503]})
async def readyz(wired: Wired) -> dict[str, str]:
    """Ready: the database answers and its schema is the one this budgetguard needs; 503
    within 2 s otherwise, however silent the database."""
    await wired.readiness.check(lambda: open_database(context=wired.context))
    return {"status": "ready"}


@router.get(
    "/metrics",
    operation_id="metrics-get",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format."}},
)
def metrics(wired: Wired) -> Response:
    """Prometheus metrics: evaluations, spend events, notifications, shops paused, delivery lag."""
    return Response(wired.metrics.render(), media_type=CONTENT_TYPE)
