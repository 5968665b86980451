"""Request and answer bodies of the contacts and delivery-records routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from budgetguard.api.fields import LARGEST_BIG_ID

ContactKind = Literal["email", "webhook", "slack"]
DeliveryStatus = Literal["pending", "delivering", "delivered", "failed", "dead"]


class ContactIn(BaseModel):
    """A contact as the shop wants it: an e-mail address, a webhook (HTTPS), a Slack URL."""

    model_config = ConfigDict(extra="forbid")

    kind: ContactKind
    target: str = Field(min_length=1, max_length=512, examples=["ops@fashion-quasar.example"])
    secret: str | None = Field(
        default=None,
        max_length=255,
        description="A webhook's `whsec_…` signing secret; budgetguard generates one if omitted.",
    )


class ContactsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: list[ContactIn] = Field(max_length=100)


class ContactOut(BaseModel):
    id: int
    shop_id: int
    kind: ContactKind
    target: str = Field(description="The address or URL (a Slack URL shortened; never a secret).")
    has_secret: bool
    created_at: datetime
    disabled_at: datetime | None = Field(description="When a 410 Gone disabled it, if so.")
    disabled_reason: str | None


class ContactsOut(BaseModel):
    contacts: list[ContactOut]
    new_secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Signing secrets generated for new webhooks, by contact id: shown only here.",
    )


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


class DeliveriesOut(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: end.")


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=LARGEST_BIG_ID)]] = Field(min_length=1, max_length=1000)


class RetryOut(BaseModel):
    retried: list[int]
    unknown: list[int]
    left: dict[str, DeliveryStatus] = Field(
        description="Records found but not retried (delivered or in flight), with their status."
    )
