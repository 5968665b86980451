"""The clock: every use case reads the time from one, so that tests can stand it still."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current instant, timezone-aware."""


def utc_now() -> datetime:
    """The system clock, in UTC."""
    return datetime.now(UTC)
