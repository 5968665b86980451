"""SQL pieces the rules (predicates.py) and the alert state (state.py) share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
)

from budgetguard.db.plumbing.keys import one_of

INT_MAX = 2**31 - 1


def whole(value: int) -> ColumnElement[int]:
    """A whole number from the settings (a threshold, a bit) inlined as an SQL literal; typed
    BIGINT beyond INT's range (the bits go up to 2**62)."""
    return literal_column(str(int(value)), Integer if abs(value) <= INT_MAX else BigInteger)


def bit_sum(
    bits: Mapping[int, int], holds: Callable[[int], ColumnElement[bool]]
) -> ColumnElement[int]:
    """The sum of `bits[t]` over the thresholds `t` for which `holds(t)`."""
    terms: list[ColumnElement[int]] = [
        case((holds(t), whole(bit)), else_=whole(0)) for t, bit in bits.items()
    ]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def in_scope(column: ColumnElement[int], dialect: str, *, narrowed: bool) -> ColumnElement[bool]:
    """`column` (a shop id) lies in the scope: `after < id <= upto`, and among `ids` when the
    scope is `narrowed` (scope.ChunkScope.params)."""
    bounds = [
        column > bindparam("after", type_=BigInteger()),
        column <= bindparam("upto", type_=BigInteger()),
    ]
    if narrowed:
        bounds.append(one_of(column, dialect, "ids"))
    return and_(*bounds)


def amount(
    column: ColumnElement[Any], dialect: str, *, integer: bool = False
) -> ColumnElement[Any]:
    """A DECIMAL(10,2) amount to compare exactly: itself, or on SQLite, which holds it as REAL,
    its whole cents (REAL holds them exactly); `integer`: cast to a 64-bit integer, for
    products beyond REAL's exact range (the forecasts')."""
    if dialect != "sqlite":
        return column
    cents = func.round(column * whole(100))
    return cast(cents, Integer) if integer else cents
