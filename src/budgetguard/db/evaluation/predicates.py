"""SPEC §3's predicates over the budget rows of a scope, as SQL: crossed, valid, fired, fires.

A scope's month and shop range are bind parameters (`month`, `after`, `upto`, and `ids` when
the scope is narrowed to a list of shops; scope.py gives them), so each statement built from
these is built once per process.
"""

from __future__ import annotations

from math import gcd
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
)

from budgetguard.db.evaluation.literals import bit_sum, whole
from budgetguard.db.evaluation.state import AggregatedState, FiredState, LookedUpState
from budgetguard.db.plumbing.keys import one_of
from budgetguard.db.schema.tables import budgets
from budgetguard.domain.thresholds import ThresholdPolicy


def month_param() -> ColumnElement[Any]:
    return bindparam("month", type_=Date())


# The databases that read the alert state by primary-key lookups (state.py says why).
LOOKED_UP = frozenset({"mysql", "mariadb"})


class Rules:
    """The predicates for one threshold policy and database, over a range of shops (or, when
    `narrowed`, over a list of shop ids within it)."""

    def __init__(self, policy: ThresholdPolicy, dialect: str, *, narrowed: bool) -> None:
        self.policy = policy
        self.dialect = dialect
        self.narrowed = narrowed
        # Each threshold's bit: a set of fired or crossed thresholds is one integer.
        self.bits = {t: 1 << i for i, t in enumerate(policy.thresholds)}

    def covers(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        """`column` (a shop id) lies in the scope."""
        bounds = [
            column > bindparam("after", type_=BigInteger()),
            column <= bindparam("upto", type_=BigInteger()),
        ]
        if self.narrowed:
            bounds.append(one_of(column, self.dialect, "ids"))
        return and_(*bounds)

    def in_month(self) -> ColumnElement[bool]:
        """The budget row is the scope's month's, of a shop in the scope."""
        return and_(budgets.c.a_month == month_param(), self.covers(budgets.c.a_shop_id))

    def _amount(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.dialect == "sqlite":
            # SQLite holds DECIMAL(10,2) as REAL: compare whole cents, which REAL holds exactly.
            return func.round(column * whole(100))
        return column

    def crossed(self, threshold: int | ColumnElement[int]) -> ColumnElement[bool]:
        """`spent * 100 >= budget * threshold`, exactly (SPEC §3); a threshold known now (not
        a column) has the fraction reduced, so the common 50 and 100 multiply by 2 and 1."""
        spent = self._amount(budgets.c.a_amount_spent)
        budget = self._amount(budgets.c.a_budget_amount)
        if not isinstance(threshold, int):
            return spent * whole(100) >= budget * threshold
        divisor = gcd(100, threshold)
        if 100 // divisor != 1:
            spent = spent * whole(100 // divisor)
        if threshold // divisor != 1:
            budget = budget * whole(threshold // divisor)
        return spent >= budget

    @staticmethod
    def valid() -> ColumnElement[bool]:
        """A budget row that can be evaluated; mirrors domain.money.unusable_reason."""
        budget, spent = budgets.c.a_budget_amount, budgets.c.a_amount_spent
        return and_(budget.is_not(None), spent.is_not(None), budget > whole(0), spent >= whole(0))

    def crossed_bits(self) -> ColumnElement[int]:
        """The bits of every threshold the budget row crosses."""
        return bit_sum(self.bits, self.crossed)

    def fired(self) -> FiredState:
        """Per budget row of the scope: its fired thresholds and claim (state.py: the shape
        suits the database's planner)."""
        if self.dialect in LOOKED_UP:
            return LookedUpState(self.bits)
        return self.aggregated()

    def aggregated(self) -> FiredState:
        """The scope's alert state aggregated per shop, on every database: what `findings`
        reads (MariaDB's key lookups, three per row, made a no-change evaluation 2-3x slower)."""
        return AggregatedState(self.bits, self.covers, month_param())

    @staticmethod
    def fired_bits(fired: FiredState) -> ColumnElement[int]:
        """The bits of the thresholds fired (`fired`: the scope's `fired()`, outer-joined)."""
        return fired.bits()

    def fires(self, fired: FiredState, threshold: int) -> ColumnElement[bool]:
        """The threshold is crossed and has not fired (`fired`: the scope's `fired()`)."""
        return and_(self.crossed(threshold), ~fired.has_fired(threshold))

    def firing(self, fired: FiredState) -> ColumnElement[bool]:
        """A valid budget row of the scope on which at least one threshold fires now."""
        fires = [self.fires(fired, t) for t in self.policy.thresholds]
        return and_(self.in_month(), self.valid(), or_(*fires))

    def listed(self, fired: FiredState) -> ColumnElement[str]:
        """The thresholds that fire now as text, `50,100`: each as `,t`, joined, first comma cut."""
        parts: list[ColumnElement[str]] = [
            case((self.fires(fired, t), literal(f",{t}", String)), else_=literal("", String))
            for t in self.policy.thresholds
        ]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + part
        return func.substr(joined, 2)
