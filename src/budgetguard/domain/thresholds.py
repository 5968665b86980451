"""Which thresholds exist, which one pauses, and when a threshold is crossed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MAX_THRESHOLD = 1000
# The evaluator keeps a set of thresholds as the bits of one integer.
MAX_THRESHOLDS = 20


def is_crossed(*, spent: Decimal, budget: Decimal, threshold: int) -> bool:
    """Return whether `spent` reaches `threshold` percent of `budget` (SPEC §3, exact)."""
    return spent * 100 >= budget * threshold


@dataclass(frozen=True, slots=True)
class ThresholdPolicy:
    """The configured thresholds (percent, ascending) and the one that pauses a shop."""

    thresholds: tuple[int, ...]
    pause_at: int

    def __post_init__(self) -> None:
        if not 1 <= len(self.thresholds) <= MAX_THRESHOLDS:
            raise ValueError(f"between 1 and {MAX_THRESHOLDS} thresholds are needed")
        if list(self.thresholds) != sorted(set(self.thresholds)):
            raise ValueError("thresholds must be distinct and in ascending order")
        if not all(1 <= t <= MAX_THRESHOLD for t in self.thresholds):
            raise ValueError(f"thresholds must be whole percentages from 1 to {MAX_THRESHOLD}")
        if self.pause_at not in self.thresholds:
            raise ValueError(f"the pause threshold {self.pause_at} is not one of {self.thresholds}")

    @classmethod
    def of(cls, thresholds: list[int] | tuple[int, ...], pause_at: int) -> ThresholdPolicy:
        """Build a policy from thresholds in any order (duplicates are an error)."""
        ordered = tuple(sorted(thresholds))
        if len(set(ordered)) != len(ordered):
            raise ValueError(f"thresholds repeat a value: {list(thresholds)}")
        return cls(ordered, pause_at)

    def crossed(self, *, spent: Decimal, budget: Decimal) -> tuple[int, ...]:
        """Return the thresholds that `spent` has crossed, ascending."""
        return tuple(
            t for t in self.thresholds if is_crossed(spent=spent, budget=budget, threshold=t)
        )
