"""Spend events in the database: find them, record them, add them to their budgets.

Every function runs inside the caller's transaction; none commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.engine import Connection

from budgetguard.db.plumbing.keys import KEYS_PER_STATEMENT, in_parts, one_of
from budgetguard.db.schema.tables import budgets, spend_events
from budgetguard.domain.spend import SpendEvent

_SET_SPENT = (
    update(budgets)
    .where(budgets.c.a_shop_id == bindparam("shop_id"), budgets.c.a_month == bindparam("month"))
    .values(a_amount_spent=bindparam("spent", type_=budgets.c.a_amount_spent.type))
)


@cache
def _find_events(dialect: str) -> Select[Any]:
    """Built once per database; the event ids are the parameter `ids` (a list)."""
    e = spend_events.c
    return select(e.event_id, e.shop_id, e.amount, e.occurred_at).where(
        one_of(e.event_id, dialect, "ids")
    )


def find_events(connection: Connection, event_ids: Iterable[str]) -> dict[str, SpendEvent]:
    """Return the stored events among `event_ids`, by id."""
    found: dict[str, SpendEvent] = {}
    query = _find_events(connection.dialect.name)
    for part in in_parts(event_ids):
        rows = connection.execute(query, {"ids": list(part)})
        for event_id, shop_id, amount, occurred_at in rows:
            found[event_id] = SpendEvent(event_id, shop_id, amount, occurred_at)
    return found


def record_events(
    connection: Connection,
    events: Sequence[SpendEvent],
    *,
    months: Mapping[str, date],
    received_at: datetime,
    source: str | Mapping[str, str],
) -> None:
    """Store `events` (their ids are new); `months` gives each event's budget month, `source`
    the name of the caller's key: one for all, or each event's by id (a group of singles)."""
    sources = source if not isinstance(source, str) else dict.fromkeys(months, source)
    rows = [
        {
            "event_id": e.event_id,
            "shop_id": e.shop_id,
            "month": months[e.event_id],
            "amount": e.amount,
            "occurred_at": e.occurred_at,
            "received_at": received_at,
            "source": sources[e.event_id],
        }
        for e in events
    ]
    for part in in_parts(rows):
        connection.execute(spend_events.insert(), list(part))


def write_spent(connection: Connection, month: date, spent: Mapping[int, Decimal]) -> None:
    """Set the spend of each locked budget of `month` to its new total (in shop order)."""
    ordered = sorted(spent.items())
    if connection.dialect.name == "mysql" and len(ordered) > 1:
        _write_spent_mysql(connection, month, ordered)
        return
    rows = [{"shop_id": s, "month": month, "spent": v} for s, v in ordered]
    connection.execute(_SET_SPENT, rows)


def _write_spent_mysql(
    connection: Connection, month: date, ordered: list[tuple[int, Decimal]]
) -> None:
    # PyMySQL sends an executemany UPDATE one statement at a time (a round trip per budget);
    # one UPDATE with a CASE over the shop id does a part in one. Only placeholders are built.
    for part in in_parts(ordered, KEYS_PER_STATEMENT // 2):
        whens = " ".join(["WHEN %s THEN %s"] * len(part))
        keys = ", ".join(["%s"] * len(part))
        statement = (
            f"UPDATE t_budgets SET a_amount_spent = CASE a_shop_id {whens} END "
            f"WHERE a_month = %s AND a_shop_id IN ({keys})"
        )
        values = [x for pair in part for x in pair]
        connection.exec_driver_sql(statement, (*values, month, *(s for s, _ in part)))
