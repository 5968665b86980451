"""Each budget's latest usage (bg_usage) and its spend by day (bg_spend_days) as SQL, in the
caller's transaction: every evaluation of a scope (a sweep's chunk, a request's budgets) records
the budget rows whose budget or spend differs from their bg_usage row, or that have none.

bg_usage holds each budget's latest record and the day of it (on the shop's clock), so its spend
is also that day's last known spend: a change on the same day writes bg_usage alone. A change on
another day first closes the day recorded: bg_spend_days gets that day's spend, once.

Two set-based statements, each an upsert (INSERT … SELECT … ON CONFLICT DO UPDATE; MySQL/MariaDB:
ON DUPLICATE KEY UPDATE):

1. `record_usage` — the scope's budget rows anti-joined to their bg_usage row (budget or spend
   distinct, NULL-safe, or no row): their budget, spend, usage in basis points, the evaluation's
   instant and its day on the shop's clock; when that day differs from the row's, the day and
   spend it replaces as `prior_day` and `prior_spent` (NULL otherwise). A no-change
   evaluation's whole cost is this statement finding no row;
2. `record_days` — only when the first wrote rows: the scope's bg_usage rows stamped with this
   instant that carry a prior day, whose spend is written as that day's (one row per budget per
   day). Reading them back by their stamp, rather than anti-joining the budgets a second time,
   costs a range read of bg_usage; a row stamped by an earlier evaluation at the same instant (a
   frozen clock) is written again with the same spend, which changes nothing.

The prior day and spend are read in the SELECT, from the bg_usage row it anti-joins, rather than
from the conflicting row in the UPDATE clause: one expression on every database (MySQL/MariaDB
would otherwise assign left to right, each later column seeing the earlier ones' new values).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Insert,
    Select,
    Table,
    and_,
    bindparam,
    case,
    cast,
    null,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from budgetguard.db.evaluation.literals import amount, in_scope, whole
from budgetguard.db.evaluation.predicates import Rules, month_param
from budgetguard.db.evaluation.shop_terms import ShopTerms
from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.console_tables import spend_days, usage
from budgetguard.db.schema.tables import budgets

RECORDING = True
"""Whether evaluations record history; only `benchmarks/history.py` switches it off, to measure
what recording costs an evaluation."""

BASIS_POINTS = 10_000
# bg_usage.usage_bp is an INT: a spend of 214,748 times the budget or more is recorded as this.
MOST_TIMES_BUDGET = 214_748
MOST_BASIS_POINTS = MOST_TIMES_BUDGET * BASIS_POINTS


def history_sql(rules: Rules) -> HistorySql:
    """The statements beside the evaluation's `rules` (same database, scope and pass shape),
    built once per process."""
    terms = rules.terms
    return _built(rules.dialect, rules.narrowed, terms.zones, terms.every_zone)


@cache
def _built(dialect: str, narrowed: bool, zones: int, every_zone: bool) -> HistorySql:
    return HistorySql(dialect, narrowed, ShopTerms(zones, every_zone=every_zone))


def record_history(connection: Connection, sql: HistorySql, params: dict[str, Any]) -> int:
    """Record the usage and the day's spend of the scope's budget rows that changed since
    their last record (`params`: the scope's and the stamp's); return the rows the database
    reports written to bg_usage (MySQL/MariaDB count an updated row twice)."""
    if not RECORDING:
        return 0
    changed: int = connection.execute(sql.record_usage, params).rowcount
    if changed:
        connection.execute(sql.record_days, params)
    return changed


def at_param() -> ColumnElement[Any]:
    """The instant evaluated (scope.Stamp's `at`)."""
    return bindparam("at", type_=UtcDateTime())


@dataclass(frozen=True)
class HistorySql:
    """The statements of a scope's history (see the module's docstring)."""

    dialect: str
    narrowed: bool
    terms: ShopTerms

    def _covers(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        return in_scope(column, self.dialect, narrowed=self.narrowed)

    def _cents(self, column: ColumnElement[Any]) -> ColumnElement[int]:
        # An exact DECIMAL(10,2) times 100 is whole: a BIGINT; SQLite's REAL, its rounded cents.
        if self.dialect == "sqlite":
            return amount(column, self.dialect, integer=True)
        return cast(column * whole(100), BigInteger)

    def _quotient(
        self, dividend: ColumnElement[int], divisor: ColumnElement[int]
    ) -> ColumnElement[int]:
        # Integer division, truncated (the operands are never negative here): `/` of two
        # integers on PostgreSQL and SQLite (SQLAlchemy's `/` would make it a true division);
        # DIV on MySQL, whose `/` is a DECIMAL rounded to 4 places (FLOOR of it may round up).
        operator = "DIV" if self.dialect in {"mysql", "mariadb"} else "/"
        return dividend.op(operator, return_type=BigInteger)(divisor)

    def usage_bp(self) -> ColumnElement[int]:
        """floor(spent * 10000 / budget) of a valid budget row (Rules.valid), else NULL."""
        spent = self._cents(budgets.c.a_amount_spent)
        budget = self._cents(budgets.c.a_budget_amount)
        exact = self._quotient((spent * whole(BASIS_POINTS)).self_group(), budget)
        return case(
            (~Rules.valid(), null()),
            (spent >= budget * whole(MOST_TIMES_BUDGET), whole(MOST_BASIS_POINTS)),
            else_=exact,
        )

    def _changed(self) -> ColumnElement[bool]:
        return or_(
            usage.c.shop_id.is_(None),
            usage.c.budget.is_distinct_from(budgets.c.a_budget_amount),
            usage.c.spent.is_distinct_from(budgets.c.a_amount_spent),
        )

    @cached_property
    def record_usage(self) -> Insert:
        """Record the budget, spend and usage of each budget row of the scope that differs from
        its bg_usage row (or has none), stamped with the instant evaluated."""
        recorded = and_(
            usage.c.month == budgets.c.a_month,
            usage.c.shop_id == budgets.c.a_shop_id,
            self._covers(usage.c.shop_id),
        )
        source: FromClause = budgets.outerjoin(usage, recorded)
        if self.terms.zones or not self.terms.every_zone:  # the day, or the pass, needs the zone
            source = ShopTerms.join(source, self._covers)
        where = [budgets.c.a_month == month_param(), self._covers(budgets.c.a_shop_id)]
        if not self.terms.every_zone:
            where.append(self.terms.in_pass())
        today = self.terms.today()
        closes = usage.c.day != today  # NULL (no prior) when the budget has no bg_usage row
        query = select(
            budgets.c.a_month,  # the keys first, as `_upsert` names them
            budgets.c.a_shop_id,
            budgets.c.a_budget_amount,
            budgets.c.a_amount_spent,
            self.usage_bp(),
            at_param(),
            today,
            case((closes, usage.c.day), else_=null()),
            case((closes, usage.c.spent), else_=null()),
        ).select_from(source)
        updated = [
            "budget", "spent", "usage_bp", "updated_at", "day", "prior_day", "prior_spent"
        ]  # fmt: skip
        return self._upsert(
            usage, query.where(*where, self._changed()), ["month", "shop_id"], updated
        )

    @cached_property
    def record_days(self) -> Insert:
        """Record as its day's spend the prior day of each bg_usage row of the scope that
        `record_usage` stamped with the instant evaluated and moved to another day."""
        query = select(
            usage.c.shop_id, usage.c.month, usage.c.prior_day, usage.c.prior_spent
        ).where(
            usage.c.month == month_param(),
            self._covers(usage.c.shop_id),
            usage.c.updated_at == at_param(),
            usage.c.prior_day.is_not(None),
            usage.c.prior_spent.is_not(None),
        )
        return self._upsert(spend_days, query, ["shop_id", "month", "day"], ["spent"])

    def _upsert(
        self, table: Table, query: Select[Any], keys: list[str], updated: list[str]
    ) -> Insert:
        """INSERT `query` into `table` (its columns: `keys`, then `updated`), each row that
        meets one of the same `keys` updating it instead. The dialects' modules are imported
        here: each would cost every command's start-up otherwise."""
        columns = keys + updated
        if self.dialect in {"mysql", "mariadb"}:
            from sqlalchemy.dialects import mysql  # noqa: PLC0415

            by_key = mysql.insert(table).from_select(columns, query)
            new = {name: by_key.inserted[name] for name in updated}
            statement: Insert = by_key.on_duplicate_key_update(**new)
        elif self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql  # noqa: PLC0415

            pg = postgresql.insert(table).from_select(columns, query)
            new = {name: pg.excluded[name] for name in updated}
            statement = pg.on_conflict_do_update(index_elements=keys, set_=new)
        else:
            from sqlalchemy.dialects import sqlite  # noqa: PLC0415

            lite = sqlite.insert(table).from_select(columns, query)
            new = {name: lite.excluded[name] for name in updated}
            statement = lite.on_conflict_do_update(index_elements=keys, set_=new)
        # psycopg reports how many rows an INSERT ... SELECT wrote only when SQLAlchemy keeps it.
        return statement.execution_options(preserve_rowcount=True)
