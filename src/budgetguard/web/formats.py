"""How the console writes figures: amounts with two decimals and thousands separators (and the
platform's currency, when set), percents, instants in the platform's zone. Also Jinja filters,
which read the settings from the page's context (`page()` puts them there)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

DASH = "—"


def money(amount: Decimal | None, currency: str | None = None) -> str:
    if amount is None:
        return DASH
    text = f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


def amount_format(currency: str | None) -> str:
    """The format of an amount on a chart's axis: `{} EUR`, or `{}` without a currency."""
    return f"{{}} {currency}" if currency else "{}"


def percent(value: Decimal | None) -> str:
    return DASH if value is None else f"{value:,.2f} %"


def instant(at: datetime | None, zone: ZoneInfo) -> str:
    """`2020-07-15 14:03 CEST`: minutes are enough for people; the zone is named."""
    if at is None:
        return DASH
    local = at.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


@pass_context
def _money(context: Context, amount: Decimal | None) -> str:
    """In the page's `currency` when it names one (a shop's pages: the shop's own), else the
    platform's."""
    currency = context["currency"] if "currency" in context else context["settings"].currency
    return money(amount, currency)


@pass_context
def _instant(context: Context, at: datetime | None) -> str:
    return instant(at, context["settings"].zone)


def install(env: Environment) -> None:
    filters: dict[str, Any] = {"money": _money, "percent": percent, "instant": _instant}
    env.filters.update(filters)
