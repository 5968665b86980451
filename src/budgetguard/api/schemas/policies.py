"""A shop's policy: what is written (PUT replaces, PATCH merges) and what is shown (the shop's
own values and the effective ones, each with where it comes from)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainValidator, StrictBool, StrictInt, WithJsonSchema

from budgetguard.api.schemas.common import Body
from budgetguard.api.schemas.fields import BudgetAmount, MoneyOut
from budgetguard.domain.policy import FIELDS, SOFT_LIMIT, EffectivePolicy, ShopPolicy
from budgetguard.domain.thresholds import MAX_THRESHOLDS

Source = Literal["shop", "default", "none"]


def _pause_at(value: object) -> int | Literal["none"]:
    # One validator, not a union: a union's refusal names each of its branches as a field.
    if value == SOFT_LIMIT:
        return SOFT_LIMIT
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError('must be a whole percentage or "none"')


PauseAt = Annotated[
    int | Literal["none"],
    PlainValidator(_pause_at),
    WithJsonSchema({"oneOf": [{"type": "integer"}, {"type": "string", "enum": [SOFT_LIMIT]}]}),
]


class PolicyIn(Body):
    """The fields of a shop's policy; each is optional (unset: the setting applies)."""

    thresholds: list[StrictInt] | None = Field(
        default=None,
        max_length=MAX_THRESHOLDS,
        description="Whole percentages that notify (1 to 1000, distinct).",
        examples=[[50, 80, 100]],
    )
    pause_at: PauseAt | None = Field(
        default=None,
        description='The threshold that pauses the shop (one of the thresholds), or "none": a '
        "soft limit, notified but never paused.",
        examples=[100, "none"],
    )
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA time zone.", examples=["Europe/Berlin"]
    )
    language: str | None = Field(
        default=None, max_length=16, description="en, de, fr, it, es or nl.", examples=["de"]
    )
    currency: str | None = Field(
        default=None, max_length=16, description="ISO 4217 code.", examples=["EUR"]
    )
    forecast: StrictBool | None = Field(default=None, description="Forecast alerts on or off.")
    recurring_budget: BudgetAmount | None = Field(
        default=None, description="The budget written for a month that has none (null: none)."
    )

    def policy(self) -> ShopPolicy:
        """The fields given a value, as a policy (the others unset)."""
        return ShopPolicy(
            thresholds=None if self.thresholds is None else tuple(self.thresholds),
            pause_at=self.pause_at,
            timezone=self.timezone,
            language=self.language,
            currency=self.currency,
            forecast=self.forecast,
            recurring_budget=self.recurring_budget,
        )

    def nulled(self) -> tuple[str, ...]:
        """The fields given as null (PATCH: cleared)."""
        return tuple(
            name for name in FIELDS if name in self.model_fields_set and getattr(self, name) is None
        )


class OwnPolicy(BaseModel):
    """What the shop itself sets; null: not set (the setting applies)."""

    thresholds: list[int] | None
    pause_at: int | Literal["none"] | None
    timezone: str | None
    language: str | None
    currency: str | None
    forecast: bool | None
    recurring_budget: MoneyOut | None

    @classmethod
    def of(cls, own: ShopPolicy | None) -> OwnPolicy:
        return cls.model_validate(own or ShopPolicy(), from_attributes=True)


class EffectivePolicyOut(BaseModel):
    """The policy in force: the shop's own values over the settings."""

    thresholds: list[int]
    pause_at: int | Literal["none"]
    timezone: str
    language: str
    currency: str | None = Field(description="null: amounts are shown alone.")
    forecast: bool
    recurring_budget: MoneyOut | None = Field(description="null: no recurring budget.")
    sources: dict[str, Source] = Field(
        description="Where each field's value comes from: `shop`, `default` (the setting), or "
        "`none` (a recurring budget neither sets).",
        examples=[{"thresholds": "shop", "pause_at": "default", "recurring_budget": "none"}],
    )

    @classmethod
    def of(cls, effective: EffectivePolicy) -> EffectivePolicyOut:
        return cls.model_validate(effective, from_attributes=True)


class PolicyOut(BaseModel):
    shop_id: int
    own: OwnPolicy
    effective: EffectivePolicyOut
