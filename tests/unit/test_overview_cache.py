"""The overview's cache: each entry counted at most once every few seconds, once however many
requests find it missing together; a stale entry served at once while one recount runs in the
background; the month-independent figures counted once for every month; only so many months
kept."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from budgetguard.domain.overview import (
    Histogram,
    MonthOwnFigures,
    OutboxFigures,
    ShopWideFigures,
)
from budgetguard.domain.period import Month
from budgetguard.services.overview_cache import Kept, OverviewCache

JULY, AUGUST, SEPTEMBER = Month(2020, 7), Month(2020, 8), Month(2020, 9)
AT = datetime(2020, 7, 1, tzinfo=UTC)


def inline(task: Callable[[], None]) -> None:
    task()


class Counter:
    """Counts a key as the number of counts so far; waits for `gate` first when it is set."""

    def __init__(self) -> None:
        self.keys: list[Month] = []
        self.gate: threading.Event | None = None
        self.waiting = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, key: Month) -> int:
        if self.gate is not None:
            self.waiting.set()
            assert self.gate.wait(10)
        with self._lock:
            self.keys.append(key)
            return len(self.keys)


class Later:
    """A background that runs its tasks when told."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], None]] = []

    def __call__(self, task: Callable[[], None]) -> None:
        self.tasks.append(task)

    def run(self) -> None:
        while self.tasks:
            self.tasks.pop(0)()


def test_a_stale_value_is_served_at_once_and_recounted_in_the_background() -> None:
    ticks, compute, later = [0.0], Counter(), Later()
    kept: Kept[Month, int] = Kept(compute, seconds=5, size=24, clock=lambda: ticks[0],
                                  refresh=later)  # fmt: skip

    first = kept.get(JULY)
    ticks[0] = 4.99
    within = kept.get(JULY)
    ticks[0] = 5.0
    stale = kept.get(JULY)
    assert compute.keys == [JULY], "no request counts a stale value itself"
    later.run()
    after = kept.get(JULY)

    assert (first, within, stale, after) == (1, 1, 1, 2)


def test_one_recount_at_a_time_per_key() -> None:
    ticks, compute, later = [0.0], Counter(), Later()
    kept: Kept[Month, int] = Kept(compute, seconds=5, size=24, clock=lambda: ticks[0],
                                  refresh=later)  # fmt: skip
    kept.get(JULY)
    kept.get(AUGUST)
    ticks[0] = 10.0

    served = [kept.get(JULY) for _ in range(5)] + [kept.get(AUGUST)]

    assert served == [1, 1, 1, 1, 1, 2]
    assert len(later.tasks) == 2, "one recount for July, one for August"
    later.run()
    assert (kept.get(JULY), kept.get(AUGUST)) == (3, 4)
    assert kept.get(JULY) == 3
    assert not later.tasks, "fresh again: no recount"


def test_requests_meanwhile_get_the_kept_value_while_the_recount_runs() -> None:
    ticks, compute = [0.0], Counter()
    kept: Kept[Month, int] = Kept(compute, seconds=5, size=24, clock=lambda: ticks[0])
    kept.get(JULY)
    ticks[0] = 10.0
    compute.gate = threading.Event()

    assert kept.get(JULY) == 1  # starts the recount in a thread, which waits for the gate
    assert compute.waiting.wait(10), "the recount began"
    meanwhile = [kept.get(JULY) for _ in range(3)]
    compute.gate.set()
    for _ in range(500):
        if kept.get(JULY) == 2:
            break
        threading.Event().wait(0.01)

    assert meanwhile == [1, 1, 1]
    assert kept.get(JULY) == 2
    assert compute.keys == [JULY, JULY]


def test_a_failed_recount_keeps_the_value_and_the_next_stale_request_tries_again() -> None:
    ticks, calls = [0.0], [0]

    def compute(_key: Month) -> int:
        calls[0] += 1
        if calls[0] == 2:
            raise RuntimeError("the database is away")
        return calls[0]

    kept: Kept[Month, int] = Kept(compute, seconds=5, size=24, clock=lambda: ticks[0],
                                  refresh=inline)  # fmt: skip
    kept.get(JULY)
    ticks[0] = 10.0

    assert kept.get(JULY) == 1  # the recount fails (logged)
    assert kept.get(JULY) == 1  # the recount succeeds
    assert kept.get(JULY) == 3


def test_zero_seconds_counts_every_time_in_the_request() -> None:
    compute = Counter()
    kept: Kept[Month, int] = Kept(compute, seconds=0, size=24, refresh=Later())

    assert (kept.get(JULY), kept.get(JULY)) == (1, 2)


def test_requests_finding_none_yet_together_count_it_once() -> None:
    compute = Counter()
    compute.gate = threading.Event()
    kept: Kept[Month, int] = Kept(compute, seconds=5, size=24, clock=lambda: 0.0)

    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(kept.get, JULY) for _ in range(8)]
        compute.gate.set()
        values = {answer.result(10) for answer in answers}

    assert compute.keys == [JULY]
    assert values == {1}


def test_the_least_recently_shown_key_is_forgotten_beyond_the_bound() -> None:
    compute = Counter()
    kept: Kept[Month, int] = Kept(compute, seconds=5, size=2, clock=lambda: 0.0)

    for month in (JULY, AUGUST, JULY, SEPTEMBER, JULY, AUGUST):  # August goes at September
        kept.get(month)

    assert compute.keys == [JULY, AUGUST, SEPTEMBER, AUGUST]


@pytest.mark.parametrize("months", [1, 3, 12])
def test_the_month_independent_figures_are_counted_once_for_every_month(months: int) -> None:
    shop_wide: list[None] = []
    own: list[Month] = []

    def count_shop_wide() -> ShopWideFigures:
        shop_wide.append(None)
        return ShopWideFigures(7, 1, 2, OutboxFigures(0, 0, 0, 0, None), (), AT)

    def count_own(month: Month) -> MonthOwnFigures:
        own.append(month)
        return MonthOwnFigures(month, len(own), (), Histogram((0,) * 11, 0), AT)

    cache = OverviewCache(shop_wide=count_shop_wide, month_own=count_own, seconds=5,
                          clock=lambda: 0.0, refresh=inline)  # fmt: skip
    every = [Month(2020, 1 + n) for n in range(months)]
    shown = [cache.get(month) for month in every]
    shown.append(cache.get(Month(2020, 1)))

    assert len(shop_wide) == 1
    assert own == every
    assert {s.figures.shops for s in shown} == {7}
    assert [s.figures.budgets for s in shown] == [*range(1, months + 1), 1]
