"""SQL pieces the rules (predicates.py) and the alert state (state.py) share."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import BigInteger, ColumnElement, Integer, case, literal_column

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
