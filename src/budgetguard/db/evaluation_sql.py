"""The rules of SPEC §3 as set-based SQL over one chunk of shops.

A chunk is a range of shop ids; the evaluator (db/evaluator.py) runs these statements in one
REPEATABLE READ transaction per chunk. Every statement of the transaction therefore reads the
same budgets (PostgreSQL: one snapshot; InnoDB: locking reads hold what they read until commit;
SQLite: one writer at a time), so each statement can derive what it writes from the platform's
tables directly, and alert state, claims, online flags and the outbox always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from math import gcd
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Delete,
    Insert,
    Integer,
    Select,
    String,
    Subquery,
    Update,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.expression import ColumnClause

from budgetguard.db.keys import one_of_values
from budgetguard.db.tables import alerts, budgets, notifications, pauses, shops
from budgetguard.db.types import UtcDateTime
from budgetguard.domain.notification import Action, Kind
from budgetguard.domain.period import Month
from budgetguard.domain.thresholds import ThresholdPolicy

PENDING = "pending"


@dataclass(frozen=True, slots=True)
class ChunkScope:
    """Shops with `after < id <= upto` (None: unbounded) and their budget for `month`.

    `only`, when given, narrows the range to those shop ids: the budgets a request touched.
    """

    month: date
    after: int | None
    upto: int | None
    only: tuple[int, ...] = ()
    dialect: str = ""
    """The database `only` is written for (PostgreSQL takes it as one array)."""

    def evaluated_month(self) -> Month:
        """The month whose budgets the scope holds (for messages)."""
        return Month.of(self.month)

    def covers(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        bounds: list[ColumnElement[bool]] = [true()]
        if self.after is not None:
            bounds.append(column > self.after)
        if self.upto is not None:
            bounds.append(column <= self.upto)
        if self.only:
            bounds.append(one_of_values(column, self.only, self.dialect))
        return and_(*bounds)


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who queues what, when: the evaluation's id, the clock, and the evaluation date."""

    evaluation_id: int
    now: datetime
    today: date


def _int(value: int) -> ColumnClause[int]:
    # Thresholds are validated whole numbers from the settings: inline them as SQL literals.
    return literal_column(str(int(value)), Integer)


S = TypeVar("S", Insert, Update, Delete)


def _counted(statement: S) -> S:
    # psycopg reports how many rows an INSERT ... SELECT wrote only when SQLAlchemy keeps it.
    return statement.execution_options(preserve_rowcount=True)


class EvaluationSql:
    """Builds each statement of a chunk's evaluation for one threshold policy and dialect."""

    def __init__(self, policy: ThresholdPolicy, dialect: str) -> None:
        self.policy = policy
        self.dialect = dialect
        # Each threshold's bit: a set of fired or crossed thresholds is one integer.
        self.bits = {t: 1 << i for i, t in enumerate(policy.thresholds)}

    # --- predicates over t_budgets ------------------------------------------------------------

    def _amount(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.dialect == "sqlite":
            # SQLite holds DECIMAL(10,2) as REAL: compare whole cents, which REAL holds exactly.
            return func.round(column * _int(100))
        return column

    def crossed(self, threshold: int) -> ColumnElement[bool]:
        """`spent * 100 >= budget * threshold`, exactly (SPEC §3), with the fraction reduced."""
        divisor = gcd(100, threshold)
        spent = self._amount(budgets.c.a_amount_spent)
        budget = self._amount(budgets.c.a_budget_amount)
        if 100 // divisor != 1:
            spent = spent * _int(100 // divisor)
        if threshold // divisor != 1:
            budget = budget * _int(threshold // divisor)
        return spent >= budget

    def _crossed_at(self, threshold: ColumnElement[int]) -> ColumnElement[bool]:
        spent = self._amount(budgets.c.a_amount_spent) * _int(100)
        return spent >= self._amount(budgets.c.a_budget_amount) * threshold

    @staticmethod
    def valid() -> ColumnElement[bool]:
        """A budget row that can be evaluated; mirrors domain.money.unusable_reason."""
        budget, spent = budgets.c.a_budget_amount, budgets.c.a_amount_spent
        return and_(budget.is_not(None), spent.is_not(None), budget > _int(0), spent >= _int(0))

    def _crossed_bits(self) -> ColumnElement[int]:
        terms: list[ColumnElement[int]] = [
            case((self.crossed(t), _int(bit)), else_=_int(0)) for t, bit in self.bits.items()
        ]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def _in_month(self, scope: ChunkScope) -> ColumnElement[bool]:
        return and_(budgets.c.a_month == scope.month, scope.covers(budgets.c.a_shop_id))

    def _fired(self, scope: ChunkScope) -> Subquery:
        """Per shop of the chunk: the bits of its fired thresholds, and whether it is claimed."""
        weight = case(self.bits, value=alerts.c.threshold, else_=_int(0))
        fired = select(alerts.c.shop_id, weight.label("bits"), _int(0).label("claimed")).where(
            alerts.c.month == scope.month, scope.covers(alerts.c.shop_id)
        )
        claimed = select(pauses.c.shop_id, _int(0), _int(1)).where(scope.covers(pauses.c.shop_id))
        both = union_all(fired, claimed).subquery("state")
        return (
            select(
                both.c.shop_id,
                func.sum(both.c.bits).label("bits"),
                func.max(both.c.claimed).label("claimed"),
            )
            .group_by(both.c.shop_id)
            .subquery("fired")
        )

    def _fires(self, fired: Subquery, threshold: int) -> ColumnElement[bool]:
        already = func.coalesce(fired.c.bits, _int(0)).op("&")(_int(self.bits[threshold]))
        return and_(self.crossed(threshold), already == _int(0))

    # --- reads -----------------------------------------------------------------------------

    def findings(self, scope: ChunkScope) -> Select[Any, Any, Any, int]:
        """Budget rows that are unusable, or whose alerts or claim must change."""
        fired, valid = self._fired(scope), self.valid()
        headroom = and_(fired.c.claimed == _int(1), ~self.crossed(self.policy.pause_at))
        changed = self._crossed_bits() != func.coalesce(fired.c.bits, _int(0))
        # Amounts only for the unusable rows, which the warning names; the rest need no decoding.
        return (
            select(
                budgets.c.a_shop_id,
                case((valid, null()), else_=budgets.c.a_budget_amount),
                case((valid, null()), else_=budgets.c.a_amount_spent),
                case((valid, 1), else_=0).label("usable"),
            )
            .outerjoin(fired, fired.c.shop_id == budgets.c.a_shop_id)
            .where(self._in_month(scope), or_(~valid, and_(valid, or_(changed, headroom))))
            .order_by(budgets.c.a_shop_id)
        )

    def claims_set_online(self, scope: ChunkScope) -> Select[int]:
        """Shops budgetguard paused that someone has set online since."""
        return (
            select(pauses.c.shop_id)
            .join(shops, shops.c.a_id == pauses.c.shop_id)
            .where(scope.covers(pauses.c.shop_id), shops.c.a_online == true())
        )

    # --- writes ----------------------------------------------------------------------------

    def release_claims(self, scope: ChunkScope) -> Delete:
        """End budgetguard's claim on the shops it paused that are online now."""
        online = select(shops.c.a_id).where(scope.covers(shops.c.a_id), shops.c.a_online == true())
        return _counted(
            delete(pauses).where(scope.covers(pauses.c.shop_id), pauses.c.shop_id.in_(online))
        )

    def rearm(self, scope: ChunkScope) -> Delete:
        """Re-arm every fired threshold that a valid budget row no longer crosses."""
        no_longer_crossed = exists().where(
            budgets.c.a_shop_id == alerts.c.shop_id,
            budgets.c.a_month == alerts.c.month,
            self.valid(),
            ~self._crossed_at(alerts.c.threshold),
        )
        return delete(alerts).where(
            alerts.c.month == scope.month, scope.covers(alerts.c.shop_id), no_longer_crossed
        )

    def _resumable(self, scope: ChunkScope) -> ColumnElement[bool]:
        """A claimed, offline shop whose budget this month is valid and below the pause point."""
        return and_(
            self._in_month(scope),
            shops.c.a_online == false(),
            self.valid(),
            ~self.crossed(self.policy.pause_at),
        )

    def queue_resumes(self, scope: ChunkScope, stamp: Stamp) -> Insert:
        """Queue a `resumed` notification for each paused shop whose budget has headroom again."""
        source = (
            select(*self._content(stamp, Kind.RESUMED, literal(""), literal(Action.RESUMED.value)))
            .select_from(pauses)
            .join(shops, shops.c.a_id == pauses.c.shop_id)
            .join(budgets, budgets.c.a_shop_id == pauses.c.shop_id)
            .where(self._resumable(scope))
        )
        return _counted(notifications.insert().from_select(self._content_columns(), source))

    def resume_shops(self, scope: ChunkScope) -> Update:
        """Set online the shops `queue_resumes` announced (an UPDATE joined to claims, budgets)."""
        return _counted(
            shops.update()
            .where(
                shops.c.a_id == pauses.c.shop_id,
                budgets.c.a_shop_id == pauses.c.shop_id,
                self._resumable(scope),
            )
            .values(a_online=True)
        )

    def _firing(self, scope: ChunkScope) -> tuple[Subquery, ColumnElement[bool], Any]:
        fired = self._fired(scope)
        fires_any = or_(*(self._fires(fired, t) for t in self.policy.thresholds))
        source = (
            budgets.join(shops, shops.c.a_id == budgets.c.a_shop_id)
            .outerjoin(fired, fired.c.shop_id == budgets.c.a_shop_id)
        )  # fmt: skip
        return fired, and_(self._in_month(scope), self.valid(), fires_any), source

    def _pauses_now(self, fired: Subquery) -> ColumnElement[bool]:
        return and_(self._fires(fired, self.policy.pause_at), shops.c.a_online == true())

    def queue_threshold_notifications(self, scope: ChunkScope, stamp: Stamp) -> Insert:
        """Queue one notification per budget listing every threshold it fires now, ascending."""
        fired, firing, source = self._firing(scope)
        action = case((self._pauses_now(fired), literal(Action.PAUSED.value)), else_=null())
        listed = self._listed(fired)
        query = select(*self._content(stamp, Kind.THRESHOLD, listed, action))
        query = query.select_from(source).where(firing)
        return _counted(notifications.insert().from_select(self._content_columns(), query))

    def record_pauses(self, scope: ChunkScope, stamp: Stamp) -> Insert:
        """Claim each online shop whose pause threshold fires now (before the alerts record it)."""
        fired, firing, source = self._firing(scope)
        query = (
            select(
                budgets.c.a_shop_id,
                budgets.c.a_month,
                literal(stamp.now, UtcDateTime),
                literal(stamp.evaluation_id),
            )
            .select_from(source)
            .where(firing, self._pauses_now(fired))
        )
        columns = [pauses.c.shop_id, pauses.c.month, pauses.c.paused_at, pauses.c.evaluation_id]
        return _counted(pauses.insert().from_select(columns, query))

    def record_alerts(self, scope: ChunkScope, stamp: Stamp) -> Insert:
        """Mark fired every threshold a valid budget of the chunk crosses and had not fired.

        Joined to the chunk's aggregated alert state rather than probing bg_alerts row by row:
        the plan then stays good even when the planner's statistics still think the table is
        empty (the first evaluation after an upgrade fills it by the million).
        """
        now = literal(stamp.now, UtcDateTime)
        per_threshold = []
        for threshold in self.policy.thresholds:
            fired = self._fired(scope)
            per_threshold.append(
                select(budgets.c.a_shop_id, budgets.c.a_month, _int(threshold), now)
                .select_from(budgets.outerjoin(fired, fired.c.shop_id == budgets.c.a_shop_id))
                .where(self._in_month(scope), self.valid(), self._fires(fired, threshold))
            )
        columns = [alerts.c.shop_id, alerts.c.month, alerts.c.threshold, alerts.c.fired_at]
        return alerts.insert().from_select(columns, union_all(*per_threshold))

    def pause_shops(self, scope: ChunkScope, stamp: Stamp) -> Update:
        """Set offline the shops `record_pauses` claimed (an UPDATE joined to the claims)."""
        return _counted(
            shops.update()
            .where(
                shops.c.a_id == pauses.c.shop_id,
                scope.covers(pauses.c.shop_id),
                pauses.c.evaluation_id == stamp.evaluation_id,
                shops.c.a_online == true(),
            )
            .values(a_online=False)
        )

    # --- shared pieces ---------------------------------------------------------------------

    def _listed(self, fired: Subquery) -> ColumnElement[str]:
        """The thresholds fired now as text, `50,100`: each as `,t`, joined, first comma cut."""
        parts: list[ColumnElement[str]] = [
            case((self._fires(fired, t), literal(f",{t}", String)), else_=literal("", String))
            for t in self.policy.thresholds
        ]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + part
        return func.substr(joined, 2)

    @staticmethod
    def _content(
        stamp: Stamp, kind: Kind, thresholds: ColumnElement[Any], action: ColumnElement[Any]
    ) -> list[ColumnElement[Any]]:
        return [
            literal(stamp.evaluation_id),
            literal(kind.value),
            budgets.c.a_shop_id,
            shops.c.a_name,
            budgets.c.a_month,
            budgets.c.a_budget_amount,
            budgets.c.a_amount_spent,
            thresholds,
            action,
            literal(stamp.today),
            literal(stamp.now, UtcDateTime),
            literal(PENDING),
            literal(0),
            literal(stamp.now, UtcDateTime),
        ]

    @staticmethod
    def _content_columns() -> list[ColumnElement[Any]]:
        c = notifications.c
        return [
            c.evaluation_id, c.kind, c.shop_id, c.shop_name, c.month, c.budget, c.spent,
            c.thresholds, c.action, c.evaluated_on, c.created_at, c.status, c.attempts,
            c.next_attempt_at,
        ]  # fmt: skip
