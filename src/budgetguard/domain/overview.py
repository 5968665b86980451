"""What the console's overview shows of a month: its shops and budgets, the thresholds they are
past, who is offline and why, a histogram of usage, the outbox and the last evaluations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from budgetguard.domain.period import Month

BUCKETS = 11
"""0-10 %, 10-20 %, …, 90-100 %, and ≥ 100 %."""
BUCKET_BP = 1000
"""Each bucket's width in basis points of the budget (10 %)."""


def bucket_label(bucket: int) -> str:
    """`0 to 10 %` … `90 to 100 %` (with an en dash), then `≥ 100 %`."""
    if bucket >= BUCKETS - 1:
        return "≥ 100 %"
    return f"{bucket * 10}\u2013{bucket * 10 + 10} %"


@dataclass(frozen=True, slots=True)
class Histogram:
    """How many budgets of the month are in each usage bucket, and how many have no usable
    budget (NULL, zero or negative amounts: no usage to speak of)."""

    counts: tuple[int, ...]
    unusable: int

    @classmethod
    def of_groups(cls, groups: Mapping[int | None, int]) -> Histogram:
        """From counts by `usage_bp // 1000` (None: no usable budget); ≥ 100 % is one bucket."""
        counts = [0] * BUCKETS
        for group, count in groups.items():
            if group is not None:
                counts[min(max(group, 0), BUCKETS - 1)] += count
        return cls(tuple(counts), groups.get(None, 0))

    @property
    def recorded(self) -> int:
        """Budgets with a usage recorded (usable or not): 0 before the month's first evaluation."""
        return sum(self.counts) + self.unusable

    @property
    def tallest(self) -> int:
        return max(self.counts, default=0)

    def bars(self) -> list[tuple[str, int]]:
        return [(bucket_label(i), count) for i, count in enumerate(self.counts)]


@dataclass(frozen=True, slots=True)
class OutboxFigures:
    """What waits to be delivered, what failed and what gave up."""

    notifications_waiting: int
    """Notifications not yet dispatched to their recipients."""
    records_waiting: int
    """Delivery records still to be delivered (pending, failed and due again, in flight)."""
    failed: int
    dead: int
    oldest_waiting: datetime | None

    def lag(self, now: datetime) -> timedelta | None:
        """How long the oldest waiting work has waited."""
        if self.oldest_waiting is None:
            return None
        return max(now - self.oldest_waiting, timedelta(0))


@dataclass(frozen=True, slots=True)
class EvaluationSummary:
    """One evaluation as the overview lists it."""

    id: int
    month: Month
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    budgets: int
    notifications: int
    paused: int
    resumed: int
    skipped: int

    @property
    def took(self) -> timedelta | None:
        return None if self.finished_at is None else self.finished_at - self.started_at


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """The month's counts (shops, paused and offline are the shops' state now)."""

    shops: int
    budgets: int
    past: tuple[tuple[int, int], ...]
    """(threshold, budgets past it), ascending: every threshold in use or fired this month."""
    paused: int
    """Shops budgetguard took offline and has not set online again."""
    offline: int
    """Shops offline for another reason (set offline by someone else)."""
    histogram: Histogram


@dataclass(frozen=True, slots=True)
class ShopWideFigures:
    """What the overview shows whatever the month: the shops' state now, the outbox and the last
    evaluations, counted at `computed_at`."""

    shops: int
    offline: int
    paused: int
    outbox: OutboxFigures
    evaluations: tuple[EvaluationSummary, ...]
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class MonthOwnFigures:
    """The month's own counts: its budgets, the thresholds they are past, usage; counted at
    `computed_at`."""

    month: Month
    budgets: int
    past: tuple[tuple[int, int], ...]
    histogram: Histogram
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class Overview:
    """Everything the overview shows, as of `computed_at` (the older of its parts' counts)."""

    month: Month
    figures: MonthFigures
    outbox: OutboxFigures
    evaluations: tuple[EvaluationSummary, ...]
    computed_at: datetime
    outbox_at: datetime | None = None
    """When the outbox was counted, if not at `computed_at`."""

    @classmethod
    def of(cls, shop_wide: ShopWideFigures, own: MonthOwnFigures) -> Overview:
        """The overview of `own`'s month from its two parts."""
        figures = MonthFigures(
            shops=shop_wide.shops,
            budgets=own.budgets,
            past=own.past,
            paused=shop_wide.paused,
            offline=shop_wide.offline,
            histogram=own.histogram,
        )
        at = min(shop_wide.computed_at, own.computed_at)
        return cls(
            own.month, figures, shop_wide.outbox, shop_wide.evaluations, at, shop_wide.computed_at
        )

    @property
    def lag(self) -> timedelta | None:
        return self.outbox.lag(self.outbox_at or self.computed_at)
