"""The outbox's notifications, with their delivery state."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from budgetguard.api.dependencies import Wired
from budgetguard.api.responses import problems
from budgetguard.api.schemas.common import Page
from budgetguard.api.schemas.fields import Instant, cursor_id
from budgetguard.api.schemas.notifications import NotificationOut, NotificationStatus
from budgetguard.domain.ids import LARGEST_BIG_ID, LARGEST_ID
from budgetguard.domain.notification import NotificationFilter
from budgetguard.services.notifications import notification_page

router = APIRouter(prefix="/notifications", tags=["operations"])


@router.get("", operation_id="notifications-list", responses=problems())
def list_notifications(
    *,
    wired: Wired,
    shop_id: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
    kind: Literal["threshold", "resumed"] | None = None,
    status: NotificationStatus | None = None,
    since: Annotated[Instant | None, Query(description="Queued at or after (RFC 3339).")] = None,
    until: Annotated[Instant | None, Query(description="Queued before (RFC 3339).")] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,19}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[NotificationOut]:
    """Notifications in the order they were queued, with their delivery state."""
    wanted = NotificationFilter(shop_id, kind, status, since, until)
    rows = notification_page(
        context=wired.context, wanted=wanted, after=cursor_id(cursor, LARGEST_BIG_ID), limit=limit
    )
    following = str(rows[-1].notification.id) if len(rows) == limit else None
    return Page[NotificationOut](items=[NotificationOut.of(r) for r in rows], next_cursor=following)
