"""Delivery records (the dead letters among them), and retrying them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from budgetguard.api.schemas.common import Body
from budgetguard.domain.delivery import DeliveryRecord
from budgetguard.domain.ids import LARGEST_BIG_ID

DeliveryStatus = Literal["pending", "delivering", "delivered", "failed", "dead"]


class DeliveryOut(BaseModel):
    id: int
    notification_id: int
    shop_id: int
    channel: Literal["email", "webhook", "slack", "console"]
    recipient: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, record: DeliveryRecord) -> DeliveryOut:
        return cls(
            id=record.id,
            notification_id=record.notification_id,
            shop_id=record.shop_id,
            channel=record.channel.value,
            recipient=record.recipient_label,
            status=record.status.value,
            attempts=record.attempts,
            next_attempt_at=record.next_attempt_at,
            last_error=record.last_error,
            created_at=record.created_at,
            delivered_at=record.delivered_at,
        )


class DeliveriesOut(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: end.")


class RetryIn(Body):
    ids: list[Annotated[int, Field(ge=1, le=LARGEST_BIG_ID)]] = Field(min_length=1, max_length=1000)


class RetryOut(BaseModel):
    retried: list[int]
    unknown: list[int]
    left: dict[str, DeliveryStatus] = Field(
        description="Records found but not retried (delivered or in flight), with their status."
    )
