"""What a notification says (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from budgetguard.domain.links import Link
from budgetguard.domain.money import percent_of
from budgetguard.domain.period import Month


class Kind(StrEnum):
    THRESHOLD = "threshold"
    RESUMED = "resumed"
    FORECAST = "forecast"
    """At this pace the budget runs out before the month ends (once per shop per month); its
    `thresholds` holds the one threshold projected: the pause threshold, or 100."""


class Action(StrEnum):
    PAUSED = "paused"
    RESUMED = "resumed"


class Notification(NamedTuple):
    """One queued message to a shop: thresholds fired in one evaluation, or its return online.

    A named tuple rather than a frozen dataclass: delivery builds hundreds of thousands of them.
    """

    id: int
    kind: Kind
    shop_id: int
    shop_name: str
    month: Month
    budget: Decimal
    spent: Decimal
    thresholds: tuple[int, ...]
    action: Action | None
    evaluated_on: date
    created_at: datetime
    attempts: int = 0
    """Delivery attempts made, counting the one in progress."""
    timezone: str | None = None
    """The shop's time zone when queued (None: queued before policies; the setting applies)."""
    language: str | None = None
    currency: str | None = None
    evaluated_at: datetime | None = None
    """The instant evaluated (a forecast's projection is computed from it)."""
    link: Link | None = None
    """The page its reader may open (domain/links.py): set by delivery for each recipient when
    the message is sent, never stored; None without BUDGETGUARD_PUBLIC_URL."""

    @property
    def percent(self) -> Decimal:
        return percent_of(spent=self.spent, budget=self.budget)


@dataclass(frozen=True, slots=True)
class NotificationFilter:
    """Which notifications to list; None means any."""

    shop_id: int | None = None
    kind: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredNotification:
    """A notification and where its delivery stands (derived from its delivery records)."""

    notification: Notification
    status: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
