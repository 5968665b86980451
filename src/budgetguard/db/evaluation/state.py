"""Per budget row of a scope: which thresholds have fired, and whether budgetguard claims the shop.

Two shapes of the same answer, chosen per statement and database (their planners differ):

* `AggregatedState` (the findings read everywhere; the writes on PostgreSQL and SQLite): the
  scope's alerts and claims, aggregated per shop and outer-joined to the budgets. It reads only
  the scope's range of bg_alerts and bg_pauses, so the plan stays good even when PostgreSQL's
  statistics still think those tables empty (the first evaluation after an upgrade fills them
  by the million).
* `LookedUpState` (the writes on MySQL and MariaDB): one primary-key lookup per threshold and
  one for the claim. MariaDB materialises the aggregate (a UNION into one temporary table, a
  GROUP BY into another) and then probes it per budget row: about 0.3 s of a 20,000-row chunk
  (ANALYZE FORMAT=JSON), while InnoDB's `eq_ref` lookups in key order cost a few milliseconds.
  InnoDB's own statistics follow the tables' growth, so the stale-statistics concern does not
  apply. The findings read keeps the aggregate: it probes every row of the scope, three keys
  each once the state is full, which made a no-change evaluation 1.5-2x slower.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    and_,
    case,
    cast,
    func,
    null,
    select,
    union_all,
)

from budgetguard.db.evaluation.literals import bit_sum, whole
from budgetguard.db.schema.tables import alerts, budgets, pauses
from budgetguard.db.schema.tables import forecasts as forecasts_sent


class FiredState(Protocol):
    """What the rules need to know of a budget row's alert state (outer-joined by `join`)."""

    def join(
        self, source: FromClause, *, thresholds: Iterable[int] | None = None, claim: bool = True
    ) -> FromClause:
        """`source` (which holds t_budgets) with the state outer-joined to it: of `thresholds`
        (default: all) and the claim if `claim`; a statement asks only for what it reads."""

    def has_fired(self, threshold: int) -> ColumnElement[bool]:
        """The threshold has fired for the row's budget (and not re-armed since)."""

    def bits(self) -> ColumnElement[int]:
        """The bits of every fired threshold (`bits[t]` each)."""

    def claimed(self) -> ColumnElement[bool]:
        """budgetguard paused the row's shop and still claims it."""

    def claim_threshold(self) -> ColumnElement[int]:
        """The threshold the claim paused the shop at (NULL: a claim older than issue 9)."""


class AggregatedState:
    """The scope's alerts and claims, summed per shop, outer-joined once."""

    def __init__(
        self,
        bits: dict[int, int],
        covers: Callable[[ColumnElement[int]], ColumnElement[bool]],
        month: ColumnElement[Any],
        *,
        numeric_sum: bool = False,
        forecasts: bool = False,
    ) -> None:
        self._bits = bits
        weight = case(bits, value=alerts.c.threshold, else_=whole(0))
        no_threshold = cast(null(), Integer)
        fired = select(
            alerts.c.shop_id,
            weight.label("bits"),
            whole(0).label("claimed"),
            no_threshold.label("claim_threshold"),
            whole(0).label("forecast"),
        ).where(alerts.c.month == month, covers(alerts.c.shop_id))
        claimed = select(pauses.c.shop_id, whole(0), whole(1), pauses.c.threshold, whole(0)).where(
            covers(pauses.c.shop_id)
        )
        parts = [fired, claimed]
        if forecasts:
            # The month's forecasts sent (db/evaluation/forecasts.py): one more range, no lookups.
            parts.append(
                select(forecasts_sent.c.shop_id, whole(0), whole(0), no_threshold, whole(1)).where(
                    forecasts_sent.c.month == month, covers(forecasts_sent.c.shop_id)
                )
            )
        both = union_all(*parts).subquery("state")
        total: ColumnElement[int] = func.sum(both.c.bits)
        if numeric_sum:
            # PostgreSQL's sum(bigint) is NUMERIC, which has no `&`.
            total = cast(total, BigInteger)
        self._state = (
            select(
                both.c.shop_id,
                total.label("bits"),
                func.max(both.c.claimed).label("claimed"),
                func.max(both.c.claim_threshold).label("claim_threshold"),
                func.max(both.c.forecast).label("forecast"),
            )
            .group_by(both.c.shop_id)
            .subquery("fired")
        )

    def join(
        self, source: FromClause, *, thresholds: Iterable[int] | None = None, claim: bool = True
    ) -> FromClause:
        return source.outerjoin(self._state, self._state.c.shop_id == budgets.c.a_shop_id)

    def bits(self) -> ColumnElement[int]:
        return func.coalesce(self._state.c.bits, whole(0))

    def has_fired(self, threshold: int) -> ColumnElement[bool]:
        return self.bits().op("&")(whole(self._bits[threshold])) != whole(0)

    def claimed(self) -> ColumnElement[bool]:
        return self._state.c.claimed == whole(1)

    def claim_threshold(self) -> ColumnElement[int]:
        return self._state.c.claim_threshold

    def forecast_sent(self) -> ColumnElement[bool]:
        """The shop's forecast of the month was sent (built with `forecasts` only)."""
        return func.coalesce(self._state.c.forecast, whole(0)) == whole(1)


class LookedUpState:
    """One outer join on bg_alerts' primary key per threshold, one on bg_pauses' for the claim."""

    def __init__(self, bits: dict[int, int]) -> None:
        self._bits = bits
        self._alerts = {t: alerts.alias(f"fired_{t}") for t in bits}
        self._claim = pauses.alias("claim")

    def join(
        self, source: FromClause, *, thresholds: Iterable[int] | None = None, claim: bool = True
    ) -> FromClause:
        for threshold in self._bits if thresholds is None else thresholds:
            alert = self._alerts[threshold]
            source = source.outerjoin(
                alert,
                and_(
                    alert.c.month == budgets.c.a_month,
                    alert.c.shop_id == budgets.c.a_shop_id,
                    alert.c.threshold == whole(threshold),
                ),
            )
        if not claim:
            return source
        return source.outerjoin(self._claim, self._claim.c.shop_id == budgets.c.a_shop_id)

    def bits(self) -> ColumnElement[int]:
        return bit_sum(self._bits, self.has_fired)

    def has_fired(self, threshold: int) -> ColumnElement[bool]:
        return self._alerts[threshold].c.shop_id.is_not(None)

    def claimed(self) -> ColumnElement[bool]:
        return self._claim.c.shop_id.is_not(None)

    def claim_threshold(self) -> ColumnElement[int]:
        return self._claim.c.threshold
