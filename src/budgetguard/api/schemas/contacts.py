"""A shop's contacts: what is asked for, and what is shown (never a secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from budgetguard.api.schemas.common import Body
from budgetguard.domain.recipients import Contact

ContactKind = Literal["email", "webhook", "slack"]


class ContactIn(Body):
    """A contact as the shop wants it: an e-mail address, a webhook (HTTPS), a Slack URL."""

    kind: ContactKind
    target: str = Field(min_length=1, max_length=512, examples=["ops@fashion-quasar.example"])
    secret: str | None = Field(
        default=None,
        max_length=255,
        description="A webhook's `whsec_…` signing secret; budgetguard generates one if omitted.",
    )


class ContactsIn(Body):
    contacts: list[ContactIn] = Field(max_length=100)


class ContactOut(BaseModel):
    id: int
    shop_id: int
    kind: ContactKind
    target: str = Field(
        description="The address or URL as the logs show it: never credentials, a query or a "
        "secret; a Slack URL only its host (its path is its token)."
    )
    has_secret: bool
    created_at: datetime
    disabled_at: datetime | None = Field(description="When a 410 Gone disabled it, if so.")
    disabled_reason: str | None

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        return cls(
            id=contact.id,
            shop_id=contact.shop_id,
            kind=contact.kind.value,
            target=contact.shown_target,
            has_secret=contact.secret is not None,
            created_at=contact.created_at,
            disabled_at=contact.disabled_at,
            disabled_reason=contact.disabled_reason,
        )


class ContactsOut(BaseModel):
    contacts: list[ContactOut]
    new_secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Signing secrets generated for new webhooks, by contact id: shown only here.",
    )
