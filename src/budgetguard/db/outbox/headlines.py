"""What delivery records are about, for people: their notification's kind, month and shop name
(one primary-key lookup per record shown)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from budgetguard.db.schema.tables import notifications
from budgetguard.domain.notification import Kind
from budgetguard.domain.period import Month


@dataclass(frozen=True, slots=True)
class Headline:
    kind: Kind
    month: Month
    shop_name: str


def headlines(connection: Connection, notification_ids: Collection[int]) -> dict[int, Headline]:
    """The headline of each of these notifications that still exists, by id."""
    if not notification_ids:
        return {}
    n = notifications.c
    query = select(n.id, n.kind, n.month, n.shop_name).where(n.id.in_(sorted(notification_ids)))
    return {
        row.id: Headline(Kind(row.kind), Month.of_cached(row.month.year, row.month.month),
                         row.shop_name)
        for row in connection.execute(query)
    }  # fmt: skip
