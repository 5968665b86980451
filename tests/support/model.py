"""A reference model of SPEC §3 with each shop's own policy (issue 9), one shop at a time in
plain Python: the properties' oracle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from budgetguard.domain.money import unusable_reason
from budgetguard.domain.period import Month
from budgetguard.domain.policy import SOFT_LIMIT, PauseAt
from budgetguard.domain.thresholds import ThresholdPolicy, is_crossed

Told = tuple[int, str, tuple[int, ...], str | None]


@dataclass
class ModelShop:
    online: bool
    claimed: bool = False
    claim_threshold: int | None = None
    # The shop's own policy; None: the settings'.
    thresholds: tuple[int, ...] | None = None
    pause_at: PauseAt | None = None
    zone: str | None = None


@dataclass
class Model:
    policy: ThresholdPolicy
    zone: str = "UTC"
    shops: dict[int, ModelShop] = field(default_factory=dict)
    budgets: dict[tuple[int, str], tuple[Decimal, Decimal]] = field(default_factory=dict)
    fired: dict[tuple[int, str], set[int]] = field(default_factory=dict)

    def month_of(self, shop_id: int, at: datetime) -> str:
        """The month containing `at` on the shop's clock, `YYYY-MM`."""
        zone = self.shops[shop_id].zone or self.zone
        return str(Month.containing(at, ZoneInfo(zone)))

    def evaluate(self, month: str | datetime) -> list[Told]:
        """Apply the rules to every shop for `month` (or, at an instant, for the month on each
        shop's clock); return the notifications, sorted."""
        told: list[Told] = []
        for shop_id in sorted(self.shops):
            shop_month = month if isinstance(month, str) else self.month_of(shop_id, month)
            told.extend(self._evaluate_shop(shop_id, shop_month))
        return sorted(told)

    def _evaluate_shop(self, shop_id: int, month: str) -> list[Told]:
        shop = self.shops[shop_id]
        if shop.claimed and shop.online:
            shop.claimed = False  # set online by hand: budgetguard's claim ends
        row = self.budgets.get((shop_id, month))
        if row is None or unusable_reason(budget=row[0], spent=row[1]) is not None:
            return []
        budget, spent = row[0], row[1]

        def crossed(t: int) -> bool:
            return is_crossed(spent=spent, budget=budget, threshold=t)

        thresholds = self.policy.thresholds if shop.thresholds is None else shop.thresholds
        pause_at = self.policy.pause_at if shop.pause_at is None else shop.pause_at
        fired = self.fired.setdefault((shop_id, month), set())
        # Re-arm what is no longer crossed, listed or not; a threshold no longer listed stays
        # recorded while crossed, and is ignored.
        fired.intersection_update({t for t in fired if crossed(t)})
        told: list[Told] = []
        resume_point = pause_at
        if pause_at == SOFT_LIMIT:  # a soft limit resumes below the threshold its claim paused at
            resume_point = (
                self.policy.pause_at if shop.claim_threshold is None else shop.claim_threshold
            )
        if shop.claimed and not shop.online and not crossed(int(resume_point)):
            shop.online, shop.claimed, shop.claim_threshold = True, False, None
            told.append((shop_id, "resumed", (), "resumed"))
        new = tuple(sorted(t for t in thresholds if crossed(t) and t not in fired))
        if new:
            pause = pause_at != SOFT_LIMIT and pause_at in new and shop.online
            told.append((shop_id, "threshold", new, "paused" if pause else None))
            fired.update(new)
            if pause:
                shop.online, shop.claimed = False, True
                shop.claim_threshold = int(pause_at)
        return told
