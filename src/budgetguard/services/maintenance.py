"""Use cases of retention: `db prune`, and the daily prune `serve` runs.

Each batch is one short transaction of its own (db/maintenance/prune.py says what a batch is), so
a prune of ten million rows never holds a lock for long; it can stop between two batches (the
caller's `on_batch` raises) and the next prune takes up where it stopped.

Between two batches it pauses (BUDGETGUARD_PRUNE_PAUSE): on SQLite a writer of another process
waits for the database's lock in sleeps of up to 100 ms, and a prune that began its next batch at
once would take the lock again before most of them woke (measured: spend requests to `serve`
waited 4.7 s at the median while `db prune` removed a million events; 19 ms with the pause).
Elsewhere it leaves the database server's CPU to the others for a moment.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy.engine import Connection

from budgetguard.db.maintenance import prune
from budgetguard.db.plumbing.locks import PRUNE_LOCK_NAME, session_lock
from budgetguard.domain.errors import BudgetguardError
from budgetguard.domain.retention import KINDS, Cutoffs, PruneProgress, PruneReport
from budgetguard.services.database import open_database
from budgetguard.services.uow import Context, Isolation, connection, reading, transaction, write

log = logging.getLogger(__name__)


def prune_old_rows(
    *,
    context: Context,
    older_than_days: int | None = None,
    dry_run: bool = False,
    on_batch: PruneProgress | None = None,
) -> PruneReport:
    """Remove what is past its retention, in bounded batches; or, dry, count it."""
    open_database(context=context)
    retention = context.settings.retention
    if older_than_days is not None:
        retention = retention.all_older_than(older_than_days)
    cutoffs = retention.cutoffs(context.clock(), context.settings.zone)
    if dry_run:
        return _count(context, cutoffs)
    return _remove(context, cutoffs, on_batch)


def prune_if_due(*, context: Context, on_batch: PruneProgress | None = None) -> PruneReport | None:
    """Prune unless a prune began less than BUDGETGUARD_PRUNE_INTERVAL ago, or another process
    prunes now (None then): the daily duty of `serve`, one replica at a time."""
    interval = timedelta(seconds=context.settings.prune_interval)
    with connection(context.engine, Isolation.DEFAULT) as lead:
        try:
            with session_lock(lead, PRUNE_LOCK_NAME, timeout=0, busy=_busy):
                last = transaction(lead, prune.last_started, what="prune")
                if last is not None and context.clock() - last < interval:
                    return None
                return prune_old_rows(context=context, on_batch=on_batch)
        except _PruneBusy:
            log.debug("another replica is pruning; skipping")
            return None


class _PruneBusy(BudgetguardError):
    """Another process holds the prune lock."""


def _busy(timeout: float) -> _PruneBusy:
    return _PruneBusy(f"another prune is running (waited {timeout:g} s)")


def _count(context: Context, cutoffs: Cutoffs) -> PruneReport:
    report = PruneReport(cutoffs, dry_run=True)
    with reading(context) as connected:
        for kind in KINDS:
            cutoff = cutoffs.of(kind)
            if cutoff is not None:
                report.removed[kind] = prune.count(connected, prune.prunable(kind, cutoff))
    return report


def _remove(context: Context, cutoffs: Cutoffs, on_batch: PruneProgress | None) -> PruneReport:
    report = PruneReport(cutoffs)
    prune_id, alerts_before = write(context, lambda c: _start(c, context, cutoffs), what="prune")
    # Alerts go only below the month recorded before the first deletion: an evaluation of an
    # old month that ran after `_start` found none must keep its alerts (they block its repeat).
    removing = replace(cutoffs, alerts=alerts_before)
    try:
        for kind in KINDS:
            cutoff = removing.of(kind)
            if cutoff is not None:
                _remove_kind(context, report, kind, prune.prunable(kind, cutoff), on_batch)
    finally:
        now = context.clock()
        write(context, lambda c: prune.finish(c, prune_id, report, now=now), what="prune")
    return report


def _start(connected: Connection, context: Context, cutoffs: Cutoffs) -> tuple[int, date | None]:
    """Record the prune, with the month before which alerts go if any alert is that old;
    return its id and that month (None: no alert goes)."""
    month = cutoffs.alerts
    if month is not None and not prune.any_alert_before(connected, month):
        month = None
    return prune.start(connected, now=context.clock(), alerts_before=month), month


def _remove_kind(
    context: Context,
    report: PruneReport,
    kind: str,
    target: prune.Prunable,
    on_batch: PruneProgress | None,
) -> None:
    size, pause = context.settings.prune_batch_size, context.settings.prune_pause
    while True:
        chosen, deleted = write(
            context, lambda c: prune.delete_batch(c, target, size), what=f"prune of {kind}"
        )
        report.removed[kind] += deleted
        if on_batch is not None:
            on_batch(kind, report.removed[kind])
        if chosen < size:
            return
        time.sleep(pause)
