"""A shop's own policy (issue 9): every field optional, falling back to the settings.

`ShopPolicy` is what a shop's row holds (None: not set, the setting applies); `PolicyDefaults`
is what the settings give; `EffectivePolicy` is both resolved, with where each value comes from.
Every parser raises `PolicyError`, which names the field, so the CLI and the API can say which
input was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

from budgetguard.domain.currencies import CURRENCIES
from budgetguard.domain.shop_clock import known_zone
from budgetguard.domain.thresholds import ThresholdPolicy

LANGUAGES = ("en", "de", "fr", "it", "es", "nl")
"""The languages a shop's messages can be written in (the package's gettext catalogs)."""

SOFT_LIMIT: Literal["none"] = "none"
"""`pause_at` of a soft limit: notified at every threshold, never paused."""

PauseAt = int | Literal["none"]

FIELDS = (
    "thresholds",
    "pause_at",
    "timezone",
    "language",
    "currency",
    "forecast",
    "recurring_budget",
)
"""The policy's fields, in the order they are shown."""

MAX_BUDGET = Decimal("99999999.99")  # t_budgets.a_budget_amount is DECIMAL(10,2)


class PolicyError(ValueError):
    """A policy value that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


@dataclass(frozen=True, slots=True)
class ShopPolicy:
    """What a shop's policy sets; None everywhere means the settings apply.

    `recurring_budget` None means no recurring budget (there is no setting for it).
    """

    thresholds: tuple[int, ...] | None = None
    pause_at: PauseAt | None = None
    timezone: str | None = None
    language: str | None = None
    currency: str | None = None
    forecast: bool | None = None
    recurring_budget: Decimal | None = None

    def merged(self, changes: ShopPolicy, cleared: tuple[str, ...] = ()) -> ShopPolicy:
        """This policy with the fields `changes` sets replaced, and `cleared` unset."""
        values = {f: getattr(changes, f) for f in FIELDS if getattr(changes, f) is not None}
        return replace(self, **values, **dict.fromkeys(cleared))

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True, slots=True)
class PolicyDefaults:
    """The settings every policy falls back to."""

    thresholds: tuple[int, ...]
    pause_at: PauseAt
    timezone: str
    language: str
    currency: str | None
    forecast: bool


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    """A shop's policy with the defaults filled in; `sources[field]` is `shop` or `default`."""

    thresholds: tuple[int, ...]
    pause_at: PauseAt
    timezone: str
    language: str
    currency: str | None
    forecast: bool
    recurring_budget: Decimal | None
    sources: dict[str, str]

    @property
    def soft_limit(self) -> bool:
        return self.pause_at == SOFT_LIMIT

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def limit(self) -> int:
        """The threshold a forecast projects to: the pause threshold, or 100 for a soft limit."""
        return 100 if isinstance(self.pause_at, str) else self.pause_at

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: amounts as strings, each field with its source."""
        budget = self.recurring_budget
        return {
            "thresholds": list(self.thresholds),
            "pause_at": self.pause_at,
            "timezone": self.timezone,
            "language": self.language,
            "currency": self.currency,
            "forecast": self.forecast,
            "recurring_budget": None if budget is None else str(budget),
            "sources": dict(self.sources),
        }


def resolve(policy: ShopPolicy | None, defaults: PolicyDefaults) -> EffectivePolicy:
    """The effective policy of a shop whose row is `policy` (None: it has none).

    Its thresholds always hold its pause threshold, as the evaluation's do (shop_terms): a
    shop's own pause threshold stays one when the settings' thresholds change without it.
    """
    values, sources = _resolved(policy, defaults)
    pause = values["pause_at"]
    if isinstance(pause, int) and pause not in values["thresholds"]:
        values["thresholds"] = tuple(sorted((*values["thresholds"], pause)))
    return EffectivePolicy(**values, sources=sources)


def _resolved(
    policy: ShopPolicy | None, defaults: PolicyDefaults
) -> tuple[dict[str, Any], dict[str, str]]:
    """Each field's value, the shop's or the settings', and where it comes from."""
    own = policy or ShopPolicy()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in FIELDS:
        value = getattr(own, name)
        if name == "recurring_budget":
            values[name], sources[name] = value, "shop" if value is not None else "none"
        elif value is not None:
            values[name], sources[name] = value, "shop"
        else:
            values[name], sources[name] = getattr(defaults, name), "default"
    return values, sources


def check(policy: ShopPolicy, defaults: PolicyDefaults) -> ShopPolicy:
    """Return `policy` when its fields fit together with the defaults; else PolicyError.

    The pause threshold must be one of the shop's thresholds (each may come from either side).
    """
    values, _ = _resolved(policy, defaults)  # the thresholds as given, before `resolve` adds
    pause_at, thresholds = values["pause_at"], values["thresholds"]
    if pause_at == SOFT_LIMIT:
        return policy
    if pause_at not in thresholds:
        shown = ",".join(str(t) for t in thresholds)
        field = "pause_at" if policy.pause_at is not None else "thresholds"
        raise PolicyError(
            field,
            f"the pause threshold {pause_at} is not one of the thresholds {shown} "
            "(give a pause threshold from the list, or `none` for a soft limit)",
        )
    return policy


# --- parsing what people type ----------------------------------------------------------------


def parse_thresholds(text: str) -> tuple[int, ...]:
    """`50,80,100` (any order, spaces allowed) as ascending whole percentages."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise PolicyError(
            "thresholds", f"not a list of whole percentages: {text!r} (e.g. 50,80,100)"
        ) from None
    try:
        return ThresholdPolicy.of(numbers, numbers[-1] if numbers else 0).thresholds
    except ValueError as error:
        raise PolicyError("thresholds", str(error)) from None


def parse_pause_at(text: str | int) -> PauseAt:
    """A whole percentage, or `none` (a soft limit)."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str) and text.strip().lower() == SOFT_LIMIT:
        return SOFT_LIMIT
    else:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise PolicyError(
                "pause_at", f"not a whole percentage or `none`: {text!r} (e.g. 100)"
            ) from None
    if value < 1:
        raise PolicyError(
            "pause_at", f"must be a whole percentage of at least 1, or `none`: {text}"
        )
    return value


def parse_timezone(text: str) -> str:
    """An IANA time zone name, e.g. `Europe/Berlin`."""
    name = text.strip()
    if not known_zone(name):
        raise PolicyError("timezone", f"unknown IANA time zone {text!r} (e.g. Europe/Berlin)")
    return name


def parse_language(text: str) -> str:
    """One of LANGUAGES."""
    code = text.strip().lower()
    if code not in LANGUAGES:
        raise PolicyError(
            "language", f"unsupported language {text!r} (one of {', '.join(LANGUAGES)})"
        )
    return code


def parse_currency(text: str) -> str:
    """An ISO 4217 currency code, e.g. `EUR`."""
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha() or not _known_currency(code):
        raise PolicyError("currency", f"unknown ISO 4217 currency code {text!r} (e.g. EUR)")
    return code


def parse_forecast(text: str | bool) -> bool:
    """`on` or `off` (also true/false, yes/no, 1/0)."""
    if isinstance(text, bool):
        return text
    word = text.strip().lower()
    if word in ("on", "true", "yes", "1"):
        return True
    if word in ("off", "false", "no", "0"):
        return False
    raise PolicyError("forecast", f"not `on` or `off`: {text!r}")


def parse_recurring_budget(text: str | Decimal) -> Decimal | None:
    """A positive amount with at most two decimals, or `none` (no recurring budget)."""
    if isinstance(text, str) and text.strip().lower() == SOFT_LIMIT:
        return None
    try:
        amount = text if isinstance(text, Decimal) else Decimal(str(text).strip())
    except InvalidOperation:
        raise PolicyError(
            "recurring_budget", f"not an amount or `none`: {text!r} (e.g. 500.00)"
        ) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_BUDGET:
        raise PolicyError(
            "recurring_budget", f"must be an amount above 0 and at most {MAX_BUDGET}: {text}"
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise PolicyError("recurring_budget", f"has more than two decimals: {text}")
    return amount.quantize(Decimal("0.01"))


def _known_currency(code: str) -> bool:
    return code in CURRENCIES
