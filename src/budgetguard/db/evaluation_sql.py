"""The rules of SPEC §3 as set-based SQL over one chunk of shops.

A chunk is a range of shop ids. Each statement below works on the whole range at once; the
evaluator (db/evaluator.py) runs them in one transaction per chunk. Statements that act on what
the evaluation decided read it back from the notifications queued in the same transaction, so
alert state, pause/resume and the outbox always agree, even when the platform changes spend
between two statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Delete,
    Insert,
    Integer,
    Select,
    String,
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

from budgetguard.db.tables import alerts, budgets, notifications, pauses, shops
from budgetguard.db.types import UtcDateTime
from budgetguard.domain.notification import Action, Kind
from budgetguard.domain.thresholds import ThresholdPolicy

PENDING = "pending"


@dataclass(frozen=True, slots=True)
class ChunkScope:
    """Shops with `after < id <= upto` (None: unbounded) and their budget for `month`."""

    month: date
    after: int | None
    upto: int | None

    def covers(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        bounds: list[ColumnElement[bool]] = [true()]
        if self.after is not None:
            bounds.append(column > self.after)
        if self.upto is not None:
            bounds.append(column <= self.upto)
        return and_(*bounds)


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who queues what, when: the evaluation's id, the clock, and the evaluation date."""

    evaluation_id: int
    now: datetime
    today: date


def _counted(statement: Insert) -> Insert:
    # The evaluator checks how many rows an INSERT ... SELECT wrote; psycopg reports it only
    # when SQLAlchemy is asked to keep it.
    return statement.execution_options(preserve_rowcount=True)


def _int(value: int) -> ColumnClause[int]:
    # Thresholds are validated whole numbers from the settings: inline them as SQL literals.
    return literal_column(str(int(value)), Integer)


class EvaluationSql:
    """Builds each statement of a chunk's evaluation for one threshold policy and dialect."""

    def __init__(self, policy: ThresholdPolicy, dialect: str) -> None:
        self.policy = policy
        self.dialect = dialect
        self._fired = {t: alerts.alias(f"fired_{t}") for t in policy.thresholds}

    # --- predicates ------------------------------------------------------------------------

    def _cents(self, amount: ColumnElement[object]) -> ColumnElement[object]:
        if self.dialect == "sqlite":
            # SQLite holds DECIMAL(10,2) as REAL: compare whole cents, which REAL holds exactly.
            return func.round(amount * _int(100))
        return amount * _int(100)

    def crossed(self, threshold: ColumnElement[int]) -> ColumnElement[bool]:
        """`spent * 100 >= budget * threshold`, exactly (SPEC §3)."""
        spent = self._cents(budgets.c.a_amount_spent)
        budget = self._cents(budgets.c.a_budget_amount)
        return spent * _int(100) >= budget * threshold

    @staticmethod
    def valid() -> ColumnElement[bool]:
        """A budget row that can be evaluated; mirrors domain.money.unusable_reason."""
        budget, spent = budgets.c.a_budget_amount, budgets.c.a_amount_spent
        return and_(budget.is_not(None), spent.is_not(None), budget > _int(0), spent >= _int(0))

    def _fires(self, threshold: int) -> ColumnElement[bool]:
        return and_(self.crossed(_int(threshold)), self._fired[threshold].c.shop_id.is_(None))

    def _rearms(self, threshold: int) -> ColumnElement[bool]:
        return and_(~self.crossed(_int(threshold)), self._fired[threshold].c.shop_id.is_not(None))

    def _month_budgets(self) -> object:
        joined = budgets.join(shops, shops.c.a_id == budgets.c.a_shop_id)
        for threshold, fired in self._fired.items():
            joined = joined.outerjoin(
                fired,
                and_(
                    fired.c.shop_id == budgets.c.a_shop_id,
                    fired.c.month == budgets.c.a_month,
                    fired.c.threshold == _int(threshold),
                ),
            )
        return joined

    def _in_month(self, scope: ChunkScope) -> ColumnElement[bool]:
        return and_(budgets.c.a_month == scope.month, scope.covers(budgets.c.a_shop_id))

    # --- reads -----------------------------------------------------------------------------

    def findings(self, scope: ChunkScope) -> Select[Any, Any, Any, int]:
        """Budget rows that are unusable or whose alert state must change."""
        changes = [self._fires(t) for t in self.policy.thresholds]
        changes += [self._rearms(t) for t in self.policy.thresholds]
        valid = self.valid()
        return (
            select(
                budgets.c.a_shop_id,
                budgets.c.a_budget_amount,
                budgets.c.a_amount_spent,
                case((valid, 1), else_=0).label("usable"),
            )
            .select_from(self._month_budgets())  # type: ignore[arg-type]
            .where(self._in_month(scope), or_(~valid, and_(valid, or_(*changes))))
            .order_by(budgets.c.a_shop_id)
        )

    def claims_to_settle(self, scope: ChunkScope) -> Select[int]:
        """Shops budgetguard paused that are online again, or whose budget has headroom."""
        headroom = and_(self.valid(), ~self.crossed(_int(self.policy.pause_at)))
        return (
            select(pauses.c.shop_id)
            .join(shops, shops.c.a_id == pauses.c.shop_id)
            .outerjoin(
                budgets,
                and_(budgets.c.a_shop_id == pauses.c.shop_id, budgets.c.a_month == scope.month),
            )
            .where(scope.covers(pauses.c.shop_id), or_(shops.c.a_online == true(), headroom))
        )

    def count_actions(self, scope: ChunkScope, stamp: Stamp, action: Action) -> Select[int]:
        return select(func.count()).where(self._queued(scope, stamp, action))

    # --- writes ----------------------------------------------------------------------------

    def release_claims(self, scope: ChunkScope) -> Delete:
        """End budgetguard's claim on paused shops someone has set online by hand."""
        online = select(shops.c.a_id).where(scope.covers(shops.c.a_id), shops.c.a_online == true())
        return delete(pauses).where(scope.covers(pauses.c.shop_id), pauses.c.shop_id.in_(online))

    def rearm(self, scope: ChunkScope) -> Delete:
        """Re-arm every fired threshold that a valid budget row no longer crosses."""
        no_longer_crossed = exists().where(
            budgets.c.a_shop_id == alerts.c.shop_id,
            budgets.c.a_month == alerts.c.month,
            self.valid(),
            ~self.crossed(alerts.c.threshold),
        )
        return delete(alerts).where(
            alerts.c.month == scope.month, scope.covers(alerts.c.shop_id), no_longer_crossed
        )

    def queue_resumes(self, scope: ChunkScope, stamp: Stamp) -> Insert:
        """Queue a `resumed` notification for each paused shop whose budget has headroom again."""
        source = (
            select(*self._content(stamp, Kind.RESUMED, literal(""), literal(Action.RESUMED.value)))
            .select_from(pauses)
            .join(shops, shops.c.a_id == pauses.c.shop_id)
            .join(budgets, budgets.c.a_shop_id == pauses.c.shop_id)
            .where(
                self._in_month(scope),
                shops.c.a_online == false(),
                self.valid(),
                ~self.crossed(_int(self.policy.pause_at)),
            )
        )
        return _counted(notifications.insert().from_select(self._content_columns(), source))

    def queue_threshold_notifications(self, scope: ChunkScope, stamp: Stamp) -> Insert:
        """Queue one notification per budget listing every threshold it fires now, ascending."""
        pauses_now = and_(self._fires(self.policy.pause_at), shops.c.a_online == true())
        action = case((pauses_now, literal(Action.PAUSED.value)), else_=null())
        source = (
            select(*self._content(stamp, Kind.THRESHOLD, self._fired_list(), action))
            .select_from(self._month_budgets())  # type: ignore[arg-type]
            .where(
                self._in_month(scope),
                self.valid(),
                or_(*(self._fires(t) for t in self.policy.thresholds)),
            )
        )
        return _counted(notifications.insert().from_select(self._content_columns(), source))

    def record_alerts(self, scope: ChunkScope, stamp: Stamp) -> Insert:
        """Mark fired every threshold listed by this evaluation's notifications in the chunk."""
        listed = union_all(
            *(
                select(_int(t).label("threshold"), literal(f"%,{t},%").label("pattern"))
                for t in self.policy.thresholds
            )
        ).subquery("listed")
        padded = literal(",", String) + notifications.c.thresholds + literal(",", String)
        source = (
            select(
                notifications.c.shop_id,
                notifications.c.month,
                listed.c.threshold,
                literal(stamp.now, UtcDateTime),
            )
            .join(listed, padded.like(listed.c.pattern))
            .where(self._queued(scope, stamp, kind=Kind.THRESHOLD))
        )
        columns = [alerts.c.shop_id, alerts.c.month, alerts.c.threshold, alerts.c.fired_at]
        return alerts.insert().from_select(columns, source)

    def set_online(self, scope: ChunkScope, stamp: Stamp, action: Action) -> Update:
        """Set offline the shops this evaluation paused, or online those it resumed."""
        online = action is Action.RESUMED
        chosen = select(notifications.c.shop_id).where(self._queued(scope, stamp, action))
        return (
            shops.update()
            .where(shops.c.a_id.in_(chosen), shops.c.a_online == (false() if online else true()))
            .values(a_online=online)
        )

    def record_pauses(self, scope: ChunkScope, stamp: Stamp) -> Insert:
        """Record budgetguard's claim on each shop this evaluation paused."""
        source = select(
            notifications.c.shop_id,
            notifications.c.month,
            literal(stamp.now, UtcDateTime),
            notifications.c.id,
        ).where(self._queued(scope, stamp, Action.PAUSED))
        columns = [pauses.c.shop_id, pauses.c.month, pauses.c.paused_at, pauses.c.notification_id]
        return pauses.insert().from_select(columns, source)

    def drop_resumed_claims(self, scope: ChunkScope, stamp: Stamp) -> Delete:
        chosen = select(notifications.c.shop_id).where(self._queued(scope, stamp, Action.RESUMED))
        return delete(pauses).where(scope.covers(pauses.c.shop_id), pauses.c.shop_id.in_(chosen))

    # --- shared pieces ---------------------------------------------------------------------

    def _fired_list(self) -> ColumnElement[str]:
        """The thresholds fired now as text, `50,100`: each as `,t`, joined, first comma cut."""
        parts: list[ColumnElement[str]] = [
            case((self._fires(t), literal(f",{t}", String)), else_=literal("", String))
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
    def _content_columns() -> list[ColumnElement[object]]:
        c = notifications.c
        return [
            c.evaluation_id, c.kind, c.shop_id, c.shop_name, c.month, c.budget, c.spent,
            c.thresholds, c.action, c.evaluated_on, c.created_at, c.status, c.attempts,
            c.next_attempt_at,
        ]  # fmt: skip

    @staticmethod
    def _queued(
        scope: ChunkScope, stamp: Stamp, action: Action | None = None, *, kind: Kind | None = None
    ) -> ColumnElement[bool]:
        conditions = [
            notifications.c.evaluation_id == stamp.evaluation_id,
            scope.covers(notifications.c.shop_id),
        ]
        if action is not None:
            conditions.append(notifications.c.action == action.value)
        if kind is not None:
            conditions.append(notifications.c.kind == kind.value)
        return and_(*conditions)
