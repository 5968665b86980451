"""The delivery records: one per (notification, recipient), the dead letters among them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from budgetguard.api.dependencies import Actor, Wired
from budgetguard.api.responses import problems
from budgetguard.api.schemas.deliveries import (
    DeliveriesOut,
    DeliveryOut,
    DeliveryStatus,
    RetryIn,
    RetryOut,
)
from budgetguard.api.schemas.fields import cursor_id
from budgetguard.domain.delivery import Status
from budgetguard.domain.ids import LARGEST_BIG_ID, LARGEST_ID
from budgetguard.services import deliveries

router = APIRouter(prefix="/deliveries", tags=["delivery records"])


@router.get("", operation_id="deliveries-list", responses=problems())
def list_deliveries(
    *,
    wired: Wired,
    status: Annotated[DeliveryStatus | None, Query(description="`dead`: the dead letters.")] = None,
    shop_id: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveriesOut:
    """Delivery records, newest first: one per (notification, recipient)."""
    records = deliveries.list_deliveries(
        context=wired.context,
        status=Status(status) if status else None,
        shop_id=shop_id,
        before_id=cursor_id(cursor, LARGEST_BIG_ID),
        limit=limit,
    )
    items = [DeliveryOut.of(r) for r in records]
    more = len(items) == limit
    return DeliveriesOut(items=items, next_cursor=str(items[-1].id) if more else None)


@router.post("/retry", operation_id="deliveries-retry", responses=problems())
def retry_deliveries(*, wired: Wired, actor: Actor, body: RetryIn) -> RetryOut:
    """Make failed, dead or pending records due now, with a fresh schedule of attempts."""
    report = deliveries.retry_deliveries(context=wired.context, ids=body.ids, actor=actor)
    return RetryOut(
        retried=report.retried,
        unknown=report.unknown,
        left={str(i): s.value for i, s in report.left.items()},
    )
