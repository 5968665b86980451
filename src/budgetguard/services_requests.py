"""What the HTTP API's use cases share: their transactions and the standings they answer with."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Connection

from budgetguard.db.parts import in_parts
from budgetguard.db.status import ShopStatus, status_rows
from budgetguard.domain.period import Month

SHOPS_PER_READ = 1000


def repeatable_read(connection: Connection) -> None:
    """Run `connection`'s transactions in REPEATABLE READ, as the sweep's chunks do.

    Why that is enough for a request's evaluation: db/request_evaluation.py. SQLite's
    transactions are serial already (BEGIN IMMEDIATE).
    """
    if connection.dialect.name != "sqlite":
        connection.execution_options(isolation_level="REPEATABLE READ")


def standings(connection: Connection, wanted: Mapping[Month, set[int]]) -> list[ShopStatus]:
    """Return the standing of each wanted (month, shop) that exists, by month then shop."""
    found: list[ShopStatus] = []
    for month, shop_ids in sorted(wanted.items()):
        for part in in_parts(sorted(shop_ids), SHOPS_PER_READ):
            found.extend(status_rows(connection, month=month, shop_ids=part, limit=SHOPS_PER_READ))
    return found
