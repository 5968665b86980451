"""`budgetguard check`."""

from __future__ import annotations

from typing import Annotated

import typer

from budgetguard.bootstrap import console_channel, delivery_setup
from budgetguard.cli.lazy import command_group
from budgetguard.cli.options import AtOption, instant
from budgetguard.cli.output import print_check_summary
from budgetguard.cli.progress import progress
from budgetguard.services.evaluation import run_check


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
        console = console_channel(context.settings, json_lines=json_lines)
        delivery = delivery_setup(context, console)
        with progress(f"Evaluating {when:%Y-%m}") as on_progress:
            report = run_check(context=context, at=when, delivery=delivery, on_progress=on_progress)
        print_check_summary(report)


check_app = command_group()
check_app.command()(check)
