"""A reference model of SPEC §3, one shop at a time in plain Python: the properties' oracle."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from budgetguard.domain.money import unusable_reason
from budgetguard.domain.thresholds import ThresholdPolicy

Told = tuple[int, str, tuple[int, ...], str | None]


@dataclass
class ModelShop:
    online: bool
    claimed: bool = False


@dataclass
class Model:
    policy: ThresholdPolicy
    shops: dict[int, ModelShop] = field(default_factory=dict)
    budgets: dict[tuple[int, str], tuple[Decimal, Decimal]] = field(default_factory=dict)
    fired: dict[tuple[int, str], set[int]] = field(default_factory=dict)

    def evaluate(self, month: str) -> list[Told]:
        """Apply the rules to every shop for `month`; return the notifications, sorted."""
        told: list[Told] = []
        for shop_id in sorted(self.shops):
            told.extend(self._evaluate_shop(shop_id, month))
        return sorted(told)

    def _evaluate_shop(self, shop_id: int, month: str) -> list[Told]:
        shop = self.shops[shop_id]
        if shop.claimed and shop.online:
            shop.claimed = False  # set online by hand: budgetguard's claim ends
        row = self.budgets.get((shop_id, month))
        if row is None or unusable_reason(budget=row[0], spent=row[1]) is not None:
            return []
        crossed = set(self.policy.crossed(spent=row[1], budget=row[0]))
        fired = self.fired.setdefault((shop_id, month), set())
        fired &= crossed  # re-arm what is no longer crossed
        told: list[Told] = []
        if shop.claimed and not shop.online and self.policy.pause_at not in crossed:
            shop.online, shop.claimed = True, False
            told.append((shop_id, "resumed", (), "resumed"))
        new = tuple(sorted(crossed - fired))
        if new:
            pause = self.policy.pause_at in new and shop.online
            told.append((shop_id, "threshold", new, "paused" if pause else None))
            fired.update(new)
            if pause:
                shop.online, shop.claimed = False, True
        return told
