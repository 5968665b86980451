"""Fakes that record what happened, instead of patching."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from budgetguard.domain.notification import Notification


@dataclass
class RecordingChannel:
    """A channel that keeps what it was given; fails the ids in `failing` with `error`."""

    name: str = "recording"
    sent: list[Notification] = field(default_factory=list)
    failing: set[int] = field(default_factory=set)
    fail_all: bool = False
    error: str = "receiver said no"

    def deliver(self, batch: Sequence[Notification]) -> Mapping[int, str]:
        errors = {n.id: self.error for n in batch if self.fail_all or n.id in self.failing}
        self.sent.extend(n for n in batch if n.id not in errors)
        return errors


@dataclass
class FakeClock:
    """A clock that stands still until a test moves it."""

    now: datetime = field(default_factory=lambda: datetime(2020, 6, 30, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
