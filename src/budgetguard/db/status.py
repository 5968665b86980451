"""Each shop's standing for a month: budget, spend, online, paused by budgetguard, alerts fired."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, cast, func, select
from sqlalchemy.engine import Connection, Engine

from budgetguard.db.keys import one_of
from budgetguard.db.tables import alerts, budgets, pauses, shops
from budgetguard.domain.money import percent_of, unusable_reason
from budgetguard.domain.period import Month

PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class ShopStatus:
    shop_id: int
    shop_name: str
    month: Month
    budget: Decimal | None
    spent: Decimal | None
    online: bool
    paused_by_budgetguard: bool
    thresholds_fired: tuple[int, ...]
    has_budget: bool

    @property
    def problem(self) -> str | None:
        """Why this month's budget row cannot be evaluated, if it exists and cannot."""
        if not self.has_budget:
            return None
        return unusable_reason(budget=self.budget, spent=self.spent)

    @property
    def percent(self) -> Decimal | None:
        if not self.has_budget or self.problem or self.budget is None or self.spent is None:
            return None
        return percent_of(spent=self.spent, budget=self.budget)


def iter_status(
    engine: Engine, *, month: Month, shop_ids: Sequence[int] = (), page_size: int = PAGE_SIZE
) -> Iterator[ShopStatus]:
    """Yield each shop's status for `month` (or only `shop_ids`) in shop id order, by pages."""
    after = None
    while True:
        page = _page(engine, month=month, after=after, shop_ids=shop_ids, limit=page_size)
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].shop_id


def _page(
    engine: Engine, *, month: Month, after: int | None, shop_ids: Sequence[int], limit: int
) -> list[ShopStatus]:
    with engine.connect() as connection:
        return status_rows(connection, month=month, after=after, shop_ids=shop_ids, limit=limit)


def status_rows(
    connection: Connection,
    *,
    month: Month,
    after: int | None = None,
    shop_ids: Sequence[int] = (),
    limit: int = PAGE_SIZE,
    online: bool | None = None,
    paused: bool | None = None,
) -> list[ShopStatus]:
    """Return up to `limit` shops after `after` (in id order) with their standing for `month`.

    `shop_ids` narrows to those shops; `online` and `paused` (by budgetguard) filter.
    """
    query = _query(connection.dialect.name, after is not None, bool(shop_ids), online, paused)
    params = {"month": month.first_day, "after": after, "ids": list(shop_ids), "limit": limit}
    rows = connection.execute(query, params).all()
    return [
        ShopStatus(
            shop_id=row.a_id,
            shop_name=row.a_name,
            month=month,
            budget=row.a_budget_amount,
            spent=row.a_amount_spent,
            online=bool(row.a_online),
            paused_by_budgetguard=bool(row.paused),
            thresholds_fired=_thresholds(row.fired),
            has_budget=bool(row.has_budget),
        )
        for row in rows
    ]


# The thresholds fired for the shop and month, as text ("50,100"; in any order).
_FIRED = (
    select(func.aggregate_strings(cast(alerts.c.threshold, String(8)), ","))
    .where(alerts.c.shop_id == shops.c.a_id, alerts.c.month == bindparam("month"))
    .scalar_subquery()
)


@lru_cache(maxsize=64)
def _query(
    dialect: str, after: bool, narrowed: bool, online: bool | None, paused: bool | None
) -> Select[Any]:
    """The status query for one combination of filters, built once; values are parameters."""
    query = (
        select(
            shops.c.a_id,
            shops.c.a_name,
            shops.c.a_online,
            budgets.c.a_shop_id.is_not(None).label("has_budget"),
            budgets.c.a_budget_amount,
            budgets.c.a_amount_spent,
            pauses.c.shop_id.is_not(None).label("paused"),
            _FIRED.label("fired"),
        )
        .outerjoin(
            budgets,
            and_(budgets.c.a_shop_id == shops.c.a_id, budgets.c.a_month == bindparam("month")),
        )
        .outerjoin(pauses, pauses.c.shop_id == shops.c.a_id)
        .order_by(shops.c.a_id)
        .limit(bindparam("limit", type_=Integer))
    )
    if after:
        query = query.where(shops.c.a_id > bindparam("after"))
    if narrowed:
        query = query.where(one_of(shops.c.a_id, "ids", dialect))
    if online is not None:
        query = query.where(shops.c.a_online == online)
    if paused is not None:
        query = query.where(pauses.c.shop_id.is_not(None) if paused else pauses.c.shop_id.is_(None))
    return query


def _thresholds(listed: str | None) -> tuple[int, ...]:
    return tuple(sorted(int(t) for t in listed.split(","))) if listed else ()
