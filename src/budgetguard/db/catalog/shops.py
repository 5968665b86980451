"""Shops and budgets: lock, read and write them in the caller's transaction (none commits).

Every writer locks in one order: the shop rows first (by id), then their budget rows (by month,
then shop); a join would lock them in whatever order the optimiser picks. On MySQL/MariaDB the
budget rows are locked through ix_t_budgets_month_shop, the path that the platform's own
`UPDATE … WHERE a_shop_id = ? AND a_month = ?` and our UPDATEs take: it locks the index entry,
then the row. Through the primary key we would hold the row while the platform held the index
entry and waited for the row, then wait for that entry: a deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import Executable, bindparam, exc, select, update
from sqlalchemy.engine import Connection

from budgetguard.db.plumbing.dialects import (
    INCORRECT_STRING_VALUE,
    mysql_error_code,
    shop_ids_taken_up_to,
)
from budgetguard.db.plumbing.keys import in_parts, one_of
from budgetguard.db.schema.tables import budgets, shops
from budgetguard.domain.errors import Unacceptable

_BY_MONTH_SHOP = "FORCE INDEX (ix_t_budgets_month_shop)"


@dataclass(frozen=True, slots=True)
class LockedBudget:
    """A budget row read under lock: nobody else changes it until the transaction ends."""

    shop_id: int
    budget: Decimal | None
    spent: Decimal | None


@cache
def _statements(dialect: str) -> dict[str, Executable]:
    """Built once per database: a request runs these with its own parameters (`ids`: a list)."""
    return {
        "lock_shops": (
            select(shops.c.a_id)
            .where(one_of(shops.c.a_id, dialect, "ids"))
            .order_by(shops.c.a_id)
            .with_for_update()
        ),
        "lock_budgets": (
            select(budgets.c.a_shop_id, budgets.c.a_budget_amount, budgets.c.a_amount_spent)
            .with_hint(budgets, _BY_MONTH_SHOP, "mysql")
            .with_hint(budgets, _BY_MONTH_SHOP, "mariadb")
            .where(
                budgets.c.a_month == bindparam("month"),
                one_of(budgets.c.a_shop_id, dialect, "ids"),
            )
            .order_by(budgets.c.a_shop_id)
            .with_for_update()
        ),
        "shops": select(shops.c.a_id).where(one_of(shops.c.a_id, dialect, "ids")),
    }


def lock_shops(connection: Connection, shop_ids: Iterable[int]) -> set[int]:
    """Lock the rows of `shop_ids`, in id order; return which exist. Lock shops before budgets."""
    return _each_part(connection, "lock_shops", shop_ids)


def lock_shop_row(connection: Connection, shop_id: int) -> dict[str, object] | None:
    """Lock one shop's row; return its name and online flag, None when there is no such shop."""
    row = connection.execute(
        select(shops.c.a_name, shops.c.a_online).where(shops.c.a_id == shop_id).with_for_update()
    ).first()
    return None if row is None else {"name": row.a_name, "online": bool(row.a_online)}


def existing_shops(connection: Connection, shop_ids: Iterable[int]) -> set[int]:
    """Return which of `shop_ids` exist."""
    return _each_part(connection, "shops", shop_ids)


def _each_part(connection: Connection, statement: str, shop_ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    query = _statements(connection.dialect.name)[statement]
    for part in in_parts(sorted(set(shop_ids))):
        found.update(connection.execute(query, {"ids": list(part)}).scalars())
    return found


def lock_budgets(
    connection: Connection, month: date, shop_ids: Iterable[int]
) -> dict[int, LockedBudget]:
    """Lock the budget rows of `month` of `shop_ids` (whose shops the caller locked first), in
    shop order; return what exists."""
    found: dict[int, LockedBudget] = {}
    lock = _statements(connection.dialect.name)["lock_budgets"]
    for part in in_parts(sorted(set(shop_ids))):
        rows = connection.execute(lock, {"month": month, "ids": list(part)})
        for shop_id, budget, spent in rows:
            found[shop_id] = LockedBudget(shop_id, budget, spent)
    return found


def save_shop(connection: Connection, shop_id: int, *, name: str, online: bool, new: bool) -> None:
    """Create the shop (`new`) or replace its name and online flag; refuse a name the column
    cannot store."""
    try:
        if not new:
            connection.execute(
                update(shops).where(shops.c.a_id == shop_id).values(a_name=name, a_online=online)
            )
            return
        connection.execute(shops.insert().values(a_id=shop_id, a_name=name, a_online=online))
    except exc.DBAPIError as error:
        if mysql_error_code(error) == INCORRECT_STRING_VALUE:
            raise _unstorable_name() from error
        raise
    shop_ids_taken_up_to(connection, shop_id)


def save_online(connection: Connection, shop_id: int, *, online: bool) -> None:
    """Set an existing shop's online flag, and nothing else of its row."""
    connection.execute(update(shops).where(shops.c.a_id == shop_id).values(a_online=online))


def _unstorable_name() -> Unacceptable:
    # The platform's legacy t_shops is CHARSET=utf8 on MySQL (3 bytes a character): it cannot
    # hold characters outside the Basic Multilingual Plane, such as emoji.
    reason = "contains characters this database cannot store, such as emoji"
    return Unacceptable.of_field("name", reason)


def save_budget(
    connection: Connection, shop_id: int, month: date, *, amount: Decimal, new: bool
) -> None:
    """Create the month's budget row with no spend (`new`), or set its budget amount."""
    if new:
        connection.execute(
            budgets.insert().values(
                a_shop_id=shop_id, a_month=month, a_budget_amount=amount, a_amount_spent=Decimal(0)
            )
        )
        return
    connection.execute(
        update(budgets)
        .where(budgets.c.a_shop_id == shop_id, budgets.c.a_month == month)
        .values(a_budget_amount=amount)
    )


def budget_months(
    connection: Connection, shop_id: int, *, after: date | None, limit: int
) -> list[date]:
    """Return the months (first days, ascending) the shop has budget rows for, after `after`."""
    query = (
        select(budgets.c.a_month)
        .where(budgets.c.a_shop_id == shop_id)
        .order_by(budgets.c.a_month)
        .limit(limit)
    )
    if after is not None:
        query = query.where(budgets.c.a_month > after)
    return list(connection.execute(query).scalars())
