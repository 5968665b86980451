"""SQL pieces the rules (predicates.py) and the alert state (state.py) share."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import ColumnElement, Integer, case, literal_column


def whole(value: int) -> ColumnElement[int]:
    """A whole number from the settings (a threshold, a bit) inlined as an SQL literal."""
    return literal_column(str(int(value)), Integer)


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
