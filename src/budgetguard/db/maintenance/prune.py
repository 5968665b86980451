"""`db prune` as SQL: which rows of each kind may go, removed in bounded batches.

A batch reads at most `size` keys of old rows in the order of an index (the column the age is
kept in), then deletes those keys where the rows still qualify; the caller runs each batch in a
short transaction of its own, so no lock is held for long and the platform's writes and the
service's requests pass between two batches. The predicate is repeated in the DELETE: a row
that stopped qualifying in between stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, exists, func, insert, select, tuple_, update
from sqlalchemy.engine import Connection

from budgetguard.db.plumbing.keys import one_of
from budgetguard.db.plumbing.types import aware_utc
from budgetguard.db.schema.console_tables import spend_days, usage
from budgetguard.db.schema.tables import (
    alerts,
    deliveries,
    evaluations,
    forecasts,
    notifications,
    prunes,
    spend_events,
)
from budgetguard.domain.retention import PruneReport


@dataclass(frozen=True)
class Prunable:
    """The rows of one table that may go: its keys, the predicate, the indexed order."""

    table: Table
    keys: tuple[Any, ...]
    condition: ColumnElement[bool]
    order: tuple[Any, ...]


def prunable(kind: str, cutoff: datetime | date) -> Prunable:
    """The rows of `kind` (domain.retention.KINDS) older than `cutoff` that nothing needs."""
    return _KINDS[kind](cutoff)


def _deliveries(cutoff: datetime | date) -> Prunable:
    # Only delivered records: pending, delivering, failed and dead ones are still the
    # operator's business (dead letters are retried by hand).
    condition = (deliveries.c.status == "delivered") & (deliveries.c.delivered_at < cutoff)
    return Prunable(deliveries, (deliveries.c.id,), condition, (deliveries.c.delivered_at,))


def _notifications(cutoff: datetime | date) -> Prunable:
    # Dispatched, and no record of it left: every one was delivered and has been pruned.
    records = exists().where(deliveries.c.notification_id == notifications.c.id)
    condition = (
        (notifications.c.status == "dispatched") & (notifications.c.created_at < cutoff) & ~records
    )
    return Prunable(notifications, (notifications.c.id,), condition, (notifications.c.created_at,))


def _spend_events(cutoff: datetime | date) -> Prunable:
    condition = spend_events.c.received_at < cutoff
    return Prunable(spend_events, (spend_events.c.event_id,), condition,
                    (spend_events.c.received_at,))  # fmt: skip


def _alerts(cutoff: datetime | date) -> Prunable:
    # Whole months, which ended at least the retention ago (domain.retention.Retention.cutoffs).
    keys = (alerts.c.month, alerts.c.shop_id, alerts.c.threshold)
    return Prunable(alerts, keys, alerts.c.month < cutoff, keys)


def _forecasts(cutoff: datetime | date) -> Prunable:
    # As the alerts: whole months, with the alerts' cutoff (a month's forecasts, like its alerts,
    # keep a second evaluation of it from sending them again).
    keys = (forecasts.c.month, forecasts.c.shop_id)
    return Prunable(forecasts, keys, forecasts.c.month < cutoff, keys)


def _evaluations(cutoff: datetime | date) -> Prunable:
    condition = (evaluations.c.outcome != "running") & (evaluations.c.started_at < cutoff)
    return Prunable(evaluations, (evaluations.c.id,), condition, (evaluations.c.started_at,))


def _spend_days(cutoff: datetime | date) -> Prunable:
    # Days before the cutoff's date (domain.retention.Retention.cutoffs), in the day's index.
    keys = (spend_days.c.shop_id, spend_days.c.month, spend_days.c.day)
    return Prunable(spend_days, keys, spend_days.c.day < cutoff, (spend_days.c.day,))


def _usage(cutoff: datetime | date) -> Prunable:
    # Whole months, which ended before the history's cutoff.
    keys = (usage.c.month, usage.c.shop_id)
    return Prunable(usage, keys, usage.c.month < cutoff, keys)


_KINDS: dict[str, Callable[[datetime | date], Prunable]] = {
    "deliveries": _deliveries,
    "notifications": _notifications,
    "spend_events": _spend_events,
    "alerts": _alerts,
    "forecasts": _forecasts,
    "evaluations": _evaluations,
    "spend_days": _spend_days,
    "usage": _usage,
}


def delete_batch(connection: Connection, target: Prunable, size: int) -> tuple[int, int]:
    """Delete at most `size` rows of `target`; return (rows chosen, rows deleted)."""
    chosen = connection.execute(
        select(*target.keys).where(target.condition).order_by(*target.order).limit(size)
    ).all()
    if not chosen:
        return 0, 0
    if len(target.keys) == 1:
        dialect = connection.dialect.name
        matches = one_of(target.keys[0], dialect, "keys", [row[0] for row in chosen])
    else:
        matches = tuple_(*target.keys).in_([tuple(row) for row in chosen])
    deleted = connection.execute(delete(target.table).where(matches, target.condition)).rowcount
    return len(chosen), int(deleted)


def count(connection: Connection, target: Prunable) -> int:
    """How many rows of `target` would go now (`db prune --dry-run`)."""
    query = select(func.count()).select_from(target.table).where(target.condition)
    return int(connection.execute(query).scalar_one())


def any_alert_before(connection: Connection, month: date) -> bool:
    """Whether an alert or a forecast of a month before `month` is stored."""
    for month_column in (alerts.c.month, forecasts.c.month):
        query = select(month_column).where(month_column < month).limit(1)
        if connection.execute(query).first() is not None:
            return True
    return False


def start(connection: Connection, *, now: datetime, alerts_before: date | None) -> int:
    """Record a prune as begun (with the month before which it removes alerts); return its id.

    Committed before anything is removed, so that even a prune killed halfway keeps every
    later evaluation of a month whose alerts may be gone from firing them a second time.
    """
    row = {"started_at": now, "alerts_before": alerts_before}
    key = connection.execute(insert(prunes).values(**row)).inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new prune")
    return int(key[0])


def finish(connection: Connection, prune_id: int, report: PruneReport, *, now: datetime) -> None:
    """Record what a prune removed, and when it ended."""
    # bg_prunes counts the kinds it has a column for (forecasts and the spend history, added
    # later, have none: the report and `db prune`'s output name them).
    counts = {kind: n for kind, n in report.removed.items() if kind in prunes.c}
    connection.execute(
        update(prunes).where(prunes.c.id == prune_id).values(finished_at=now, **counts)
    )


def last_started(connection: Connection) -> datetime | None:
    """When the latest prune began (None: never)."""
    return aware_utc(connection.execute(select(func.max(prunes.c.started_at))).scalar())


def alerts_pruned_before(connection: Connection) -> date | None:
    """The month before which alerts may have been pruned (None: no alert ever was)."""
    value: date | None = connection.execute(select(func.max(prunes.c.alerts_before))).scalar()
    return value
