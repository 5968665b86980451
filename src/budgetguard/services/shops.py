"""Use cases of shops and budgets: their standings in the HTTP API, and changes (`status`'s
standings are services/standings.py's).

Writes lock the shop row, then the budget row (the order of every writer, db/catalog/shops.py),
and evaluate the shop's current-month budget in the same transaction
(db/evaluation/request.py), so a changed budget is re-armed, resumed or paused by the time the
request returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.engine import Connection

from budgetguard.db.catalog import audit
from budgetguard.db.catalog.shops import (
    budget_months,
    existing_shops,
    lock_budgets,
    lock_shop_row,
    lock_shops,
    save_budget,
    save_online,
    save_shop,
)
from budgetguard.db.catalog.standings import standings, status_rows
from budgetguard.db.evaluation.request import evaluate_budgets, shop_zones
from budgetguard.domain.audit import BUDGET_SET, SHOP_CHANGED, SHOP_CREATED
from budgetguard.domain.errors import NotFound
from budgetguard.domain.evaluation import ChunkResult
from budgetguard.domain.period import Month
from budgetguard.domain.standing import ShopStatus
from budgetguard.services.uow import Context, Isolation, reading, write

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Saved:
    """A shop or budget after a write: its standing, whether it is new, what was queued."""

    standing: ShopStatus
    created: bool
    queued: ChunkResult | None
    """What evaluating the budget queued; None: not evaluated (not the current month)."""


def current_month(*, context: Context) -> Month:
    """The month that contains now on the platform's clock."""
    return Month.containing(context.clock(), context.settings.zone)


def shop_page(
    *,
    context: Context,
    month: Month,
    after: int | None,
    limit: int,
    online: bool | None = None,
    paused: bool | None = None,
) -> list[ShopStatus]:
    """Return a page of shops, in id order after `after`, with their standing for `month`."""
    with reading(context) as connection:
        return status_rows(
            connection,
            month=month,
            after=after,
            limit=limit,
            online=online,
            paused=paused,
            defaults=context.settings.policy_defaults,
        )


def shop_standing(*, context: Context, shop_id: int, month: Month) -> ShopStatus:
    """Return the shop's standing for `month`; refuse an unknown shop."""
    with reading(context) as connection:
        found = status_rows(
            connection,
            month=month,
            shop_ids=[shop_id],
            limit=1,
            defaults=context.settings.policy_defaults,
        )
    if not found:
        raise _no_shop(shop_id)
    return found[0]


def budget_standing(*, context: Context, shop_id: int, month: Month) -> ShopStatus:
    """Return the standing of the shop's budget for `month`; refuse when there is none."""
    standing = shop_standing(context=context, shop_id=shop_id, month=month)
    if not standing.has_budget:
        raise NotFound(f"shop {shop_id} has no budget for {month}")
    return standing


def budget_page(
    *, context: Context, shop_id: int, after: Month | None, limit: int
) -> list[ShopStatus]:
    """Return the shop's budgets, by month after `after`, each with its standing."""
    with reading(context) as connection:
        if not existing_shops(connection, [shop_id]):
            raise _no_shop(shop_id)
        first_days = budget_months(
            connection, shop_id, after=after.first_day if after else None, limit=limit
        )
        wanted = {Month.of(day): {shop_id} for day in first_days}
        return standings(connection, wanted, defaults=context.settings.policy_defaults)


def put_shop(*, context: Context, shop_id: int, name: str, online: bool, actor: str) -> Saved:
    """Create or replace a shop, then evaluate its current budget (online by hand ends a claim).
    The change is audited under `actor`: each field that changed, from and to."""

    def work(connection: Connection) -> Saved:
        before = lock_shop_row(connection, shop_id)
        save_shop(connection, shop_id, name=name, online=online, new=before is None)
        was = before or {}
        after = {"name": name, "online": online}
        changes = {k: {"from": was.get(k), "to": v} for k, v in after.items()
                   if before is None or was.get(k) != v}  # fmt: skip
        if changes:
            audit.record(
                connection, at=context.clock(), actor=actor, shop_id=shop_id, detail=changes,
                action=SHOP_CREATED if before is None else SHOP_CHANGED,
            )  # fmt: skip
        return _evaluated(context, connection, shop_id, None, before is None)

    return _write(context, shop_id, work)


def set_online(*, context: Context, shop_id: int, online: bool, actor: str) -> Saved:
    """Set an existing shop online or offline, nothing else of it, then evaluate its current
    budget (online by hand ends a claim), all under the shop's row lock; audited under `actor`
    as `shop.changed` with `online` only, when it changed."""

    def work(connection: Connection) -> Saved:
        before = lock_shop_row(connection, shop_id)
        if before is None:
            raise _no_shop(shop_id)
        if before["online"] != online:
            save_online(connection, shop_id, online=online)
            audit.record(
                connection, at=context.clock(), actor=actor, action=SHOP_CHANGED,
                shop_id=shop_id, detail={"online": {"from": before["online"], "to": online}},
            )  # fmt: skip
        return _evaluated(context, connection, shop_id, None, False)

    return _write(context, shop_id, work)


def put_budget(
    *, context: Context, shop_id: int, month: Month, amount: Decimal, actor: str
) -> Saved:
    """Create or change the shop's budget for `month`; evaluate it now if it is the current one.
    The change is audited under `actor`."""

    def work(connection: Connection) -> Saved:
        if not lock_shops(connection, [shop_id]):
            raise _no_shop(shop_id)
        locked = lock_budgets(connection, month.first_day, [shop_id]).get(shop_id)
        save_budget(connection, shop_id, month.first_day, amount=amount, new=locked is None)
        was = None if locked is None or locked.budget is None else str(locked.budget)
        audit.record(
            connection, at=context.clock(), actor=actor, action=BUDGET_SET, shop_id=shop_id,
            detail={"month": str(month), "from": was, "to": str(amount)},
        )  # fmt: skip
        return _evaluated(context, connection, shop_id, month, locked is None)

    return _write(context, shop_id, work)


def _write(context: Context, shop_id: int, work: Callable[[Connection], T]) -> T:
    return write(context, work, what="shop change", isolation=Isolation.SNAPSHOT, shops=[shop_id])


def _evaluated(
    context: Context, connection: Connection, shop_id: int, month: Month | None, created: bool
) -> Saved:
    """Evaluate the shop's budget of `month` if it is the shop's current month on its clock
    (None: the current one). The caller has locked the shop (and the budget of `month`): the
    shop's zone is read under the lock, then the current budget is locked, as every writer
    orders them (db/evaluation/request.py)."""
    defaults, now = context.settings.policy_defaults, context.clock()
    zones = shop_zones(connection, defaults, [shop_id])
    current = Month.containing(now, zones[shop_id])
    if month is None:
        month = current
        lock_budgets(connection, month.first_day, [shop_id])
    queued = None
    if month == current:
        queued = evaluate_budgets(connection, defaults=defaults, zones=zones, now=now)
    (standing,) = status_rows(
        connection, month=month, shop_ids=[shop_id], limit=1, defaults=defaults
    )
    return Saved(standing, created, queued)


def _no_shop(shop_id: int) -> NotFound:
    return NotFound(f"shop {shop_id} does not exist")
