"""Spend events, one or a batch, and what a batch did."""

from __future__ import annotations

from pydantic import BaseModel, Field

from budgetguard.api.schemas.common import Body
from budgetguard.api.schemas.fields import EventId, Instant, ShopId, SpendAmount
from budgetguard.api.schemas.shops import Standing
from budgetguard.domain.spend import SpendEvent

MAX_BATCH = 10_000


class SpendIn(Body):
    event_id: EventId
    shop_id: ShopId
    amount: SpendAmount = Field(description="Decimal string; negative for a refund.")
    occurred_at: Instant = Field(description="RFC 3339 with a zone; picks the budget's month.")

    def event(self) -> SpendEvent:
        return SpendEvent(self.event_id, self.shop_id, self.amount, self.occurred_at)


class SpendBatchIn(Body):
    events: list[SpendIn] = Field(min_length=1, max_length=MAX_BATCH)


class SpendBatchOut(BaseModel):
    applied: int = Field(description="Events recorded and counted by this request.")
    duplicates: int = Field(description="Events already recorded (or repeated): not counted.")
    budgets: list[Standing]
