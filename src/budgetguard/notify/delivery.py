"""Deliver what the outbox holds through a channel, and schedule retries of what failed."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from budgetguard.db.outbox import claim_due, mark_delivered, mark_failed
from budgetguard.domain.backoff import retry_delay
from budgetguard.domain.notification import Notification
from budgetguard.notify.channel import Channel

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0


def deliver_due(
    *,
    engine: Engine,
    channel: Channel,
    clock: Callable[[], datetime],
    batch_size: int,
    lease: timedelta,
    max_attempts: int,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Deliver every due notification through `channel`, batch by batch, until none is due."""
    rng = rng or random.Random()  # noqa: S311 - retry jitter, not secrets
    report = DeliveryReport()
    while True:
        now = clock()
        with engine.begin() as connection:
            batch = claim_due(connection, now=now, lease_until=now + lease, limit=batch_size)
        if not batch:
            return report
        errors = channel.deliver(batch)
        finished = clock()
        with engine.begin() as connection:
            delivered = [n.id for n in batch if n.id not in errors]
            mark_delivered(connection, delivered, now=finished)
            report.delivered += len(delivered)
            for notification in batch:
                if notification.id in errors:
                    _record_failure(connection, notification, errors[notification.id], report,
                                    finished=finished, max_attempts=max_attempts, rng=rng,
                                    channel=channel.name)  # fmt: skip


def _record_failure(
    connection: Connection,
    notification: Notification,
    error: str,
    report: DeliveryReport,
    *,
    finished: datetime,
    max_attempts: int,
    rng: random.Random,
    channel: str,
) -> None:
    attempt = notification.attempts
    dead = attempt >= max_attempts
    retry_at = None if dead else finished + retry_delay(attempt, rng=rng)
    mark_failed(connection, notification.id, error=error, retry_at=retry_at)
    report.dead += dead
    report.retrying += not dead
    log.warning(
        "delivery of notification %s by %s failed (attempt %s%s): %s",
        notification.id, channel, attempt, ", giving up" if dead else "", error,
    )  # fmt: skip
