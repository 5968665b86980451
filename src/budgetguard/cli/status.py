"""`budgetguard status`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from budgetguard.cli.lazy import command_group
from budgetguard.cli.options import AtOption, instant
from budgetguard.cli.output import json_line, print_status, status_json
from budgetguard.domain.ids import LARGEST_ID
from budgetguard.services.standings import shop_status


def status(
    ctx: typer.Context,
    at: AtOption = None,
    json_lines: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per shop and line.")
    ] = False,
    shop: Annotated[
        list[int] | None,
        typer.Option("--shop", help="Only this shop id (repeatable).", min=1, max=LARGEST_ID),
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


status_app = command_group()
status_app.command()(status)
