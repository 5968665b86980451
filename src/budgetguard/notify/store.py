"""The delivery worker's database side: each method is one short transaction, no network in it."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine

from budgetguard.db.contacts import disable_contact
from budgetguard.db.deliveries import Claimed, Picker, claim_due, mark_delivered, mark_failed
from budgetguard.db.dispatch import Route, dispatch_due
from budgetguard.db.retry import in_transaction
from budgetguard.domain.backoff import retry_delay
from budgetguard.domain.recipients import ChannelKind

log = logging.getLogger("budgetguard.notify")
Clock = Callable[[], datetime]
T = TypeVar("T")


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    dispatched: int = 0
    attempts: Counter[tuple[str, bool]] = field(default_factory=Counter)
    """Attempts by (notification kind, delivered or not): what the service's metrics count."""

    def add(self, other: DeliveryReport) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.dead += other.dead
        self.dispatched += other.dispatched
        self.attempts.update(other.attempts)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt ended: delivered (no error), failed, or failed for good."""

    claimed: Claimed
    label: str
    error: str | None = None
    gone: bool = False
    final: bool = False


class DeliveryStore:
    def __init__(
        self,
        engine: Engine,
        *,
        operators: Sequence[Route],
        clock: Clock,
        lease: timedelta,
        max_attempts: int,
        rng: random.Random,
    ) -> None:
        self._engine = engine
        self._operators = list(operators)
        self._clock = clock
        self._lease = lease
        self._max_attempts = max_attempts
        self._rng = rng

    def dispatch(self, limit: int) -> int:
        def work(connection: Connection) -> int:
            return dispatch_due(
                connection, now=self._clock(), limit=limit, operators=self._operators
            )

        return self._transaction(work, "dispatch")

    def claim(
        self, limit: int, *, skip: Collection[str], channels: Collection[ChannelKind], pick: Picker
    ) -> list[Claimed]:
        """Claim due records, passing over the recipients in `skip` and the `channels`."""

        def work(connection: Connection) -> list[Claimed]:
            now = self._clock()
            return claim_due(
                connection, now=now, lease_until=now + self._lease, limit=limit,
                max_attempts=self._max_attempts, skip=skip, skip_channels=channels, pick=pick,
            )  # fmt: skip

        return self._transaction(work, "claim")

    def record(self, outcomes: Sequence[Outcome]) -> DeliveryReport:
        """Record what each attempt did; schedule retries with back-off; bury the hopeless."""
        return self._transaction(partial(self._record, outcomes), "recording outcomes")

    def _transaction(self, work: Callable[[Connection], T], what: str) -> T:
        """Run `work` in one transaction, again when a concurrent writer got in its way (a
        deadlock, SQLite's busy database): an outcome lost here would be a delivery repeated."""
        with self._engine.connect() as connection:
            return in_transaction(connection, partial(work, connection), what=what)

    def _record(self, outcomes: Sequence[Outcome], connection: Connection) -> DeliveryReport:
        report = DeliveryReport()
        now = self._clock()
        delivered = [o.claimed for o in outcomes if o.error is None]
        report.delivered = mark_delivered(connection, delivered, now=now)
        report.attempts.update(
            (o.claimed.notification.kind.value, o.error is None) for o in outcomes
        )
        for outcome in outcomes:
            if outcome.error is None:
                continue
            attempt = outcome.claimed.attempts
            dead = outcome.final or outcome.gone or attempt >= self._max_attempts
            retry_at = None if dead else now + retry_delay(attempt, rng=self._rng)
            if not mark_failed(connection, outcome.claimed, error=outcome.error, retry_at=retry_at):
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


def _log_failure(outcome: Outcome, *, attempt: int, dead: bool) -> None:
    claimed = outcome.claimed
    log.warning(
        "delivery %s of notification %s to %s %s failed (attempt %s%s): %s",
        claimed.id, claimed.notification.id, claimed.channel.value, outcome.label, attempt,
        ", giving up" if dead else "", outcome.error,
    )  # fmt: skip
