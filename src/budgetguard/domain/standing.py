"""A shop's standing for a month: budget, spend, online, paused by budgetguard, alerts fired."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from budgetguard.domain.money import percent_of, unusable_reason
from budgetguard.domain.period import Month
from budgetguard.domain.policy import EffectivePolicy


@dataclass(frozen=True, slots=True)
class ShopStatus:
    """What `status` shows and the HTTP API answers for one shop and month."""

    shop_id: int
    shop_name: str
    month: Month
    budget: Decimal | None
    spent: Decimal | None
    online: bool
    paused_by_budgetguard: bool
    thresholds_fired: tuple[int, ...]
    has_budget: bool
    policy: EffectivePolicy | None = None
    """The shop's effective policy, when the reader asked for it (the settings' defaults)."""

    @property
    def problem(self) -> str | None:
        """Why this month's budget row cannot be evaluated, if it exists and cannot."""
        if not self.has_budget:
            return None
        return unusable_reason(budget=self.budget, spent=self.spent)

    @property
    def percent(self) -> Decimal | None:
        if not self.has_budget or self.problem or self.budget is None or self.spent is None:
            return None
        return percent_of(spent=self.spent, budget=self.budget)
