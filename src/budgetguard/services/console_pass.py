"""Deliver to the console straight from the outbox what nobody else receives (README "How delivery
runs"), before the delivery worker takes the rest.

Page by page: read (no lock), print, record (one transaction). A crash or a failure between
printing and recording leaves the page due: it is printed again, never skipped. A page the
console could not print entirely ends the pass; the worker then takes what is left, and records
the console's failures with their back-off as it always has.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from budgetguard.db.outbox.console_pass import Position, read_page, record_page
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
        rows, after = _read(context, after, size)
        if not rows:
            return report
        batch = [to_notification(row) for row in rows]
        printed = _print(console, batch)
        page = _record(context, batch, printed)
        report.add(page)
        if on_flush is not None:
            on_flush(page)
        if len(printed) < len(batch) or len(rows) < size:
            return report  # the worker takes the rest, and retries what did not print


def _read(context: Context, after: Position | None, size: int) -> tuple[list[Any], Position | None]:
    def work(connection: Connection) -> tuple[list[Any], Position | None]:
        return read_page(connection, now=context.clock(), after=after, limit=size)

    # The position only moves on when a page was read: the next page starts after it.
    rows, position = write(context, work, what="reading console deliveries")
    return rows, position or after


def _print(console: Channel, batch: Sequence[Notification]) -> list[Notification]:
    """Print `batch`; return what printed (a channel's bug prints nothing, and is logged)."""
    try:
        errors: Mapping[int, str] = console.deliver(batch)
    except Exception:  # a channel's bug: the worker tries again, and records the failure
        log.exception("unexpected failure printing %s notifications", len(batch))
        return []
    return [n for n in batch if n.id not in errors]


def _record(
    context: Context, batch: Sequence[Notification], printed: Sequence[Notification]
) -> DeliveryReport:
    report = DeliveryReport()
    if not printed:
        return report

    def work(connection: Connection) -> list[int]:
        return record_page(connection, [n.id for n in printed], now=context.clock())

    taken = set(write(context, work, what="recording console deliveries"))
    report.dispatched = report.delivered = len(taken)
    kinds: Counter[Any] = Counter((n.kind.value, True) for n in printed if n.id in taken)
    report.attempts.update(kinds)
    return report
