"""Shops and budgets as the HTTP API writes and lists them. Runs in the caller's transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import exc, select, text, update
from sqlalchemy.engine import Connection

from budgetguard.db.tables import budgets, shops
from budgetguard.domain.refusals import FieldProblem, Unacceptable


def lock_shop(connection: Connection, shop_id: int) -> bool:
    """Lock the shop's row; return whether it exists."""
    query = select(shops.c.a_id).where(shops.c.a_id == shop_id).with_for_update()
    return connection.execute(query).first() is not None


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
        if _mysql_code(error) == _INCORRECT_STRING_VALUE:
            raise _unstorable_name() from error
        raise
    if connection.dialect.name == "postgresql":
        _sequence_past(connection, shop_id)


# The platform's legacy t_shops is CHARSET=utf8 on MySQL (3 bytes a character): it cannot hold
# characters outside the Basic Multilingual Plane, such as emoji, and strict mode refuses them.
_INCORRECT_STRING_VALUE = 1366


def _mysql_code(error: exc.DBAPIError) -> int | None:
    args = getattr(error.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _unstorable_name() -> Unacceptable:
    reason = "contains characters this database cannot store, such as emoji"
    return Unacceptable(f"name: {reason}", [FieldProblem("name", reason)])


# An explicit id does not move the serial sequence, so the platform's own inserts (which take
# the next value) would collide with it: move the sequence up to the new id, never down. Not to
# max(a_id): that cannot see another session's uncommitted insert, and misses a deleted top id
# (which would be handed out again). setval is not transactional: one statement, no read before.
_SEQUENCE_PAST = text(
    "SELECT setval(seq, :new_id) FROM pg_get_serial_sequence('t_shops', 'a_id') AS seq "
    "WHERE seq IS NOT NULL "
    "AND :new_id > COALESCE(pg_sequence_last_value(CAST(seq AS regclass)), 0)"
)


def _sequence_past(connection: Connection, shop_id: int) -> None:
    connection.execute(_SEQUENCE_PAST, {"new_id": shop_id})


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
