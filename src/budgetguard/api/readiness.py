"""Readiness answered within a bound, whatever the database does.

The probe (connect, read the schema's revision) runs in a thread of the event loop's own
executor, not in one of the request threads: when stuck requests hold all of those, the probe
still runs. At most one probe is in flight per runtime: on a silent database, a probe stuck until
BUDGETGUARD_DATABASE_TIMEOUT is joined by the next calls instead of piling up threads; each call
waits for it at most READY_SECONDS and then answers "not ready".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from budgetguard.domain.errors import DatabaseUnavailable

READY_SECONDS = 2.0
"""The longest /readyz waits for the database before it answers 503."""


class Readiness:
    """One probe of the database at a time, each caller waiting for it a bounded time."""

    def __init__(self) -> None:
        self._probe: asyncio.Future[None] | None = None

    async def check(self, probe: Callable[[], None], *, within: float = READY_SECONDS) -> None:
        """Return once `probe` succeeded; raise its error, or DatabaseUnavailable when it has
        not answered within `within` seconds."""
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().run_in_executor(None, probe)
            self._probe.add_done_callback(_retrieved)
        try:
            await asyncio.wait_for(asyncio.shield(self._probe), within)
        except TimeoutError:
            raise DatabaseUnavailable(f"no answer from the database within {within:g} s") from None


def _retrieved(probe: asyncio.Future[None]) -> None:
    # A probe whose callers stopped waiting still ends; its error is theirs, already answered.
    if not probe.cancelled():
        probe.exception()
