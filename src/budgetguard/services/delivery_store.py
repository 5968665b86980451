"""The delivery worker's database side (notify/worker.py's `DeliveryStore`): each method is one
short transaction of the unit of work, with no network in it."""

from __future__ import annotations

import logging
import random
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from budgetguard.db.outbox.contacts import disable_contact
from budgetguard.db.outbox.deliveries import claim_due
from budgetguard.db.outbox.dispatch import dispatch_due
from budgetguard.db.outbox.outcomes import Failure, mark_delivered, mark_failures
from budgetguard.domain.backoff import retry_delay
from budgetguard.domain.delivery import Claimed, DeliveryReport, Picker
from budgetguard.domain.recipients import ChannelKind, Route
from budgetguard.notify.worker import Outcome
from budgetguard.services.uow import Context, write

log = logging.getLogger("budgetguard.notify")


class SqlDeliveryStore:
    """Dispatch, claim and record outcomes in the database of `context`.

    Each is retried when a concurrent writer got in its way (a deadlock, SQLite's busy
    database): an outcome lost here would be a delivery repeated.
    """

    def __init__(
        self,
        context: Context,
        *,
        operators: Sequence[Route],
        lease: timedelta,
        max_attempts: int,
        rng: random.Random,
    ) -> None:
        self._context = context
        self._operators = list(operators)
        self._lease = lease
        self._max_attempts = max_attempts
        self._rng = rng

    def dispatch(self, limit: int) -> int:
        def work(connection: Connection) -> int:
            now = self._context.clock()
            return dispatch_due(connection, now=now, limit=limit, operators=self._operators)

        return write(self._context, work, what="dispatch")

    def claim(
        self, limit: int, *, skip: Collection[str], channels: Collection[ChannelKind], pick: Picker
    ) -> list[Claimed]:
        def work(connection: Connection) -> list[Claimed]:
            now = self._context.clock()
            return claim_due(
                connection, now=now, lease_until=now + self._lease, limit=limit,
                max_attempts=self._max_attempts, skip=skip, skip_channels=channels, pick=pick,
            )  # fmt: skip

        return write(self._context, work, what="claim")

    def record(self, outcomes: Sequence[Outcome]) -> DeliveryReport:
        return write(self._context, lambda c: self._record(c, outcomes), what="recording outcomes")

    def _record(self, connection: Connection, outcomes: Sequence[Outcome]) -> DeliveryReport:
        report = DeliveryReport()
        now = self._context.clock()
        delivered = [o.claimed for o in outcomes if o.error is None]
        report.delivered = mark_delivered(connection, delivered, now=now)
        report.attempts.update(
            (o.claimed.notification.kind.value, o.error is None) for o in outcomes
        )
        failed = [self._failure(o, now) for o in outcomes if o.error is not None]
        if not failed:
            return report
        recorded = mark_failures(connection, [f for _, f in failed])
        for outcome, failure in failed:
            attempt, dead = outcome.claimed.attempts, failure.retry_at is None
            if outcome.claimed.id not in recorded:
                log.info("delivery %s: attempt %s ended after its lease; another worker "
                         "holds the record", outcome.claimed.id, attempt)  # fmt: skip
                continue
            if outcome.gone and outcome.claimed.contact is not None:
                reason = f"{outcome.error} at {now:%Y-%m-%d %H:%M} UTC"
                disable_contact(connection, outcome.claimed.contact.id, now=now, reason=reason)
            report.dead += dead
            report.retrying += not dead
            _log_failure(outcome, attempt=attempt, dead=dead)
        return report

    def _failure(self, outcome: Outcome, now: datetime) -> tuple[Outcome, Failure]:
        """The failure to record for `outcome`: retried after a back-off, or dead."""
        attempt = outcome.claimed.attempts
        dead = outcome.final or outcome.gone or attempt >= self._max_attempts
        retry_at = None if dead else now + retry_delay(attempt, rng=self._rng)
        return outcome, Failure(outcome.claimed, outcome.error or "", retry_at)


def _log_failure(outcome: Outcome, *, attempt: int, dead: bool) -> None:
    claimed = outcome.claimed
    log.warning(
        "delivery %s of notification %s to %s %s failed (attempt %s%s): %s",
        claimed.id, claimed.notification.id, claimed.channel.value, outcome.label, attempt,
        ", giving up" if dead else "", outcome.error,
    )  # fmt: skip
