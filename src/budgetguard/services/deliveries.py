"""Use cases of delivery: run the delivery worker, list and retry delivery records.

How delivery runs is the README's "Notifications and delivery"; the worker is notify/worker.py,
its database side delivery_store.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.engine import Connection

from budgetguard.db.catalog import audit
from budgetguard.db.outbox.deliveries import list_records, retry_records
from budgetguard.domain.audit import DELIVERY_RETRIED
from budgetguard.domain.delivery import RETRIABLE, DeliveryRecord, DeliveryReport, Status
from budgetguard.domain.recipients import CONSOLE_KEY, Recipient, is_operator_key
from budgetguard.notify.channels.base import Channel
from budgetguard.notify.recipients import RecipientConfig
from budgetguard.notify.runner import Control, deliver
from budgetguard.notify.worker import WorkerOptions
from budgetguard.services.console_pass import print_console_only
from budgetguard.services.database import open_database
from budgetguard.services.delivery_store import SqlDeliveryStore
from budgetguard.services.uow import Context, reading, write

LIST_LIMIT = 1000


@dataclass(frozen=True)
class Delivery:
    """How delivery runs: the recipients' configuration, the console, the worker's limits, and
    how long a claim lasts and how often a record is tried (bootstrap builds it)."""

    recipients: RecipientConfig
    console: Channel
    """Takes the notifications that have no other recipient."""
    options: WorkerOptions
    lease: timedelta
    max_attempts: int
    rng: random.Random | None = None


def deliver_due(*, context: Context, delivery: Delivery) -> DeliveryReport:
    """Dispatch every due notification to its recipients and deliver what is due, once."""
    open_database(context=context)
    return deliver_queued(context=context, delivery=delivery)


def deliver_queued(*, context: Context, delivery: Delivery) -> DeliveryReport:
    """Deliver what is due once, on a database its caller has checked (as `check` has)."""
    return _run(context, delivery, once=True)


def deliver_until_stopped(
    *,
    context: Context,
    delivery: Delivery,
    control: Control,
    on_signals: bool = False,
    on_flush: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Deliver as notifications come due until `control` (or, `on_signals`, SIGINT or SIGTERM)
    stops it; then finish what is in flight. `on_flush` sees each batch of outcomes recorded."""
    open_database(context=context)
    return _run(
        context, delivery, once=False, control=control, on_signals=on_signals, on_flush=on_flush
    )


def _run(
    context: Context,
    delivery: Delivery,
    *,
    once: bool,
    control: Control | None = None,
    on_signals: bool = False,
    on_flush: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    # Once-runs (check, deliver --once) first print what only the console receives straight
    # from the outbox; the long-running worker keeps to its records.
    printed = DeliveryReport()
    if once:
        printed = print_console_only(context=context, console=delivery.console, on_flush=on_flush)
    store = SqlDeliveryStore(
        context,
        operators=delivery.recipients.operator_routes,
        lease=delivery.lease,
        max_attempts=delivery.max_attempts,
        rng=delivery.rng or random.Random(),  # noqa: S311 - retry jitter, not secrets
    )
    report = deliver(
        store, delivery.recipients, delivery.console, delivery.options,
        once=once, control=control, on_signals=on_signals, on_flush=on_flush,
    )  # fmt: skip
    report.add(printed)
    return report


@dataclass(frozen=True, slots=True)
class RetryReport:
    retried: list[int]
    unknown: list[int]
    left: dict[int, Status]
    """Records found but not retried (delivered, or in flight), with their status."""


def list_deliveries(
    *,
    context: Context,
    status: Status | None = None,
    shop_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[DeliveryRecord]:
    """Return delivery records, newest first; page on with `before_id` = the last id seen."""
    open_database(context=context)
    with reading(context) as connection:
        records = list_records(
            connection, status=status, shop_id=shop_id, before_id=before_id,
            limit=max(1, min(limit, LIST_LIMIT)),
        )  # fmt: skip
    return labelled(records, context=context)


def labelled(records: Sequence[DeliveryRecord], *, context: Context) -> list[DeliveryRecord]:
    """The records with their recipients named for people."""
    operators = context.settings.operator_recipients
    return [replace(r, recipient_label=_label(r, operators)) for r in records]


def retry_deliveries(
    *, context: Context, ids: Sequence[int], actor: str, shop_id: int | None = None
) -> RetryReport:
    """Make failed, dead or pending records due now, with a fresh schedule of attempts; each
    record retried is audited under `actor`. With `shop_id`, only that shop's records: the
    others are reported unknown, untouched."""
    open_database(context=context)

    def work(connection: Connection) -> dict[int, Status]:
        now = context.clock()
        found = retry_records(connection, ids, now=now, shop_id=shop_id)
        for record, (status, owner) in sorted(found.items()):
            if status in RETRIABLE:
                detail = {"delivery_id": record, "was": status.value}
                audit.record(connection, at=now, actor=actor, action=DELIVERY_RETRIED,
                             shop_id=owner, detail=detail)  # fmt: skip
        return {record: status for record, (status, _shop) in found.items()}

    found = write(context, work, what="retry")
    retried = [i for i in ids if found.get(i) in RETRIABLE]
    left = {i: s for i, s in found.items() if i not in retried}
    return RetryReport(retried, [i for i in ids if i not in found], left)


def _label(record: DeliveryRecord, operators: Mapping[str, Recipient]) -> str:
    """Name a record's recipient for people: an address, a URL without secrets, the console."""
    if record.recipient == CONSOLE_KEY:
        return "console"
    if record.contact is not None:
        return record.contact.recipient.label
    if is_operator_key(record.recipient):
        operator = operators.get(record.recipient)
        return f"operator {operator.label}" if operator else "operator channel (no longer set)"
    return "contact (removed)"
