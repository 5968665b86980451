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
    Boolean,
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
from sqlalchemy.types import TypeEngine

from budgetguard.db.evaluation.literals import bit_sum, whole
from budgetguard.db.evaluation.shop_terms import ShopTerms
from budgetguard.db.schema.tables import alerts, budgets, pauses, policies
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


POLICY_FIELDS = ("threshold_mask", "pause_mask", "timezone", "forecast")
"""The policy columns the aggregated state carries (what `findings` reads of a shop's policy)."""


class AggregatedState:
    """The scope's alerts and claims (and, `with_policies`, policies) aggregated per shop,
    outer-joined once.

    With `with_policies` (MySQL/MariaDB), the policies ride along (`policy_terms`): read by the
    scope's range like the alerts, not by a key lookup per budget row: at 1M shops, 10 % with a
    policy, the lookups cost a third of a no-change evaluation's findings (2.7 s against 2.3 s
    for the evaluation). PostgreSQL hash-joins bg_policies instead, which is cheaper there
    (0.31 s against 0.39 s at 200k).
    """

    def __init__(
        self,
        bits: dict[int, int],
        covers: Callable[[ColumnElement[int]], ColumnElement[bool]],
        month: ColumnElement[Any],
        *,
        numeric_sum: bool = False,
        with_policies: bool = False,
        forecasts: bool = False,
    ) -> None:
        self._bits = bits
        self._covers = covers
        self._with_policies = with_policies
        fields = POLICY_FIELDS if with_policies else ()
        weight = case(bits, value=alerts.c.threshold, else_=whole(0))
        no_threshold = cast(null(), Integer)
        no_policy = [cast(null(), _cast_type(policies.c[f].type)).label(f) for f in fields]
        fired = select(
            alerts.c.shop_id,
            weight.label("bits"),
            whole(0).label("claimed"),
            no_threshold.label("claim_threshold"),
            whole(0).label("forecast_sent"),
            *no_policy,
        ).where(alerts.c.month == month, covers(alerts.c.shop_id))
        claimed = select(
            pauses.c.shop_id, whole(0), whole(1), pauses.c.threshold, whole(0), *no_policy
        ).where(covers(pauses.c.shop_id))
        parts = [fired, claimed]
        if with_policies:
            parts.append(
                select(
                    policies.c.shop_id,
                    whole(0),
                    whole(0),
                    no_threshold,
                    whole(0),
                    *(policies.c[f] for f in fields),
                ).where(covers(policies.c.shop_id))
            )
        if forecasts:
            # The month's forecasts sent (db/evaluation/forecasts.py): one more range, no lookups.
            parts.append(
                select(
                    forecasts_sent.c.shop_id, whole(0), whole(0), no_threshold, whole(1), *no_policy
                ).where(forecasts_sent.c.month == month, covers(forecasts_sent.c.shop_id))
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
                func.max(both.c.forecast_sent).label("forecast_sent"),
                *(func.max(both.c[f]).label(f) for f in fields),
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

    def join_policies(self, source: FromClause, terms: ShopTerms) -> tuple[FromClause, ShopTerms]:
        """`source` (which holds t_budgets) with the state and the shop's policy joined, and
        `terms` reading that policy: from the state's columns when it carries them."""
        if self._with_policies:
            return self.join(source), terms.read_from(self._state)
        return self.join(terms.join(source, self._covers)), terms

    def has_fired(self, threshold: int) -> ColumnElement[bool]:
        return self.bits().op("&")(whole(self._bits[threshold])) != whole(0)

    def claimed(self) -> ColumnElement[bool]:
        return self._state.c.claimed == whole(1)

    def claim_threshold(self) -> ColumnElement[int]:
        return self._state.c.claim_threshold

    def forecast_sent(self) -> ColumnElement[bool]:
        """The shop's forecast of the month was sent (built with `forecasts` only)."""
        return func.coalesce(self._state.c.forecast_sent, whole(0)) == whole(1)


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


def _cast_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type a NULL of a policy column is cast to: MySQL/MariaDB cast no BOOL (a flag is a
    TINYINT there, so an integer NULL is the same)."""
    return Integer() if isinstance(type_, Boolean) else type_
