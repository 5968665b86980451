"""Shops and budgets: what is written, and a shop's standing for a month."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictBool

from budgetguard.api.schemas.common import Body
from budgetguard.api.schemas.fields import BudgetAmount, MoneyOut, PercentOut, ShopName
from budgetguard.api.schemas.policies import EffectivePolicyOut
from budgetguard.domain.standing import ShopStatus


class ShopIn(Body):
    name: ShopName
    online: StrictBool


class BudgetIn(Body):
    budget: BudgetAmount = Field(description="The month's budget, a decimal string above zero.")


class Standing(BaseModel):
    """A shop and its budget for one month, as budgetguard sees them now."""

    shop_id: int
    shop_name: str
    month: str = Field(examples=["2026-07"])
    budget: MoneyOut | None
    spent: MoneyOut | None
    percent: PercentOut | None = Field(description="spent / budget, cut to two decimals.")
    online: bool
    paused_by_budgetguard: bool
    thresholds_fired: list[int]
    problem: str | None = Field(description="Why the budget row cannot be evaluated, if so.")
    policy: EffectivePolicyOut | None = Field(
        default=None,
        description="The shop's effective policy: its own values over the settings, each with "
        "its source (as GET /v1/shops/{id}/policy shows it).",
    )

    @classmethod
    def of(cls, status: ShopStatus) -> Standing:
        return cls(
            shop_id=status.shop_id,
            shop_name=status.shop_name,
            month=str(status.month),
            budget=status.budget,
            spent=status.spent,
            percent=status.percent,
            online=status.online,
            paused_by_budgetguard=status.paused_by_budgetguard,
            thresholds_fired=list(status.thresholds_fired),
            problem=status.problem,
            policy=None if status.policy is None else EffectivePolicyOut.of(status.policy),
        )
