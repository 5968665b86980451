"""Use cases of the outbox as people look at it: the notifications, and what still waits."""

from __future__ import annotations

from budgetguard.db.outbox.notifications import list_notifications
from budgetguard.db.outbox.stats import OutboxStats, outbox_stats
from budgetguard.domain.notification import NotificationFilter, StoredNotification
from budgetguard.services.uow import Context, reading

__all__ = ["OutboxStats", "notification_page", "outbox_figures"]  # OutboxStats: what the API reads


def notification_page(
    *, context: Context, wanted: NotificationFilter, after: int | None, limit: int
) -> list[StoredNotification]:
    """Return a page of notifications matching `wanted`, by id after `after`."""
    with reading(context) as connection:
        return list_notifications(connection, wanted=wanted, after=after, limit=limit)


def outbox_figures(*, context: Context) -> OutboxStats:
    """Count the shops budgetguard paused and the notifications and records still to deliver."""
    with reading(context) as connection:
        return outbox_stats(connection)
