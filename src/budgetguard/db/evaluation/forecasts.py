"""Forecast alerts (issue 9 §5) as SQL, in the caller's transaction: the sweep's chunk queues
them after its threshold alerts, in the same transaction.

A valid budget row of the scope gets one `forecast` notification when its shop has forecasts on,
at least BUDGETGUARD_FORECAST_MIN_DAYS days of the month have passed on the shop's clock, the
limit (the shop's pause threshold; 100 for a soft limit) is not crossed yet, the pace so far
reaches it by the month's end (`spent * 100 * month_seconds >= budget * limit * elapsed`, as
domain/forecast.reaches) and no forecast was recorded for the shop this month. `bg_forecasts`
records it: its primary key (month, shop) makes a second forecast of the month impossible,
whatever runs concurrently.

The limit is read from the shop's pause mask: a CASE over every threshold with a bit (the
universe of `bg_threshold_bits`), so the statements are built once per universe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    FromClause,
    Insert,
    String,
    and_,
    bindparam,
    case,
    exists,
    literal,
    null,
    select,
)
from sqlalchemy.engine import Connection

from budgetguard.db.catalog.policies import SOFT_LIMIT_MASK
from budgetguard.db.evaluation.content import labelled, notification_content, now_param
from budgetguard.db.evaluation.literals import amount, in_scope, whole
from budgetguard.db.evaluation.predicates import Rules, Universe
from budgetguard.db.evaluation.shop_terms import ShopTerms
from budgetguard.db.schema.tables import budgets, forecasts, notifications, shops
from budgetguard.domain.errors import ConcurrentChange
from budgetguard.domain.forecast import DAY_SECONDS
from budgetguard.domain.notification import Kind

SOFT_LIMIT_PERCENT = 100
"""What a soft limit's forecast projects to: the whole budget."""


@dataclass(frozen=True, slots=True)
class ForecastShape:
    """What a forecast statement is built for: the database, a scope narrowed to listed shops
    or not, the zones the pass tells apart, and every threshold's bit (threshold, bit)."""

    dialect: str
    narrowed: bool
    zones: int
    every_zone: bool
    universe: Universe


def forecast_sql(rules: Rules) -> ForecastSql:
    """The forecast statements beside the evaluation's `rules` (same database, scope and pass
    shape, universe), built once per process."""
    terms = rules.terms
    shape = ForecastShape(
        rules.dialect, rules.narrowed, terms.zones, terms.every_zone, rules.universe
    )
    return _built(shape)


@cache
def _built(shape: ForecastShape) -> ForecastSql:
    return ForecastSql(shape)


def forecast_params(*, min_days: int) -> dict[str, Any]:
    """The forecast statements' own parameter, beside the scope's, the stamp's and the pass's:
    BUDGETGUARD_FORECAST_MIN_DAYS in seconds. Never at the month's first instant, even with no
    minimum: no time elapsed, no pace."""
    return {"forecast_min_seconds": max(1, min_days * DAY_SECONDS)}


def fire_forecasts(connection: Connection, sql: ForecastSql, params: dict[str, Any]) -> int:
    """Queue the forecasts of the scope that are due and record them; return how many."""
    queued: int = connection.execute(sql.queue, params).rowcount
    if queued:
        recorded: int = connection.execute(sql.record, params).rowcount
        if recorded != queued:
            # A budget row changed between the two statements (InnoDB's locking reads read the
            # newest rows): decide again.
            raise ConcurrentChange(f"forecasts: {recorded} recorded, {queued} queued")
    return queued


class ForecastSql:
    """The statements of a chunk's forecasts (see the module's docstring)."""

    def __init__(self, shape: ForecastShape) -> None:
        self.shape = shape
        self.terms = ShopTerms(shape.zones, every_zone=shape.every_zone)

    # --- the rule ------------------------------------------------------------------------------

    def limit(self, terms: ShopTerms | None = None) -> ColumnElement[int]:
        """The percentage projected: the pause threshold, or 100 for a soft limit (NULL for a
        mask no threshold has: never due); `terms`: the policy as read (default: joined)."""
        return self._by_pause_mask(whole, terms or self.terms)

    def limit_text(self) -> ColumnElement[str]:
        """The limit as a notification's `thresholds` text."""
        return self._by_pause_mask(lambda t: literal(str(t), String), self.terms)

    def _by_pause_mask(
        self, value: Callable[[int], ColumnElement[Any]], terms: ShopTerms
    ) -> ColumnElement[Any]:
        limits = {SOFT_LIMIT_MASK: SOFT_LIMIT_PERCENT} | {
            1 << bit: threshold for threshold, bit in self.shape.universe
        }
        # A simple CASE: the shop's mask is computed once, then looked up.
        whens = {whole(m): value(t) for m, t in limits.items()}
        return case(whens, value=terms.pause_mask(), else_=null())

    def _amount(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        # As 64-bit integers on SQLite, which hold every product below exactly (cents < 10^10,
        # limit <= 340, seconds < 2.7e6).
        return amount(column, self.shape.dialect, integer=True)

    def covers(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        """`column` (a shop id) lies in the scope (as the rules' `covers`)."""
        return in_scope(column, self.shape.dialect, narrowed=self.shape.narrowed)

    def due(self) -> ColumnElement[bool]:
        """A budget row of the scope whose forecast is due now (needs t_budgets and bg_policies
        joined: `ShopTerms.join`)."""
        return and_(
            budgets.c.a_month == bindparam("month", type_=Date()),
            self.covers(budgets.c.a_shop_id),
            self.terms.in_pass(),
            budgets.c.a_budget_amount > whole(0),
            self._pace_reaches_limit(self._unrecorded(), self._below_limit()),
        )

    def _below_limit(self, terms: ShopTerms | None = None) -> ColumnElement[bool]:
        """The limit is not crossed yet: `spent * 100 < budget * limit`, exactly."""
        spent = self._amount(budgets.c.a_amount_spent)
        budget = self._amount(budgets.c.a_budget_amount)
        return spent * whole(100) < budget * self.limit(terms)

    def _pace_reaches_limit(
        self,
        unrecorded: ColumnElement[bool],
        below_limit: ColumnElement[bool],
        terms: ShopTerms | None = None,
    ) -> ColumnElement[bool]:
        """The rule on a valid budget row of the scope and the pass, cheapest first (databases
        test an AND's terms in order): no forecast sent this month (the usual answer once sent),
        the shop's switch and clock, the limit, then the pace. The seconds multiply as integers
        before they meet the amounts: two decimal products, not four."""
        terms = terms or self.terms
        limit = self.limit(terms)
        spent = self._amount(budgets.c.a_amount_spent)
        budget = self._amount(budgets.c.a_budget_amount)
        elapsed = terms.elapsed_seconds()
        whole_month = terms.month_seconds() * whole(100)
        return and_(
            unrecorded,
            terms.forecast(),
            elapsed >= bindparam("forecast_min_seconds", type_=BigInteger()),
            budgets.c.a_amount_spent > whole(0),
            below_limit,
            spent * whole_month.self_group() >= budget * (limit * elapsed).self_group(),
        )

    def _unrecorded(self) -> ColumnElement[bool]:
        return ~exists().where(
            forecasts.c.month == budgets.c.a_month, forecasts.c.shop_id == budgets.c.a_shop_id
        )

    # --- in the sweep's findings (statements.py): one read of the chunk tells both ------------

    def due_in_findings(
        self,
        fired_bits: ColumnElement[int],
        *,
        sent: ColumnElement[bool],
        terms: ShopTerms | None = None,
    ) -> ColumnElement[bool]:
        """`due` on a row the findings read (valid, of the scope and the pass), from the row's
        aggregated state (state.AggregatedState, built with the forecasts): its fired
        thresholds' `fired_bits` and whether its forecast was `sent` this month.

        The limit (a pause threshold, one of the shop's thresholds) is below when its alert has
        not fired: one `&` instead of two decimal products. Where the two disagree the row's
        alerts must change, which the findings tell by themselves, and the writes then decide
        on the amounts (`due`). A soft limit's 100 % may be no threshold of the shop's: amounts.
        `terms`: the shop's policy as the findings read it (joined, or carried by the state).
        """
        terms = terms or self.terms
        pause_mask = terms.pause_mask()
        below = case(
            (pause_mask == whole(SOFT_LIMIT_MASK), self._below_limit(terms)),
            else_=fired_bits.op("&")(pause_mask) == whole(0),
        )
        return self._pace_reaches_limit(~sent, below, terms)

    def _source(self) -> FromClause:
        return ShopTerms.join(budgets.join(shops, shops.c.a_id == budgets.c.a_shop_id), self.covers)

    # --- the statements ------------------------------------------------------------------------

    @cached_property
    def queue(self) -> Insert:
        """Queue a `forecast` notification for every budget row whose forecast is due."""
        # A threshold notification's columns, with the limit as its one threshold, no action.
        content = notification_content(self.terms, Kind.FORECAST, self.limit_text(), null())
        query = select(*labelled(content)).select_from(self._source())
        insert = notifications.insert().from_select(list(content), query.where(self.due()))
        return insert.execution_options(preserve_rowcount=True)

    @cached_property
    def record(self) -> Insert:
        """Record the forecasts `queue` queued (run after it, in the same transaction)."""
        query = (
            select(budgets.c.a_month, budgets.c.a_shop_id, now_param())
            .select_from(ShopTerms.join(budgets, self.covers))
            .where(self.due())
        )
        insert = forecasts.insert().from_select(["month", "shop_id", "fired_at"], query)
        return insert.execution_options(preserve_rowcount=True)
