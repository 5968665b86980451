"""`budgetguard deliver` and `budgetguard deliveries list|retry`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from budgetguard.bootstrap import console_channel, delivery_setup
from budgetguard.cli.lazy import command_group
from budgetguard.cli.options import JsonOption, actor
from budgetguard.cli.output import (
    delivery_json,
    json_line,
    print_deliveries,
    print_delivery_summary,
)
from budgetguard.domain.delivery import RECORD_STATUSES, Status
from budgetguard.domain.errors import NotFound
from budgetguard.domain.ids import LARGEST_BIG_ID, LARGEST_ID
from budgetguard.notify.runner import Control
from budgetguard.services import deliveries
from budgetguard.services.deliveries import LIST_LIMIT
from budgetguard.services.secrets import seal_clear_contacts

deliveries_app = command_group(
    "deliveries", help="Inspect and retry delivery records.", no_args_is_help=True
)


def deliver(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit.")
    ] = False,
    json_lines: Annotated[
        bool, typer.Option("--json", help="The console prints JSON Lines, as `check --json`.")
    ] = False,
) -> None:
    """Deliver queued notifications to every recipient, until SIGINT/SIGTERM (or --once)."""
    with ctx.obj.context() as context:
        console = console_channel(context.settings, json_lines=json_lines)
        delivery = delivery_setup(context, console)
        seal_clear_contacts(context=context)
        if once:
            report = deliveries.deliver_due(context=context, delivery=delivery)
        else:
            report = deliveries.deliver_until_stopped(
                context=context, delivery=delivery, control=Control(), on_signals=True
            )
    print_delivery_summary(report)


def _record_status(value: str | None) -> str | None:
    if value is not None and value not in RECORD_STATUSES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(RECORD_STATUSES)}")
    return value


@deliveries_app.command("list")
def deliveries_list(
    ctx: typer.Context,
    *,
    status: Annotated[
        str | None,
        typer.Option(
            help=f"Only records in this state: {', '.join(RECORD_STATUSES)}.",
            callback=_record_status,
        ),
    ] = None,
    shop: Annotated[
        int | None, typer.Option(help="Only this shop's records.", min=1, max=LARGEST_ID)
    ] = None,
    limit: Annotated[
        int, typer.Option(help="At most this many, newest first.", min=1, max=LIST_LIMIT)
    ] = 100,
    before: Annotated[
        int | None,
        typer.Option(help="Only ids below this one (paging).", min=1, max=LARGEST_BIG_ID),
    ] = None,
    json_lines: JsonOption = False,
) -> None:
    """List delivery records, newest first: `--status dead` is the dead-letter view."""
    with ctx.obj.context() as context:
        records = deliveries.list_deliveries(
            context=context,
            status=None if status is None else Status(status),
            shop_id=shop,
            before_id=before,
            limit=limit,
        )
    rows = [delivery_json(r) for r in records]
    if json_lines:
        for row in rows:
            sys.stdout.write(json_line(row))
    elif rows:
        print_deliveries(rows)
    else:
        typer.echo("No delivery records.")


@deliveries_app.command("retry")
def deliveries_retry(
    ctx: typer.Context,
    ids: Annotated[
        list[int], typer.Argument(help="Delivery record ids.", min=1, max=LARGEST_BIG_ID)
    ],
) -> None:
    """Make failed, dead or pending records due now, with a fresh schedule of attempts."""
    with ctx.obj.context() as context:
        report = deliveries.retry_deliveries(context=context, ids=ids, actor=actor())
    if report.retried:
        typer.echo("Due again: " + ", ".join(str(i) for i in report.retried))
    for record, state in sorted(report.left.items()):
        typer.echo(f"Not retried: {record} is {state.value}")
    if report.unknown:
        unknown = ", ".join(str(i) for i in report.unknown)
        raise NotFound(f"no such delivery record: {unknown}")


deliver_app = command_group()
deliver_app.command("deliver")(deliver)
