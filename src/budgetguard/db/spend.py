"""Spend events in the database: find them, record them, add them to their budgets.

Every function runs inside the caller's transaction; none commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import Executable, bindparam, select, update
from sqlalchemy.engine import Connection

from budgetguard.db.keys import one_of
from budgetguard.db.parts import in_parts
from budgetguard.db.tables import budgets, shops, spend_events
from budgetguard.domain.spend import SpendEvent

# Rows per statement where a statement names many keys (SQLite allows 32,766 parameters).
KEYS_PER_STATEMENT = 1000


@dataclass(frozen=True, slots=True)
class LockedBudget:
    """A budget row read under lock: nobody else changes it until the transaction ends."""

    shop_id: int
    budget: Decimal | None
    spent: Decimal | None


_SET_SPENT = (
    update(budgets)
    .where(budgets.c.a_shop_id == bindparam("shop_id"), budgets.c.a_month == bindparam("month"))
    .values(a_amount_spent=bindparam("spent", type_=budgets.c.a_amount_spent.type))
)


# Every writer locks in one order: the shop rows first (by id), then their budget rows (by
# month, then shop); a join would lock them in whatever order the optimiser picks. On
# MySQL/MariaDB the budget rows are locked through ix_t_budgets_month_shop, the path that the
# platform's own `UPDATE … WHERE a_shop_id = ? AND a_month = ?` and our UPDATEs take: it locks
# the index entry, then the row. Through the primary key we would hold the row while the
# platform held the index entry and waited for the row, then wait for that entry: a deadlock.
_BY_MONTH_SHOP = "FORCE INDEX (ix_t_budgets_month_shop)"


@cache
def _statements(dialect: str) -> dict[str, Executable]:
    """Built once per database: a request runs these with its own parameters (`ids`: a list)."""
    return {
        "lock_shops": (
            select(shops.c.a_id)
            .where(one_of(shops.c.a_id, "ids", dialect))
            .order_by(shops.c.a_id)
            .with_for_update()
        ),
        "lock_budgets": (
            select(budgets.c.a_shop_id, budgets.c.a_budget_amount, budgets.c.a_amount_spent)
            .with_hint(budgets, _BY_MONTH_SHOP, "mysql")
            .with_hint(budgets, _BY_MONTH_SHOP, "mariadb")
            .where(
                budgets.c.a_month == bindparam("month"),
                one_of(budgets.c.a_shop_id, "ids", dialect),
            )
            .order_by(budgets.c.a_shop_id)
            .with_for_update()
        ),
        "shops": select(shops.c.a_id).where(one_of(shops.c.a_id, "ids", dialect)),
        "events": select(
            spend_events.c.event_id,
            spend_events.c.shop_id,
            spend_events.c.amount,
            spend_events.c.occurred_at,
        ).where(one_of(spend_events.c.event_id, "ids", dialect)),
    }


def lock_shops(connection: Connection, shop_ids: Iterable[int]) -> set[int]:
    """Lock the rows of `shop_ids`, in id order; return which exist. Lock shops before budgets."""
    found: set[int] = set()
    for part in in_parts(sorted(set(shop_ids)), KEYS_PER_STATEMENT):
        query = _statements(connection.dialect.name)["lock_shops"]
        found.update(connection.execute(query, {"ids": list(part)}).scalars())
    return found


def lock_budgets(
    connection: Connection, month: date, shop_ids: Iterable[int]
) -> dict[int, LockedBudget]:
    """Lock the budget rows of `month` of `shop_ids` (whose shops the caller locked first), in
    shop order; return what exists."""
    found: dict[int, LockedBudget] = {}
    for part in in_parts(sorted(set(shop_ids)), KEYS_PER_STATEMENT):
        lock = _statements(connection.dialect.name)["lock_budgets"]
        rows = connection.execute(lock, {"month": month, "ids": list(part)})
        for shop_id, budget, spent in rows:
            found[shop_id] = LockedBudget(shop_id, budget, spent)
    return found


def existing_shops(connection: Connection, shop_ids: Iterable[int]) -> set[int]:
    """Return which of `shop_ids` exist."""
    found: set[int] = set()
    for part in in_parts(sorted(set(shop_ids)), KEYS_PER_STATEMENT):
        query = _statements(connection.dialect.name)["shops"]
        found.update(connection.execute(query, {"ids": list(part)}).scalars())
    return found


def find_events(connection: Connection, event_ids: Iterable[str]) -> dict[str, SpendEvent]:
    """Return the stored events among `event_ids`, by id."""
    found: dict[str, SpendEvent] = {}
    for part in in_parts(event_ids, KEYS_PER_STATEMENT):
        query = _statements(connection.dialect.name)["events"]
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
    source: str,
) -> None:
    """Store `events` (their ids are new); `months` gives each event's budget month."""
    rows = [
        {
            "event_id": e.event_id,
            "shop_id": e.shop_id,
            "month": months[e.event_id],
            "amount": e.amount,
            "occurred_at": e.occurred_at,
            "received_at": received_at,
            "source": source,
        }
        for e in events
    ]
    for part in in_parts(rows, KEYS_PER_STATEMENT):
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
