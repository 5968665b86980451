"""Each shop's standing for a month: budget, spend, online, paused by budgetguard, alerts fired."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, cast, func, select
from sqlalchemy.engine import Connection

from budgetguard.db.catalog.policies import from_row
from budgetguard.db.plumbing.keys import in_parts, one_of
from budgetguard.db.schema.tables import alerts, budgets, pauses, policies, shops
from budgetguard.domain.period import Month
from budgetguard.domain.policy import EffectivePolicy, PolicyDefaults, resolve
from budgetguard.domain.standing import ShopStatus

PAGE_SIZE = 1000


def status_rows(
    connection: Connection,
    *,
    month: Month,
    after: int | None = None,
    shop_ids: Sequence[int] = (),
    limit: int = PAGE_SIZE,
    online: bool | None = None,
    paused: bool | None = None,
    defaults: PolicyDefaults | None = None,
) -> list[ShopStatus]:
    """Return up to `limit` shops after `after` (in id order) with their standing for `month`.

    `shop_ids` narrows to those shops; `online` and `paused` (by budgetguard) filter. With
    `defaults`, each standing holds the shop's effective policy (its own over `defaults`).
    """
    filters = (after is not None, bool(shop_ids), online, paused)
    query = _query(connection.dialect.name, *filters, with_policy=defaults is not None)
    params = {"month": month.first_day, "after": after, "ids": list(shop_ids), "limit": limit}
    rows = connection.execute(query, params).all()
    unset = None if defaults is None else resolve(None, defaults)  # most shops set nothing
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
            policy=None if defaults is None else _policy(row, defaults, unset),
        )
        for row in rows
    ]


def standings(
    connection: Connection,
    wanted: Mapping[Month, set[int]],
    *,
    defaults: PolicyDefaults | None = None,
) -> list[ShopStatus]:
    """Return the standing of each wanted (month, shop) that exists, by month then shop (with
    its effective policy when given the `defaults`)."""
    found: list[ShopStatus] = []
    for month, shop_ids in sorted(wanted.items()):
        for part in in_parts(sorted(shop_ids)):
            found.extend(
                status_rows(
                    connection, month=month, shop_ids=part, limit=len(part), defaults=defaults
                )
            )
    return found


# The thresholds fired for the shop and month, as text ("50,100"; in any order).
_FIRED = (
    select(func.aggregate_strings(cast(alerts.c.threshold, String(8)), ","))
    .where(alerts.c.shop_id == shops.c.a_id, alerts.c.month == bindparam("month"))
    .scalar_subquery()
)


# The shop's own policy, as db/catalog/policies.from_row reads it.
_POLICY = [
    policies.c[name]
    for name in ("thresholds", "pause_at", "timezone", "language", "currency", "forecast",
                 "recurring_budget")
]  # fmt: skip


@lru_cache(maxsize=64)
def _query(
    dialect: str,
    after: bool,
    narrowed: bool,
    online: bool | None,
    paused: bool | None,
    *,
    with_policy: bool,
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
    if with_policy:
        query = query.add_columns(*_POLICY).outerjoin(policies, policies.c.shop_id == shops.c.a_id)
    if after:
        query = query.where(shops.c.a_id > bindparam("after"))
    if narrowed:
        query = query.where(one_of(shops.c.a_id, dialect, "ids"))
    if online is not None:
        query = query.where(shops.c.a_online == online)
    if paused is not None:
        query = query.where(pauses.c.shop_id.is_not(None) if paused else pauses.c.shop_id.is_(None))
    return query


def _policy(row: Any, defaults: PolicyDefaults, unset: EffectivePolicy | None) -> EffectivePolicy:
    if unset is not None and all(row._mapping[column.name] is None for column in _POLICY):
        return unset
    return resolve(from_row(row), defaults)


def _thresholds(listed: str | None) -> tuple[int, ...]:
    return tuple(sorted(int(t) for t in listed.split(","))) if listed else ()
