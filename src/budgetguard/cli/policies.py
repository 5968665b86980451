"""`budgetguard policy set|show|clear`: a shop's own thresholds, pause, clock, language, currency,
forecast and recurring budget; every field it leaves unset falls back to the settings."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from budgetguard.cli.lazy import command_group
from budgetguard.cli.options import JsonOption, ShopArgument, actor
from budgetguard.cli.output import cell, json_line, new_table, print_table
from budgetguard.domain.audit import json_value
from budgetguard.domain.errors import ConfigError
from budgetguard.domain.policy import FIELDS, SOFT_LIMIT, EffectivePolicy
from budgetguard.services import policies
from budgetguard.services.policies import ShownPolicy

policy_app = command_group(
    "policy",
    help="Set, show and clear a shop's own policy (unset fields follow the settings).",
    no_args_is_help=True,
)

SET_EXAMPLES = """Examples:

\b
  budgetguard policy set 3 --thresholds 50,80,100 --pause-at 100
  budgetguard policy set 3 --pause-at none            (a soft limit: notified, never paused)
  budgetguard policy set 3 --timezone Europe/Berlin --language de --currency EUR
  budgetguard policy set 3 --forecast off --recurring-budget 500.00
  budgetguard policy set 3 --recurring-budget none    (no recurring budget)

Bad input (an unknown time zone, language or currency, a pause threshold not among the
thresholds, a malformed amount) is refused with one line naming the field and exit code 2;
nothing is stored."""

CLEAR_EXAMPLES = f"""Fields: {", ".join(FIELDS)}.

Examples:

\b
  budgetguard policy clear 3                   (every field: the settings apply)
  budgetguard policy clear 3 pause_at currency"""


def _option(help: str, metavar: str) -> Any:
    return typer.Option(help=help, metavar=metavar, show_default=False)


@policy_app.command("set", epilog=SET_EXAMPLES)
def policy_set(
    ctx: typer.Context,
    *,
    shop: ShopArgument,
    thresholds: Annotated[
        str | None, _option("Whole percentages that notify, e.g. 50,80,100.", "LIST")
    ] = None,
    pause_at: Annotated[
        str | None,
        _option("The threshold that pauses the shop, or `none` (a soft limit).", "PERCENT|none"),
    ] = None,
    timezone: Annotated[
        str | None, _option("IANA time zone of the shop's month and dates.", "ZONE")
    ] = None,
    language: Annotated[
        str | None, _option("Language of what the shop receives: en de fr it es nl.", "CODE")
    ] = None,
    currency: Annotated[
        str | None, _option("ISO 4217 currency shown with amounts, e.g. EUR.", "CODE")
    ] = None,
    forecast: Annotated[str | None, _option("Forecast alerts.", "on|off")] = None,
    recurring_budget: Annotated[
        str | None,
        _option("Budget written for a month that has none, or `none`.", "AMOUNT|none"),
    ] = None,
) -> None:
    """Set fields of a shop's policy; the others keep their value."""
    given = {
        "thresholds": thresholds,
        "pause_at": pause_at,
        "timezone": timezone,
        "language": language,
        "currency": currency,
        "forecast": forecast,
        "recurring_budget": recurring_budget,
    }
    texts = {name: text for name, text in given.items() if text is not None}
    if not texts:
        options = ", ".join("--" + name.replace("_", "-") for name in FIELDS)
        raise ConfigError(f"give at least one of {options}")
    changes, cleared = policies.parse_texts(texts)
    with ctx.obj.context() as context:
        shown = policies.set_policy(
            context=context, shop_id=shop, changes=changes, cleared=cleared, actor=actor()
        )
    _print(shown)


@policy_app.command("show")
def policy_show(ctx: typer.Context, shop: ShopArgument, json_lines: JsonOption = False) -> None:
    """Show a shop's effective policy, each value with its source (shop or default)."""
    with ctx.obj.context() as context:
        shown = policies.show_policy(context=context, shop_id=shop)
    if json_lines:
        sys.stdout.write(json_line(policy_json(shown)))
        return
    _print(shown)


@policy_app.command("clear", epilog=CLEAR_EXAMPLES)
def policy_clear(
    ctx: typer.Context,
    shop: ShopArgument,
    fields: Annotated[
        list[str] | None,
        typer.Argument(help="Fields to clear (default: all).", show_default=False),
    ] = None,
) -> None:
    """Clear fields of a shop's policy (all of them by default): the settings apply again."""
    names = policies.field_names(fields or ())
    with ctx.obj.context() as context:
        shown = policies.clear_policy(context=context, shop_id=shop, fields=names, actor=actor())
    _print(shown)


def policy_json(shown: ShownPolicy) -> dict[str, Any]:
    """The shop's own policy (null: not set) and its effective policy with sources."""
    own = shown.own
    return {
        "shop_id": shown.shop_id,
        "own": {name: None if own is None else json_value(getattr(own, name)) for name in FIELDS},
        "effective": shown.effective.as_dict(),
    }


def _print(shown: ShownPolicy) -> None:
    typer.echo(f"Policy of shop {shown.shop_id}:")
    table = new_table("Field", "Value", "Source")
    for name in FIELDS:
        table.add_row(name, cell(_shown(shown.effective, name)), shown.effective.sources[name])
    print_table(table)


def _shown(effective: EffectivePolicy, name: str) -> str:
    value = getattr(effective, name)
    if name == "thresholds":
        return ",".join(str(t) for t in value)
    if name == "pause_at" and value == SOFT_LIMIT:
        return "none (soft limit)"
    if name == "forecast":
        return "on" if value else "off"
    if name == "currency" and value is None:
        return "none (amounts alone)"
    return "none" if value is None else str(value)
