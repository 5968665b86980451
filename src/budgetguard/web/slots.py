"""A few slots for costly work, shared by every request of the process.

Checking a password (Argon2id, 64 MiB) keeps a thread of the shared request pool busy: a flood
of sign-ins from many addresses would keep every thread hashing and stall the API and the
console. `PASSWORD_CHECKS` lets two run at once; a request that finds both taken waits for one
on the event loop (no pool thread is held meanwhile), for a while only.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_POLL_SECONDS = 0.02


class Slots:
    """At most `limit` holders at once, in this process."""

    def __init__(self, limit: int) -> None:
        self._free = threading.BoundedSemaphore(limit)

    def take(self) -> bool:
        """Take a slot if one is free at once (a test holds them all this way)."""
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()

    @asynccontextmanager
    async def held(self, *, within: float) -> AsyncIterator[bool]:
        """Hold a slot for the block, waiting up to `within` seconds: yield whether one was
        found (if not, the block must not do the work)."""
        deadline = time.monotonic() + within
        taken = self.take()
        while not taken and time.monotonic() < deadline:
            await asyncio.sleep(_POLL_SECONDS)
            taken = self.take()
        try:
            yield taken
        finally:
            if taken:
                self.give_back()


PASSWORD_CHECKS = Slots(2)
"""The password checks running at once in this process."""
PASSWORD_CHECK_WAIT = 2.0
"""How long, in seconds, a sign-in waits for a free check before it is answered 503."""
