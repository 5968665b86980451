"""The rules of SPEC §3 as the statements of a chunk's evaluation, built once per process.

A chunk is a range of shop ids (scope.py); its statements run in one REPEATABLE READ
transaction. Every statement of the transaction therefore reads the same budgets (PostgreSQL:
one snapshot; InnoDB: locking reads hold what they read until commit; SQLite: one writer at a
time), so each can derive what it writes from the platform's tables directly, and alert state,
claims, online flags and the outbox always agree. Each runs with the scope's and the stamp's
parameters (`ChunkScope.params() | Stamp.params()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Delete,
    FromClause,
    Insert,
    Select,
    Update,
    and_,
    case,
    cast,
    delete,
    exists,
    false,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)

from budgetguard.db.evaluation.content import (
    evaluation_id_param,
    labelled,
    notification_content,
    now_param,
)
from budgetguard.db.evaluation.forecasts import forecast_sql
from budgetguard.db.evaluation.literals import whole
from budgetguard.db.evaluation.predicates import Rules, Universe, month_param
from budgetguard.db.evaluation.shop_terms import ShopTerms
from budgetguard.db.evaluation.state import AggregatedState, FiredState
from budgetguard.db.schema.tables import alerts, budgets, notifications, pauses, shops
from budgetguard.domain.notification import Action, Kind

S = TypeVar("S", Insert, Update, Delete)


def _counted(statement: S) -> S:
    # psycopg reports how many rows an INSERT ... SELECT wrote only when SQLAlchemy keeps it.
    return statement.execution_options(preserve_rowcount=True)


@dataclass(frozen=True, slots=True)
class _Firing:
    """The budgets on which a threshold fires now, joined to their shop and alert state."""

    fired: FiredState
    where: ColumnElement[bool]
    source: FromClause


@cache
def evaluation_sql(
    universe: Universe,
    dialect: str,
    *,
    narrowed: bool,
    zones: int = 0,
    every_zone: bool = True,
    forecasts: bool = False,
) -> EvaluationSql:
    """The statements for a universe of thresholds on `dialect`, for a month pass telling
    `zones` zones apart beside its default (shop_terms.shape), built once per process.

    Worth it for requests: the two reads of a request's evaluation of one budget cost 72 µs
    (SQLite), 534 µs (MariaDB), 369 µs (PostgreSQL) with their statements built once, and about
    1.0-1.2 ms more with them built per request (benchmarks/request_evaluation.py, this machine).
    The scope's bounds are bind parameters for that reason.
    """
    terms = ShopTerms(zones, every_zone=every_zone)
    sql = EvaluationSql(universe, dialect, narrowed=narrowed, terms=terms)
    sql.forecasts = forecasts
    return sql


class EvaluationSql(Rules):
    """Each statement of a chunk's evaluation, in the order they run (chunk.py); the sweep's
    (`forecasts`) find due forecasts too (db/evaluation/forecasts.py)."""

    # --- reads: does the scope need work? ---------------------------------------------------

    @cached_property
    def findings(self) -> CompoundSelect[Any]:
        """Budget rows that are unusable (all of them, in shop order), then one, if any, whose
        alerts or claim must change (`usable` 1; PostgreSQL: every such row).

        One changed row is enough to know that the scope needs work: its search stops there
        (at a first evaluation, on the scope's first rows) instead of joining every row to its
        alert state and sending two thirds of the scope back. Not on PostgreSQL: with `LIMIT`
        its planner favours a nested loop that aggregates the state again for every budget row,
        seconds a chunk while its statistics still think bg_alerts empty.
        """
        fired, valid = self.aggregated(), self.valid()
        source, terms = fired.join_policies(budgets, self.terms)
        resume_point = self.resume_point(fired.claim_threshold(), terms)
        headroom = and_(fired.claimed(), ~self.crossed(resume_point))
        unusable = (
            select(
                budgets.c.a_shop_id.label("shop_id"),
                budgets.c.a_budget_amount.label("budget"),
                budgets.c.a_amount_spent.label("spent"),
                whole(0).label("usable"),
            )
            .select_from(self.terms.zoned(budgets, self.covers))
            .where(self.in_month(), ~valid)
        )
        no_amount = cast(null(), budgets.c.a_budget_amount.type)  # needs no decoding
        change = (
            select(
                budgets.c.a_shop_id.label("shop_id"),
                no_amount.label("budget"),
                no_amount.label("spent"),
                whole(1).label("usable"),
            )
            .select_from(source)
            .where(
                self.in_month(terms),
                valid,
                or_(self.changed(fired, terms), headroom, *self._forecast(fired, terms)),
            )
        )
        if self.dialect != "postgresql":
            change = select(change.limit(1).subquery("first_change"))
        return union_all(unusable, change).order_by(
            literal_column("usable"), literal_column("shop_id")
        )

    def _forecast(self, fired: AggregatedState, terms: ShopTerms) -> list[ColumnElement[bool]]:
        """A forecast is due (the sweep's findings only: requests do not forecast)."""
        due = forecast_sql(self).due_in_findings
        return (
            [due(fired.bits(), sent=fired.forecast_sent(), terms=terms)] if self.forecasts else []
        )

    @cached_property
    def claims_set_online(self) -> Select[Any]:
        """One shop, if any, that budgetguard paused and someone has set online since."""
        return (
            select(pauses.c.shop_id)
            .join(shops, shops.c.a_id == pauses.c.shop_id)
            .where(self.covers(pauses.c.shop_id), shops.c.a_online == true())
            .limit(1)
        )

    # --- writes ------------------------------------------------------------------------------

    @cached_property
    def release_claims(self) -> Delete:
        """End budgetguard's claim on the shops it paused that are online now."""
        online = select(shops.c.a_id).where(self.covers(shops.c.a_id), shops.c.a_online == true())
        return _counted(
            delete(pauses).where(self.covers(pauses.c.shop_id), pauses.c.shop_id.in_(online))
        )

    @cached_property
    def rearm(self) -> Delete:
        """Re-arm every fired threshold that a valid budget row no longer crosses."""
        no_longer_crossed = exists().where(
            budgets.c.a_shop_id == alerts.c.shop_id,
            budgets.c.a_month == alerts.c.month,
            self.valid(),
            ~self.crossed(alerts.c.threshold),
        )
        where = [alerts.c.month == month_param(), self.covers(alerts.c.shop_id)]
        if not self.terms.every_zone:
            where.append(self.terms.looked_up(alerts.c.shop_id).in_pass())
        return delete(alerts).where(*where, no_longer_crossed)

    def _resumable(self, terms: ShopTerms) -> ColumnElement[bool]:
        """A claimed, offline shop whose budget this month is valid and below its resume point
        (`terms`: the shop's policy, joined or looked up)."""
        return and_(
            self.in_month(terms),
            shops.c.a_online == false(),
            self.valid(),
            ~self.crossed(self.resume_point(pauses.c.threshold, terms)),
        )

    @cached_property
    def queue_resumes(self) -> Insert:
        """Queue a `resumed` notification for each paused shop whose budget has headroom again."""
        content = notification_content(
            self.terms, Kind.RESUMED, literal(""), literal(Action.RESUMED.value)
        )
        claims = pauses.join(shops, shops.c.a_id == pauses.c.shop_id).join(
            budgets, budgets.c.a_shop_id == pauses.c.shop_id
        )
        query = (
            select(*labelled(content))
            .select_from(self.terms.join(claims, self.covers))
            .where(self._resumable(self.terms))
        )
        return _counted(notifications.insert().from_select(list(content), query))

    @cached_property
    def resume_shops(self) -> Update:
        """Set online the shops `queue_resumes` announced (an UPDATE joined to claims, budgets;
        the shop's policy by key lookups, as an UPDATE's join cannot be an outer one)."""
        resume = (
            shops.update()
            .where(
                shops.c.a_id == pauses.c.shop_id,
                budgets.c.a_shop_id == pauses.c.shop_id,
                self._resumable(self.terms.looked_up(pauses.c.shop_id)),
            )
            .values(a_online=True)
        )
        return _counted(resume)

    def _firing(self) -> _Firing:
        fired = self.fired()
        budgets_shops = budgets.join(shops, shops.c.a_id == budgets.c.a_shop_id)
        source = fired.join(self.terms.join(budgets_shops, self.covers), claim=False)
        return _Firing(fired, self.firing(fired), source)

    def _pauses_now(self, fired: FiredState) -> ColumnElement[bool]:
        return and_(self.pauses(fired), shops.c.a_online == true())

    @cached_property
    def queue_threshold_notifications(self) -> Insert:
        """Queue one notification per budget listing every threshold it fires now, ascending."""
        firing = self._firing()
        action = case((self._pauses_now(firing.fired), literal(Action.PAUSED.value)), else_=null())
        content = notification_content(
            self.terms, Kind.THRESHOLD, self.listed(firing.fired), action
        )
        query = select(*labelled(content)).select_from(firing.source).where(firing.where)
        return _counted(notifications.insert().from_select(list(content), query))

    @cached_property
    def record_pauses(self) -> Insert:
        """Claim each online shop whose pause threshold fires now (before the alerts record it),
        with the threshold it pauses at (a soft limit's claim resumes below it)."""
        firing = self._firing()
        threshold = self.threshold_of(self.terms.pause_mask())
        query = (
            select(
                budgets.c.a_shop_id,
                budgets.c.a_month,
                now_param(),
                evaluation_id_param(),
                threshold,
            )
            .select_from(firing.source)
            .where(self.in_month(), self.valid(), self._pauses_now(firing.fired))
        )
        columns = ["shop_id", "month", "paused_at", "evaluation_id", "threshold"]
        return _counted(pauses.insert().from_select(columns, query))

    @cached_property
    def record_alerts(self) -> Insert:
        """Mark fired every threshold a valid budget of the chunk crosses and had not fired.

        Each threshold reads only its own alert state (state.py says which shape, and why).
        """
        per_threshold = []
        for threshold in self.thresholds:
            fired = self.fired()
            source = self.terms.join(budgets, self.covers)
            per_threshold.append(
                select(budgets.c.a_shop_id, budgets.c.a_month, whole(threshold), now_param())
                .select_from(fired.join(source, thresholds=[threshold], claim=False))
                .where(self.in_month(), self.valid(), self.fires(fired, threshold))
            )
        columns = ["shop_id", "month", "threshold", "fired_at"]
        return alerts.insert().from_select(columns, union_all(*per_threshold))

    @cached_property
    def pause_shops(self) -> Update:
        """Set offline the shops `record_pauses` claimed (an UPDATE joined to the claims)."""
        pause = (
            shops.update()
            .where(
                shops.c.a_id == pauses.c.shop_id,
                self.covers(pauses.c.shop_id),
                pauses.c.evaluation_id == evaluation_id_param(),
                shops.c.a_online == true(),
            )
            .values(a_online=False)
        )
        return _counted(pause)
