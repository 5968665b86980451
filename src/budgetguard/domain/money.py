"""Money and percentages, in exact decimal arithmetic."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

CENT = Decimal("0.01")


def percent_of(*, spent: Decimal, budget: Decimal) -> Decimal:
    """Return spend as a percentage of budget, cut (not rounded) to two decimals.

    Cutting keeps the shown figure honest against the thresholds: the percent reads 50.00
    or more exactly when the 50 % threshold is crossed.
    """
    if budget <= 0:
        raise ValueError("percent of a non-positive budget is undefined")
    return (spent * 100 / budget).quantize(CENT, rounding=ROUND_DOWN)


def unusable_reason(*, budget: Decimal | None, spent: Decimal | None) -> str | None:
    """Return why a budget row cannot be evaluated, or None when it can.

    Mirrors the validity predicate of the set-based evaluator (`Rules.valid`,
    db/evaluation/predicates.py).
    """
    if budget is None:
        return "the budget amount is missing"
    if spent is None:
        return "the spent amount is missing"
    if budget < 0:
        return f"the budget amount is negative ({budget})"
    if budget == 0:
        return "the budget amount is zero"
    if spent < 0:
        return f"the spent amount is negative ({spent})"
    return None
