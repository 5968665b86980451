"""Deliver to the console straight from the outbox what nobody else receives (README "How delivery
runs"), before the delivery worker takes the rest; `check` and `deliver --once` do it.

Page by page, each in one transaction: a locking read, printing, recording. A crash or a failure
between printing and recording leaves the page due: it is printed again, never skipped. A page
the console could not print entirely ends the pass; the worker then takes what is left, and
records the console's failures with their back-off as it always has.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.engine import Connection

from budgetguard.db.outbox.console_pass import (
    Position,
    claim_page,
    read_page,
    record_page,
    recorded_kinds,
    release_page,
)
from budgetguard.db.outbox.rows import to_notification
from budgetguard.domain.delivery import DeliveryReport
from budgetguard.domain.notification import Notification
from budgetguard.notify.channels.base import Channel
from budgetguard.services.uow import Context, write

log = logging.getLogger("budgetguard.notify")


def print_console_only(
    *,
    context: Context,
    console: Channel,
    on_flush: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Print every due notification whose only recipient is the console, and record it
    delivered; return what was done. Does nothing when operator channels are configured (each
    notification then has one) or BUDGETGUARD_CONSOLE_PAGE_SIZE is 0."""
    report = DeliveryReport()
    size = context.settings.console_page_size
    if size == 0 or context.settings.operator_recipients:
        return report
    after: Position | None = None
    while True:
        page = _Page(context, console, after, size)
        if context.engine.dialect.name == "sqlite":
            page.claimed()
        else:
            write(context, page.locked, what="console delivery")
        report.add(page.report)
        if on_flush is not None and page.read:
            on_flush(page.report)
        if page.read < size or page.printed < page.read:
            return report  # the worker takes the rest, and retries what did not print
        after = page.position


class _Page:
    """One page: on MariaDB and PostgreSQL one transaction of a locking read (passing over the
    rows another dispatcher holds), printing and recording, its rows locked while printed so no
    other dispatcher takes them; on SQLite a claim for the lease, printing, recording. A crash
    (or a retried transaction) prints the page again, after the lease on SQLite."""

    def __init__(
        self, context: Context, console: Channel, after: Position | None, size: int
    ) -> None:
        self._context, self._console, self._size = context, console, size
        # Where the page starts stays put: a transaction retried after a lost race reads the
        # same page again, never the next one.
        self._after = self.position = after
        self.read = self.printed = 0
        self.report = DeliveryReport()

    def locked(self, connection: Connection) -> None:
        """Read with locks, print, record: one transaction."""
        batch = self._read(connection, self._context.clock())
        printed = _print(self._console, batch) if batch else []
        self.report = _record(connection, printed, now=self._context.clock())
        self.printed = len(printed)

    def claimed(self) -> None:
        """Read and claim for the lease, print, then record fenced by the claim (SQLite)."""
        until = self._context.clock() + self._context.settings.lease

        def claim(connection: Connection) -> list[Notification]:
            batch = self._read(connection, self._context.clock())
            if batch:
                claim_page(connection, [n.id for n in batch], until=until)
            return batch

        batch = write(self._context, claim, what="console delivery")
        printed = _print(self._console, batch) if batch else []

        def record(connection: Connection) -> DeliveryReport:
            report = _record(connection, printed, now=self._context.clock(), claimed=until)
            if self.position is not None and report.delivered < len(batch):
                # What did not print, or gained a contact meanwhile: due again, for the worker.
                ids = [n.id for n in batch]
                release_page(connection, ids, claimed=until, due=self.position.due_at)
            return report

        self.report = write(self._context, record, what="recording console deliveries")
        self.printed = len(printed)

    def _read(self, connection: Connection, now: datetime) -> list[Notification]:
        rows, position = read_page(connection, now=now, after=self._after, limit=self._size)
        self.read, self.position = len(rows), position or self._after
        return [to_notification(row) for row in rows]


def _print(console: Channel, batch: Sequence[Notification]) -> list[Notification]:
    """Print `batch`; return what printed (a channel's bug prints nothing, and is logged)."""
    try:
        errors: Mapping[int, str] = console.deliver(batch)
    except Exception:  # a channel's bug: the worker tries again, and records the failure
        log.exception("unexpected failure printing %s notifications", len(batch))
        return []
    return [n for n in batch if n.id not in errors]


def _record(
    connection: Connection,
    printed: Sequence[Notification],
    *,
    now: datetime,
    claimed: datetime | None = None,
) -> DeliveryReport:
    report = DeliveryReport()
    if not printed:
        return report
    ids = [n.id for n in printed]
    recorded = record_page(connection, ids, now=now, claimed=claimed)
    if recorded == len(ids):
        kinds = Counter(n.kind.value for n in printed)
    else:  # some gained a contact meanwhile: they stay due, for the worker
        kinds = recorded_kinds(connection, ids, at=now)
    report.dispatched = report.delivered = recorded
    report.attempts.update({(kind, True): count for kind, count in kinds.items()})
    return report
