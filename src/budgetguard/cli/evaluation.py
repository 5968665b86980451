"""`budgetguard check` and `budgetguard status`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from budgetguard.bootstrap import delivery_setup
from budgetguard.cli.options import AtOption, instant, progress
from budgetguard.cli.output import json_line, print_check_summary, print_status, status_json
from budgetguard.notify.channels.console import ConsoleChannel
from budgetguard.services.evaluation import run_check
from budgetguard.services.shops import shop_status


def check(
    ctx: typer.Context,
    at: AtOption = None,
    json_lines: Annotated[
        bool, typer.Option("--json", help="Print each notification as one JSON object per line.")
    ] = False,
) -> None:
    """Evaluate every shop for the month of --at, then deliver the queued notifications."""
    with ctx.obj.context() as context:
        when = instant(at, context)
        delivery = delivery_setup(context, ConsoleChannel(sys.stdout, json_lines=json_lines))
        with progress(f"Evaluating {when:%Y-%m}") as on_progress:
            report = run_check(context=context, at=when, delivery=delivery, on_progress=on_progress)
        print_check_summary(report)


def status(
    ctx: typer.Context,
    at: AtOption = None,
    json_lines: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per shop and line.")
    ] = False,
    shop: Annotated[
        list[int] | None, typer.Option("--shop", help="Only this shop id (repeatable).")
    ] = None,
) -> None:
    """Show each shop's month, budget, spend, percent, online state and alerts fired."""
    with ctx.obj.context() as context:
        rows = shop_status(context=context, at=instant(at, context), shop_ids=shop or ())
        if json_lines:
            for row in rows:
                sys.stdout.write(json_line(status_json(row)))
        else:
            print_status(rows)


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.command()(status)
