"""When a failed delivery is tried again."""

from __future__ import annotations

import random
from datetime import timedelta

FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(hours=1)


def retry_delay(attempts: int, *, rng: random.Random) -> timedelta:
    """Return the wait after the `attempts`-th failure: doubling from 30 s, capped at 1 h, ±20 %.

    With the default 30 attempts the schedule spans about a day before a notification is dead.
    """
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    doubled = FIRST_DELAY * (2 ** min(attempts - 1, 16))
    base_ms = min(doubled, LONGEST_DELAY) // timedelta(milliseconds=1)
    return timedelta(milliseconds=base_ms * rng.randint(800, 1200) // 1000)
