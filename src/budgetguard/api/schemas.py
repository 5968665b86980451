"""Request and response bodies of the HTTP API (kept apart from the tables they map to)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from budgetguard.api.fields import (
    BudgetAmount,
    EventId,
    Instant,
    MoneyOut,
    PercentOut,
    ShopId,
    ShopName,
    SpendAmount,
)
from budgetguard.db.status import ShopStatus

MAX_BATCH = 10_000


class Body(BaseModel):
    """A request body: unknown fields are refused, so a misspelt field is never ignored."""

    model_config = ConfigDict(extra="forbid")


class SpendIn(Body):
    event_id: EventId
    shop_id: ShopId
    amount: SpendAmount = Field(description="Decimal string; negative for a refund.")
    occurred_at: Instant = Field(description="RFC 3339 with a zone; picks the budget's month.")


class SpendBatchIn(Body):
    events: list[SpendIn] = Field(min_length=1, max_length=MAX_BATCH)


class ShopIn(Body):
    name: ShopName
    online: StrictBool


class BudgetIn(Body):
    budget: BudgetAmount = Field(description="The month's budget, a decimal string above zero.")


class CheckIn(Body):
    at: Instant | None = Field(
        default=None, description="Evaluate the month containing this instant; default now."
    )


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
        )


class SpendBatchOut(BaseModel):
    applied: int = Field(description="Events recorded and counted by this request.")
    duplicates: int = Field(description="Events already recorded (or repeated): not counted.")
    budgets: list[Standing]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: end.")


class NotificationOut(BaseModel):
    id: int
    kind: Literal["threshold", "resumed"]
    shop_id: int
    shop_name: str
    month: str = Field(examples=["2026-07"])
    thresholds: list[int]
    budget: MoneyOut
    spent: MoneyOut
    percent: PercentOut
    action: Literal["paused", "resumed"] | None
    date: str = Field(description="The evaluation date, YYYY-MM-DD, on the platform's clock.")
    created_at: datetime
    status: Literal["pending", "delivering", "delivered", "failed", "dead"]
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None


class CheckOut(BaseModel):
    evaluation_id: int
    month: str
    budgets: int
    notifications: int
    paused: int
    resumed: int
    skipped: int


class Problem(BaseModel):
    """An error, as RFC 9457 application/problem+json."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


class FieldError(BaseModel):
    field: str = Field(examples=["events[3].amount"])
    reason: str


Problem.model_rebuild()
