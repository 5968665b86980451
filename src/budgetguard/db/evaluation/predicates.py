"""SPEC §3's predicates over the budget rows of a scope, as SQL: crossed, valid, fired, fires.

A scope's month and shop range are bind parameters (`month`, `after`, `upto`, and `ids` when
the scope is narrowed to a list of shops; scope.py gives them), and so are the settings'
policy and the pass's clocks (shop_terms.pass_params), so each statement built from these is
built once per process for a universe of thresholds and a pass's shape.
"""

from __future__ import annotations

from math import gcd
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
)

from budgetguard.db.evaluation.literals import amount, in_scope, whole
from budgetguard.db.evaluation.shop_terms import ShopTerms
from budgetguard.db.evaluation.state import AggregatedState, FiredState, LookedUpState
from budgetguard.db.schema.tables import budgets


def month_param() -> ColumnElement[Any]:
    return bindparam("month", type_=Date())


# The databases that read the alert state by primary-key lookups (state.py says why).
LOOKED_UP = frozenset({"mysql", "mariadb"})


Universe = tuple[tuple[int, int], ...]
"""Every threshold with a bit (bg_threshold_bits), ascending: `((50, 0), (100, 1), (80, 2))`."""


class Rules:
    """The predicates over a universe of thresholds and their bits, on one database, for the
    shops of a month pass (`terms`), over a range of shops (or, when `narrowed`, over a list of
    shop ids within it).

    Each shop's own thresholds and pause threshold are masks over the universe's bits
    (`terms.threshold_mask()`, `terms.pause_mask()`): a threshold fires for a shop only when its
    bit is in the shop's mask, and pauses only when its bit is the shop's pause mask.
    """

    def __init__(
        self, universe: Universe, dialect: str, *, narrowed: bool, terms: ShopTerms
    ) -> None:
        self.universe = universe
        self.dialect = dialect
        self.narrowed = narrowed
        self.terms = terms
        self.thresholds = tuple(sorted(t for t, _ in universe))
        # The sweep's statements find due forecasts too (statements.evaluation_sql).
        self.forecasts = False
        # Each threshold's bit: a set of fired or crossed thresholds is one integer.
        self.bits = {t: 1 << bit for t, bit in sorted(universe)}

    def covers(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        """`column` (a shop id) lies in the scope."""
        return in_scope(column, self.dialect, narrowed=self.narrowed)

    def in_month(self, terms: ShopTerms | None = None) -> ColumnElement[bool]:
        """The budget row is the scope's month's, of a shop in the scope and in the pass (its
        policy joined, or `terms` looked up)."""
        terms = self.terms if terms is None else terms
        where = [budgets.c.a_month == month_param(), self.covers(budgets.c.a_shop_id)]
        if not terms.every_zone:
            where.append(terms.in_pass())
        return and_(*where)

    def has_bit(self, mask: ColumnElement[int], threshold: int) -> ColumnElement[bool]:
        """`mask` holds the threshold's bit."""
        return mask.op("&")(whole(self.bits[threshold])) != whole(0)

    def threshold_of(self, mask: ColumnElement[int]) -> ColumnElement[int]:
        """The threshold whose bit is `mask` (a pause mask), NULL for none."""
        return case({bit: whole(t) for t, bit in self.bits.items()}, value=mask, else_=null())

    def resume_point(
        self, claim_threshold: ColumnElement[int], terms: ShopTerms | None = None
    ) -> ColumnElement[int]:
        """The threshold a claimed shop must be below to resume: its pause threshold, or, for a
        soft limit, the one its claim paused at (the settings' for a claim that kept none)."""
        terms = self.terms if terms is None else terms
        pause_mask = terms.pause_mask()
        kept = func.coalesce(claim_threshold, bindparam("default_pause_at", type_=Integer()))
        return case((pause_mask == whole(0), kept), else_=self.threshold_of(pause_mask))

    def _amount(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return amount(column, self.dialect)

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
        """The bits of every threshold the (valid) budget row crosses.

        A row that crosses a threshold crosses every lower one (its budget is positive), so the
        answer is the bits of the thresholds up to the first one not crossed: one CASE that
        stops there, which tests two thresholds for a row between the first two instead of
        every threshold of the universe (each test is a DECIMAL multiplication per row, the
        bulk of a no-change evaluation's work on PostgreSQL).
        """
        whens: list[tuple[ColumnElement[bool], ColumnElement[int]]] = []
        below = 0
        for threshold in self.thresholds:
            whens.append((~self.crossed(threshold), whole(below)))
            below |= self.bits[threshold]
        return case(*whens, else_=whole(below))

    def changed(self, fired: FiredState, terms: ShopTerms) -> ColumnElement[bool]:
        """A fired threshold is no longer crossed (to re-arm, whether the shop lists it or
        not), or one of the shop's thresholds is crossed and has not fired. A threshold the
        shop no longer lists stays recorded while crossed, and is ignored."""
        # crossed & (mask | fired) != fired: the thresholds tested once per row (the hot path).
        done = self.fired_bits(fired)
        watched = terms.threshold_mask().op("|")(done)
        return self.crossed_bits().self_group().op("&")(watched) != done

    def fired(self) -> FiredState:
        """Per budget row of the scope: its fired thresholds and claim (state.py: the shape
        suits the database's planner)."""
        if self.dialect in LOOKED_UP:
            return LookedUpState(self.bits)
        return self.aggregated()

    def aggregated(self) -> AggregatedState:
        """The scope's alert state aggregated per shop, on every database: what `findings`
        reads (MariaDB's key lookups, three per row, made a no-change evaluation 2-3x slower);
        with the month's forecasts sent, for the sweep's (`forecasts`)."""
        return AggregatedState(
            self.bits,
            self.covers,
            month_param(),
            numeric_sum=self.dialect == "postgresql",
            with_policies=self.dialect in LOOKED_UP,
            forecasts=self.forecasts,
        )

    @staticmethod
    def fired_bits(fired: FiredState) -> ColumnElement[int]:
        """The bits of the thresholds fired (`fired`: the scope's `fired()`, outer-joined)."""
        return fired.bits()

    def fires(self, fired: FiredState, threshold: int) -> ColumnElement[bool]:
        """The threshold is crossed, is one of the shop's, and has not fired (`fired`: the
        scope's `fired()`)."""
        mine = self.has_bit(self.terms.threshold_mask(), threshold)
        return and_(self.crossed(threshold), mine, ~fired.has_fired(threshold))

    def firing(self, fired: FiredState) -> ColumnElement[bool]:
        """A valid budget row of the scope on which at least one threshold fires now."""
        fires = [self.fires(fired, t) for t in self.thresholds]
        return and_(self.in_month(), self.valid(), or_(*fires))

    def pauses(self, fired: FiredState) -> ColumnElement[bool]:
        """The shop's pause threshold fires now (never for a soft limit: its pause mask is 0)."""
        pause_mask = self.terms.pause_mask()
        return or_(
            *(and_(self.has_bit(pause_mask, t), self.fires(fired, t)) for t in self.thresholds)
        )

    def listed(self, fired: FiredState) -> ColumnElement[str]:
        """The thresholds that fire now as text, `50,100`: each as `,t`, joined, first comma cut."""
        parts: list[ColumnElement[str]] = [
            case((self.fires(fired, t), literal(f",{t}", String)), else_=literal("", String))
            for t in self.thresholds
        ]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + part
        return func.substr(joined, 2)
