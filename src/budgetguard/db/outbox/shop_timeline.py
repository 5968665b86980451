"""A shop's own notifications, newest first, as its pages show them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from budgetguard.db.outbox.rows import to_notification
from budgetguard.db.schema.tables import notifications
from budgetguard.domain.notification import Notification


def notifications_of_shop(
    connection: Connection, shop_id: int, *, limit: int
) -> list[Notification]:
    """The shop's `limit` newest notifications, newest first."""
    query = (
        select(notifications)
        .where(notifications.c.shop_id == shop_id)
        .order_by(notifications.c.id.desc())
        .limit(limit)
    )
    return [to_notification(row) for row in connection.execute(query)]
