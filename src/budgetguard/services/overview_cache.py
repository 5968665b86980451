"""The overview's figures, kept a few seconds (issue 8, item 7: the overview must not scan a
million rows per request more than once every few seconds).

A cache, not a pre-aggregate: the counts are exact as of the instant the page names, and no
writer (evaluation, spend event, the platform's own updates) pays for keeping totals. Two kinds
of entries: the figures that do not depend on the month (the shops' state, the outbox, the last
evaluations: one entry, whatever month is shown) and each month's own (budgets, thresholds,
usage). Each is counted at most once every BUDGETGUARD_OVERVIEW_CACHE_SECONDS per process.

Only the very first request for an entry waits for its count (requests arriving meanwhile wait
for that one rather than count again). Once an entry has figures, a request finding them stale
gets them at once and starts a recount in the background — one at a time per entry — whose
figures the next requests get: no request pays the multi-second recount but the first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from budgetguard.domain.overview import MonthOwnFigures, Overview, ShopWideFigures
from budgetguard.domain.period import Month

log = logging.getLogger(__name__)

MONTHS_KEPT = 24
"""Months kept at most; the least recently shown goes first."""

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Refresh = Callable[[Callable[[], None]], None]
"""Runs a recount in the background (a thread of its own by default; tests run it inline)."""


def in_a_thread(task: Callable[[], None]) -> None:
    threading.Thread(target=task, name="overview-recount", daemon=True).start()


@dataclass
class _Entry(Generic[V]):
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held by whoever counts this entry."""
    value: V | None = None
    computed: float = 0.0
    """When, on the cache's monotonic clock."""


class Kept(Generic[K, V]):
    """Values by key, each counted at most once every `seconds` (0: counted every time, by
    the request), at most `size` keys."""

    def __init__(
        self,
        compute: Callable[[K], V],
        *,
        seconds: float,
        size: int,
        clock: Callable[[], float] = time.monotonic,
        refresh: Refresh = in_a_thread,
    ) -> None:
        self._compute = compute
        self._seconds = seconds
        self._size = size
        self._clock = clock
        self._refresh = refresh
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V:
        """The key's value: the one kept if fresh; if stale, the one kept while a recount runs
        in the background; if none yet, one counted now (or by the request already counting)."""
        entry = self._entry(key)
        kept, fresh = self._kept(entry)
        if kept is not None and (fresh or self._seconds > 0):
            if not fresh and entry.lock.acquire(blocking=False):  # none is counting it
                self._start_recount(key, entry)
            return kept
        with entry.lock:  # none yet (or seconds 0): wait for the one being counted, if any
            kept, fresh = self._kept(entry)
            if kept is not None and fresh:
                return kept
            return self._count(key, entry)

    def _start_recount(self, key: K, entry: _Entry[V]) -> None:
        """Recount the entry in the background; its lock, held by the caller, is released then."""

        def recount() -> None:
            try:
                self._count(key, entry)
            except Exception:
                log.exception("recounting the overview's figures (%s) failed", key)
            finally:
                entry.lock.release()

        try:
            self._refresh(recount)
        except BaseException:
            entry.lock.release()
            raise

    def _count(self, key: K, entry: _Entry[V]) -> V:
        value = self._compute(key)
        entry.value, entry.computed = value, self._clock()
        return value

    def _kept(self, entry: _Entry[V]) -> tuple[V | None, bool]:
        """The entry's value, and whether it is fresh."""
        if entry.value is None:
            return None, False
        return entry.value, self._clock() - entry.computed < self._seconds

    def _entry(self, key: K) -> _Entry[V]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)  # one counting it keeps its own entry
            self._entries.move_to_end(key)
            return entry


class OverviewCache:
    """Overviews by month: the month-independent figures kept once, each month's own apart."""

    def __init__(
        self,
        *,
        shop_wide: Callable[[], ShopWideFigures],
        month_own: Callable[[Month], MonthOwnFigures],
        seconds: float,
        months: int = MONTHS_KEPT,
        clock: Callable[[], float] = time.monotonic,
        refresh: Refresh = in_a_thread,
    ) -> None:
        self._shop_wide: Kept[None, ShopWideFigures] = Kept(
            lambda _key: shop_wide(), seconds=seconds, size=1, clock=clock, refresh=refresh
        )
        self._months: Kept[Month, MonthOwnFigures] = Kept(
            month_own, seconds=seconds, size=months, clock=clock, refresh=refresh
        )

    def get(self, month: Month) -> Overview:
        """The month's overview from the figures kept (see the module's docstring)."""
        return Overview.of(self._shop_wide.get(None), self._months.get(month))
