"""Each budget's recorded spend by day (bg_spend_days and bg_usage, written by evaluations:
db/evaluation/history.py): what the shop page's burn chart draws; and a shop's budgets month
by month (its bar chart)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from budgetguard.db.schema.console_tables import spend_days, usage
from budgetguard.db.schema.tables import budgets
from budgetguard.domain.history import SpendDay
from budgetguard.domain.period import Month

_CLOSED_DAYS = (
    select(spend_days.c.day, spend_days.c.spent)
    .where(
        spend_days.c.shop_id == bindparam("shop_id"),
        spend_days.c.month == bindparam("month"),
    )
    .order_by(spend_days.c.day)
)
_LATEST_DAY = select(usage.c.day, usage.c.spent).where(
    usage.c.month == bindparam("month"),
    usage.c.shop_id == bindparam("shop_id"),
    usage.c.spent.is_not(None),
)


def spend_by_day(connection: Connection, shop_id: int, month: Month) -> list[SpendDay]:
    """The shop's spend of `month` as recorded at the end of each day (the day's last known
    spend, the day on the shop's clock), by day; days without a change have no row.

    The days before the latest change are bg_spend_days' rows; the latest change's day is
    bg_usage's (which wins should bg_spend_days hold that day too: an evaluation of an earlier
    instant, `check --at`, may have closed it)."""
    params = {"shop_id": shop_id, "month": month.first_day}
    days = {row.day: row.spent for row in connection.execute(_CLOSED_DAYS, params)}
    latest = connection.execute(_LATEST_DAY, params).first()
    if latest is not None:
        days[latest.day] = latest.spent
    return [SpendDay(day, spent) for day, spent in sorted(days.items())]


def budgets_by_month(
    connection: Connection, shop_id: int, *, after: Month, upto: Month
) -> list[tuple[date, Decimal | None, Decimal | None]]:
    """The shop's budget rows of the months after `after` up to `upto`: (first day, budget,
    spent), by month (a range of `t_budgets`' primary key: shop, month)."""
    b = budgets.c
    query = (
        select(b.a_month, b.a_budget_amount, b.a_amount_spent)
        .where(b.a_shop_id == shop_id, b.a_month > after.first_day, b.a_month <= upto.first_day)
        .order_by(b.a_month)
    )
    return [(row[0], row[1], row[2]) for row in connection.execute(query)]
