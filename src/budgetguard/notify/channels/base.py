"""What a delivery channel is.

The console (or a test's recording channel) takes a batch of notifications at once and keeps
their order: `Channel`. The network channels send one delivery record at a time, many
concurrently: `Transport`, which raises `SendFailed` when the recipient did not take it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from budgetguard.domain.notification import Notification
from budgetguard.domain.recipients import Recipient


class Channel(Protocol):
    """Carries notifications somewhere. Delivery is at-least-once: a channel may see a repeat."""

    name: str

    def deliver(self, batch: Sequence[Notification]) -> Mapping[int, str]:
        """Deliver `batch`; return the error of each notification that failed, by its id."""
        ...


class SendFailed(Exception):
    """A recipient did not take a delivery. The message is safe to store: no secret in it."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone
        """The receiver said 410 Gone: stop delivering to it."""


class Transport(Protocol):
    """Sends one notification to one recipient over the network."""

    async def send(self, notification: Notification, recipient: Recipient, *, key: str) -> None:
        """Send, or raise SendFailed. `key` names the delivery record's recipient, stably."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
