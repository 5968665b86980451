"""Deliver what the outbox holds through a channel, and schedule retries of what failed."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from budgetguard.db.outbox import claim_due, mark_delivered, mark_failed
from budgetguard.domain.backoff import retry_delay
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
            claimed = claim_due(connection, now=now, lease_until=now + lease, limit=batch_size)
        if not claimed:
            return report
        errors = channel.deliver([notification for notification, _ in claimed])
        finished = clock()
        with engine.begin() as connection:
            ok = [n.id for n, _ in claimed if n.id not in errors]
            mark_delivered(connection, ok, now=finished)
            report.delivered += len(ok)
            for notification, attempt in claimed:
                if notification.id not in errors:
                    continue
                dead = attempt >= max_attempts
                retry_at = None if dead else finished + retry_delay(attempt, rng=rng)
                mark_failed(
                    connection, notification.id, error=errors[notification.id], retry_at=retry_at
                )
                report.dead += dead
                report.retrying += not dead
                log.warning(
                    "delivery of notification %s by %s failed (attempt %s%s): %s",
                    notification.id, channel.name, attempt, ", giving up" if dead else "",
                    errors[notification.id],
                )  # fmt: skip
