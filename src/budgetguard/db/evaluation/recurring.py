"""Recurring budgets (issue 9 §6) as SQL, in the caller's transaction: before anything else in a
chunk's transaction, the sweep creates the month's budget row of every shop of the scope whose
policy has a `recurring_budget` and which has no row for the pass's month (its zone in the pass).

The row holds that amount and no spend; an audit row (`bg_audit`, actor `budgetguard`) records
each. Both are INSERT … SELECT with an anti-join on t_budgets: a row the platform wrote is never
overwritten. Should the platform write the row while the chunk runs, the second INSERT breaks
t_budgets' primary key or the two counts differ, and the unit of work runs the chunk again,
which then finds the platform's row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    FromClause,
    Insert,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.engine import Connection

from budgetguard.db.evaluation.literals import whole
from budgetguard.db.evaluation.predicates import Rules
from budgetguard.db.evaluation.shop_terms import ShopTerms
from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.tables import audit, budgets, policies, shops
from budgetguard.domain.errors import ConcurrentChange
from budgetguard.domain.period import Month

ACTOR = "budgetguard"
ACTION = "budget.created"


def recurring_sql(rules: Rules) -> RecurringSql:
    """The statements beside the evaluation's `rules` (same database and pass shape), built
    once per process."""
    return _built(rules.dialect, rules.terms.zones, rules.terms.every_zone)


@cache
def _built(dialect: str, zones: int, every_zone: bool) -> RecurringSql:
    return RecurringSql(dialect, ShopTerms(zones, every_zone=every_zone))


def recurring_params(month: date) -> dict[str, Any]:
    """The statements' own parameter, beside the scope's, the stamp's and the pass's: the audit
    detail's text before the amount (JSON: {"month": "2020-07", "amount": "500.00"})."""
    head = json.dumps({"month": str(Month.of(month)), "amount": ""})
    return {"audit_detail_head": head[: -len('"}')]}


def create_recurring_budgets(
    connection: Connection, sql: RecurringSql, params: dict[str, Any]
) -> int:
    """Create the missing budget rows of the scope's shops with a recurring budget, with their
    audit rows; return how many (the first read is the cheap, usual answer: none)."""
    if connection.execute(sql.first_missing, params).first() is None:
        return 0
    audited: int = connection.execute(sql.audit, params).rowcount
    created: int = connection.execute(sql.create, params).rowcount
    if created != audited:
        raise ConcurrentChange(f"recurring budgets: {created} created, {audited} audited")
    return created


@dataclass(frozen=True)
class RecurringSql:
    """The statements of a chunk's recurring budgets (see the module's docstring)."""

    dialect: str
    terms: ShopTerms

    def missing(self) -> ColumnElement[bool]:
        """A policy of a shop of the scope and the pass with a recurring budget and no budget
        row for the month."""
        month = bindparam("month", type_=Date())
        has_row = exists().where(
            budgets.c.a_shop_id == policies.c.shop_id, budgets.c.a_month == month
        )
        return and_(
            policies.c.recurring_budget.is_not(None),
            policies.c.shop_id > bindparam("after", type_=BigInteger()),
            policies.c.shop_id <= bindparam("upto", type_=BigInteger()),
            self.terms.in_pass(),
            ~has_row,
        )

    @staticmethod
    def _source() -> FromClause:
        # The shop must exist: t_budgets' foreign key (MariaDB) and the evaluation's joins.
        return policies.join(shops, shops.c.a_id == policies.c.shop_id)

    @cached_property
    def first_missing(self) -> Select[Any]:
        """One shop, if any, whose recurring budget row is missing."""
        query = select(policies.c.shop_id).select_from(self._source())
        return query.where(self.missing()).limit(1)

    @cached_property
    def audit(self) -> Insert:
        """Record, for each missing row, that budgetguard creates it (run before `create`)."""
        detail = bindparam("audit_detail_head", type_=String()) + self._amount_text() + '"}'
        query = select(
            bindparam("now", type_=UtcDateTime()),
            literal(ACTOR, String),
            literal(ACTION, String),
            policies.c.shop_id,
            detail,
        ).select_from(self._source())
        columns = ["at", "actor", "action", "shop_id", "detail"]
        insert = audit.insert().from_select(columns, query.where(self.missing()))
        return insert.execution_options(preserve_rowcount=True)

    @cached_property
    def create(self) -> Insert:
        """Create each missing row: the recurring amount, no spend."""
        query = select(
            policies.c.shop_id,
            bindparam("month", type_=Date()),
            policies.c.recurring_budget,
            cast(whole(0), budgets.c.a_amount_spent.type),
        ).select_from(self._source())
        columns = ["a_shop_id", "a_month", "a_budget_amount", "a_amount_spent"]
        insert = budgets.insert().from_select(columns, query.where(self.missing()))
        return insert.execution_options(preserve_rowcount=True)

    def _amount_text(self) -> ColumnElement[str]:
        amount = policies.c.recurring_budget
        if self.dialect == "sqlite":
            return func.printf("%.2f", amount)  # a REAL there: 500.0 otherwise
        return cast(amount, String)
