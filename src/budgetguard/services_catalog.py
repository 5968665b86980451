"""Use cases of the HTTP API's shops, budgets and notifications.

Writes lock the shop row, then the budget row (the order of every writer, db/spend.py), and
evaluate the shop's current-month budget in
the same transaction (db/request_evaluation.py), so a changed budget is re-armed, resumed or
paused by the time the request returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TypeVar

from sqlalchemy.engine import Connection

from budgetguard.bootstrap import App
from budgetguard.db.catalog import budget_months, lock_shop, save_budget, save_shop
from budgetguard.db.evaluator import ChunkResult
from budgetguard.db.notification_list import (
    NotificationFilter,
    StoredNotification,
    list_notifications,
)
from budgetguard.db.request_evaluation import evaluate_budgets
from budgetguard.db.retry import in_transaction
from budgetguard.db.shop_locks import shop_locks
from budgetguard.db.spend import existing_shops, lock_budgets
from budgetguard.db.status import ShopStatus, status_rows
from budgetguard.domain.period import Month
from budgetguard.domain.refusals import NotFound
from budgetguard.services_requests import repeatable_read, standings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Saved:
    """A shop or budget after a write: its standing, whether it is new, what was queued."""

    standing: ShopStatus
    created: bool
    queued: ChunkResult | None
    """What evaluating the budget queued; None: not evaluated (not the current month)."""


def current_month(app: App) -> Month:
    """The month that contains now on the platform's clock."""
    return Month.containing(app.clock(), app.settings.zone)


def shop_page(
    *,
    app: App,
    month: Month,
    after: int | None,
    limit: int,
    online: bool | None = None,
    paused: bool | None = None,
) -> list[ShopStatus]:
    """Return a page of shops, in id order after `after`, with their standing for `month`."""
    with app.engine.connect() as connection:
        return status_rows(
            connection, month=month, after=after, limit=limit, online=online, paused=paused
        )


def shop_standing(*, app: App, shop_id: int, month: Month) -> ShopStatus:
    """Return the shop's standing for `month`; refuse an unknown shop."""
    with app.engine.connect() as connection:
        found = status_rows(connection, month=month, shop_ids=[shop_id], limit=1)
    if not found:
        raise _no_shop(shop_id)
    return found[0]


def budget_standing(*, app: App, shop_id: int, month: Month) -> ShopStatus:
    """Return the standing of the shop's budget for `month`; refuse when there is none."""
    standing = shop_standing(app=app, shop_id=shop_id, month=month)
    if not standing.has_budget:
        raise NotFound(f"shop {shop_id} has no budget for {month}")
    return standing


def budget_page(*, app: App, shop_id: int, after: Month | None, limit: int) -> list[ShopStatus]:
    """Return the shop's budgets, by month after `after`, each with its standing."""
    with app.engine.connect() as connection:
        if not existing_shops(connection, [shop_id]):
            raise _no_shop(shop_id)
        first_days = budget_months(
            connection, shop_id, after=after.first_day if after else None, limit=limit
        )
        return standings(connection, {Month.of(day): {shop_id} for day in first_days})


def put_shop(*, app: App, shop_id: int, name: str, online: bool) -> Saved:
    """Create or replace a shop, then evaluate its current budget (online by hand ends a claim)."""

    def work(connection: Connection) -> Saved:
        new = not lock_shop(connection, shop_id)
        save_shop(connection, shop_id, name=name, online=online, new=new)
        return _evaluated(app, connection, shop_id, current_month(app), created=new)

    return _write(app, shop_id, work)


def put_budget(*, app: App, shop_id: int, month: Month, amount: Decimal) -> Saved:
    """Create or change the shop's budget for `month`; evaluate it now if it is the current one."""

    def work(connection: Connection) -> Saved:
        if not lock_shop(connection, shop_id):
            raise _no_shop(shop_id)
        new = not lock_budgets(connection, month.first_day, [shop_id])
        save_budget(connection, shop_id, month.first_day, amount=amount, new=new)
        return _evaluated(app, connection, shop_id, month, created=new)

    return _write(app, shop_id, work)


def notification_page(
    *, app: App, wanted: NotificationFilter, after: int | None, limit: int
) -> list[StoredNotification]:
    """Return a page of notifications matching `wanted`, by id after `after`."""
    with app.engine.connect() as connection:
        return list_notifications(connection, wanted=wanted, after=after, limit=limit)


def _write(app: App, shop_id: int, work: Callable[[Connection], T]) -> T:
    with app.engine.connect() as connection:
        repeatable_read(connection)
        with shop_locks(connection, [shop_id]):
            return in_transaction(connection, partial(work, connection), what="shop change")


def _evaluated(
    app: App, connection: Connection, shop_id: int, month: Month, *, created: bool
) -> Saved:
    queued = None
    if month == current_month(app):
        settings = app.settings
        queued = evaluate_budgets(
            connection,
            policy=settings.policy,
            month=month,
            shop_ids=[shop_id],
            now=app.clock(),
            zone=settings.zone,
        )
    (standing,) = status_rows(connection, month=month, shop_ids=[shop_id], limit=1)
    return Saved(standing, created, queued)


def _no_shop(shop_id: int) -> NotFound:
    return NotFound(f"shop {shop_id} does not exist")
