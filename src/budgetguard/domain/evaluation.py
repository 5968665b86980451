"""What an evaluation did: per chunk of budgets, and in all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from budgetguard.domain.period import Month

Progress = Callable[[int, int], None]
"""Called after each chunk with (budget rows done, budget rows in the month)."""


@dataclass(frozen=True, slots=True)
class SkippedBudget:
    """A budget row that cannot be evaluated, and why (SPEC §3, bad data)."""

    shop_id: int
    month: Month
    reason: str


@dataclass
class ChunkResult:
    """What evaluating some budgets changed: notifications queued (of which `resumed` and
    `forecasts`: the rest are threshold notifications), shops paused and resumed, and the
    recurring budget rows `created`; and the budget rows whose usage and day's spend it
    `recorded` (the spend history: no change of state, so results compare without it)."""

    notifications: int = 0
    paused: int = 0
    resumed: int = 0
    skipped: list[SkippedBudget] = field(default_factory=list)
    forecasts: int = 0
    created: int = 0
    recorded: int = field(default=0, compare=False)

    def add(self, other: ChunkResult) -> None:
        self.notifications += other.notifications
        self.paused += other.paused
        self.resumed += other.resumed
        self.forecasts += other.forecasts
        self.created += other.created
        self.recorded += other.recorded
        self.skipped.extend(other.skipped)


@dataclass(kw_only=True)
class EvaluationReport(ChunkResult):
    """What one evaluation of a month did: its counts, over `budgets` budget rows."""

    evaluation_id: int
    month: Month
    evaluated_at: datetime
    budgets: int = 0
    passes: list[EvaluationReport] = field(default_factory=list)
    """Each month's own report when the evaluation made several passes (shops' time zones in
    different months at the instant); empty for the usual one pass."""
