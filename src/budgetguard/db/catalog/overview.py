"""The overview's counts as SQL: each statement reads one index range or one table once.

* shops and those offline without budgetguard's claim: one pass over `t_shops` (the platform's
  table has no index on `a_online`, and budgetguard adds none to it), less the offline shops
  among `bg_pauses`' claims;
* the month's budgets: the range of `ix_t_budgets_month_shop` for the month;
* budgets past each threshold: the month's range of `bg_alerts`' primary key;
* the histogram: the month's range of `ix_bg_usage_month_usage_bp` (index only), grouped by
  `usage_bp DIV 1000`;
* the outbox: the due entries of the two `next_attempt_at` indexes, and the failed and dead
  ranges of `ix_bg_deliveries_status_id`;
* the last evaluations: the top of `bg_evaluations`' primary key.

These scan up to a million rows: services/overview_cache.py keeps them a few seconds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, case, false, func, literal_column, select
from sqlalchemy.engine import Connection

from budgetguard.db.outbox.stats import outbox_stats
from budgetguard.db.schema.console_tables import usage
from budgetguard.db.schema.tables import (
    alerts,
    budgets,
    deliveries,
    evaluations,
    notifications,
    pauses,
    shops,
)
from budgetguard.domain.delivery import Status
from budgetguard.domain.overview import (
    BUCKET_BP,
    EvaluationSummary,
    Histogram,
    OutboxFigures,
)
from budgetguard.domain.period import Month

_ONE = literal_column("1", Integer)


def shop_counts(connection: Connection) -> tuple[int, int]:
    """Count every shop, and the shops offline that budgetguard did not pause: one pass over
    `t_shops`, less the offline shops among the claims (a primary-key lookup per claim, not one
    per shop)."""
    s, p = shops.c, pauses.c
    offline = s.a_online == false()
    every, offline_count = connection.execute(
        select(
            func.count(), func.coalesce(func.sum(case((offline, _ONE), else_=0)), 0)
        ).select_from(shops)
    ).one()
    claimed = connection.execute(
        select(func.count()).select_from(pauses.join(shops, s.a_id == p.shop_id)).where(offline)
    ).scalar_one()
    return int(every), int(offline_count) - int(claimed)


def budget_count(connection: Connection, month: Month) -> int:
    """Count the month's budget rows."""
    query = select(func.count()).select_from(budgets).where(budgets.c.a_month == month.first_day)
    return int(connection.execute(query).scalar_one())


def past_thresholds(connection: Connection, month: Month) -> dict[int, int]:
    """Count the month's budgets past each threshold fired (not re-armed since)."""
    a = alerts.c
    query = (
        select(a.threshold, func.count()).where(a.month == month.first_day).group_by(a.threshold)
    )
    return {int(threshold): int(count) for threshold, count in connection.execute(query)}


def usage_histogram(connection: Connection, month: Month) -> Histogram:
    """Count the month's recorded budgets by tenth of usage (None: no usable budget)."""
    group = _tenth(usage.c.usage_bp, connection.dialect.name).label("tenth")
    query = (
        select(group, func.count())
        .select_from(usage)
        .where(usage.c.month == month.first_day)
        .group_by(group)
    )
    for dialect in ("mysql", "mariadb"):  # else MariaDB reads the rows by the primary key
        query = query.with_hint(usage, "FORCE INDEX (ix_bg_usage_month_usage_bp)", dialect)
    groups: dict[int | None, int] = {
        None if tenth is None else int(tenth): int(count)
        for tenth, count in connection.execute(query)
    }
    return Histogram.of_groups(groups)


def _tenth(column: ColumnElement[Any], dialect: str) -> ColumnElement[int]:
    # Integer division, truncated: DIV on MySQL/MariaDB (whose `/` is a DECIMAL), `/` of two
    # integers elsewhere (SQLAlchemy's own `/` would make it a true division).
    operator = "DIV" if dialect in {"mysql", "mariadb"} else "/"
    return column.op(operator, return_type=Integer)(literal_column(str(BUCKET_BP), Integer))


def outbox_figures(connection: Connection) -> tuple[int, OutboxFigures]:
    """The shops budgetguard paused, and what waits, failed and died in the outbox."""
    stats = outbox_stats(connection)
    n, d = notifications.c, deliveries.c
    waiting = connection.execute(
        select(func.count()).select_from(notifications).where(n.next_attempt_at.is_not(None))
    ).scalar_one()
    by_status = {
        status: int(
            connection.execute(
                select(func.count()).select_from(deliveries).where(d.status == status.value)
            ).scalar_one()
        )
        for status in (Status.FAILED, Status.DEAD)
    }
    figures = OutboxFigures(
        notifications_waiting=int(waiting),
        records_waiting=stats.waiting - int(waiting),
        failed=by_status[Status.FAILED],
        dead=by_status[Status.DEAD],
        oldest_waiting=stats.oldest_waiting,
    )
    return stats.shops_paused, figures


def last_evaluations(connection: Connection, limit: int) -> list[EvaluationSummary]:
    """The last `limit` evaluations recorded, newest first."""
    e = evaluations.c
    query = select(evaluations).order_by(e.id.desc()).limit(limit)
    return [
        EvaluationSummary(
            id=row.id,
            month=Month.of(row.month),
            started_at=row.started_at,
            finished_at=row.finished_at,
            outcome=row.outcome,
            budgets=row.budgets,
            notifications=row.notifications,
            paused=row.paused,
            resumed=row.resumed,
            skipped=row.skipped,
        )
        for row in connection.execute(query)
    ]
