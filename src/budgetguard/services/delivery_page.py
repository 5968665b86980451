"""The console's list of failed and dead delivery records: a page of them, newest first, each
with what its notification was about."""

from __future__ import annotations

from dataclasses import dataclass
from heapq import merge

from budgetguard.db.outbox.headlines import Headline, headlines
from budgetguard.domain.delivery import DeliveryRecord, Status
from budgetguard.services.deliveries import list_deliveries
from budgetguard.services.uow import Context, reading

TROUBLED = (Status.FAILED, Status.DEAD)
"""The states the page lists: failed (to be tried again) and dead (given up)."""


@dataclass(frozen=True, slots=True)
class ListedDelivery:
    record: DeliveryRecord
    headline: Headline | None
    """None when its notification was pruned meanwhile."""


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    rows: list[ListedDelivery]
    before: int | None
    """The id to page on from (`before_id`), when there are older records."""


def troubled_deliveries(
    *, context: Context, status: Status | None, before_id: int | None, limit: int
) -> DeliveryPage:
    """Return a page of failed or dead records (`status`; None: both), newest first, ids below
    `before_id`; each state read by its own index range (status, id), the two merged."""
    wanted = (status,) if status is not None else TROUBLED
    pages = [
        list_deliveries(context=context, status=s, before_id=before_id, limit=limit + 1)
        for s in wanted
    ]
    found = list(merge(*pages, key=lambda r: -r.id))[: limit + 1]
    shown, more = found[:limit], len(found) > limit
    with reading(context) as connection:
        about = headlines(connection, {r.notification_id for r in shown})
    rows = [ListedDelivery(r, about.get(r.notification_id)) for r in shown]
    return DeliveryPage(rows, shown[-1].id if more else None)
