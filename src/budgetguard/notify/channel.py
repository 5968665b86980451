"""What a delivery channel is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from budgetguard.domain.notification import Notification


class Channel(Protocol):
    """Carries notifications somewhere. Delivery is at-least-once: a channel may see a repeat."""

    name: str

    def deliver(self, batch: Sequence[Notification]) -> Mapping[int, str]:
        """Deliver `batch`; return the error of each notification that failed, by its id."""
        ...
