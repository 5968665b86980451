"""Delivery records: one per (notification, recipient), their states, and what a run did."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from budgetguard.domain.notification import Notification
from budgetguard.domain.recipients import ChannelKind, Contact


class Status(StrEnum):
    """The state of a delivery record (and, before dispatch, of a notification)."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"
    DISPATCHED = "dispatched"
    """A notification only: its delivery records exist."""


RECORD_STATUSES = tuple(status.value for status in Status if status is not Status.DISPATCHED)
"""The states a delivery record can be in."""

CONTACT_REMOVED = "the contact was removed"
"""Why a record of a removed contact ended dead, unsent."""

LOST_LAST_ATTEMPT = "the worker stopped during the last attempt (its lease ran out)"
"""Why a record due again with its attempts used up ended dead."""

RETRIABLE = frozenset({Status.PENDING, Status.FAILED, Status.DEAD})
"""The states from which an operator may make a record due again (never one in flight)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A due delivery record, before a worker decides to take it."""

    id: int
    recipient: str
    channel: ChannelKind
    attempts: int


Picker = Callable[[list[Candidate]], list[Candidate]]
"""Chooses which of the due records a worker takes (the others stay due)."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery record a worker holds: what to send, to whom, and which attempt this is."""

    id: int
    recipient: str
    channel: ChannelKind
    attempts: int
    notification: Notification
    contact: Contact | None
    """The shop contact it goes to (None for operator channels and the console, or when the
    contact was removed since dispatch)."""


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """A delivery record as `deliveries list` and the HTTP API show it."""

    id: int
    notification_id: int
    shop_id: int
    channel: ChannelKind
    recipient: str
    status: Status
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    contact: Contact | None
    recipient_label: str = ""
    """Who it goes to, for people: an address, a URL without secrets, the console."""


@dataclass
class DeliveryReport:
    """What a delivery run did."""

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
