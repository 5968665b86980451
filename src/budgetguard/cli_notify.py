"""The `budgetguard contacts|deliver|deliveries` commands: parse, call a use case, print."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from budgetguard import services, services_notify
from budgetguard.db.outbox import RECORD_STATUSES, Status
from budgetguard.domain.errors import BudgetguardError, ConfigError
from budgetguard.domain.recipients import ChannelKind
from budgetguard.notify.console import ConsoleChannel
from budgetguard.notify.store import DeliveryReport
from budgetguard.services_notify import LIST_LIMIT, ContactSpec

contacts_app = typer.Typer(help="Manage the shops' contacts: e-mail, webhooks, Slack.")
deliveries_app = typer.Typer(help="Inspect and retry delivery records.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]


def register(app: typer.Typer) -> None:
    app.add_typer(contacts_app, name="contacts", no_args_is_help=True)
    app.add_typer(deliveries_app, name="deliveries")
    app.command("deliver")(deliver)


@contacts_app.command("add")
def contacts_add(
    ctx: typer.Context,
    *,
    shop: Annotated[int, typer.Argument(help="Shop id.")],
    email: Annotated[str | None, typer.Option(help="An e-mail address.")] = None,
    webhook: Annotated[str | None, typer.Option(help="An HTTPS webhook URL.")] = None,
    slack: Annotated[str | None, typer.Option(help="A Slack incoming-webhook URL.")] = None,
    secret: Annotated[
        str | None,
        typer.Option(help="The webhook's signing secret (whsec_…); generated when not given."),
    ] = None,
) -> None:
    """Add a contact to a shop (or enable it again after a 410)."""
    given = [(k, v) for k, v in ((ChannelKind.EMAIL, email), (ChannelKind.WEBHOOK, webhook),
                                 (ChannelKind.SLACK, slack)) if v is not None]  # fmt: skip
    if len(given) != 1:
        raise ConfigError("give exactly one of --email, --webhook, --slack")
    kind, target = given[0]
    with ctx.obj.app() as built:
        added = services_notify.add_contact(
            app=built, shop_id=shop, spec=ContactSpec(kind, target, secret)
        )
    shown = services_notify.contact_json(added.contact)
    verb = "Added" if added.created else "Enabled"
    typer.echo(f"{verb} contact {shown['id']} of shop {shop}: {kind.value} {shown['target']}")
    if added.new_secret:
        typer.echo(f"Signing secret (shown once, give it to the receiver): {added.new_secret}")


@contacts_app.command("list")
def contacts_list(
    ctx: typer.Context,
    shop: Annotated[int, typer.Argument(help="Shop id.")],
    json_lines: JsonOption = False,
) -> None:
    """List a shop's contacts (never their secrets)."""
    with ctx.obj.app() as built:
        rows = [
            services_notify.contact_json(c)
            for c in services_notify.list_contacts(app=built, shop_id=shop)
        ]
    if json_lines:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if not rows:
        typer.echo(f"Shop {shop} has no contacts.")
        return
    table = _table("Id", "Kind", "Target", "Added", "Disabled")
    for row in rows:
        disabled = f"{row['disabled_at']} ({row['disabled_reason']})" if row["disabled_at"] else ""
        table.add_row(str(row["id"]), row["kind"], row["target"], row["created_at"], disabled)
    _print(table)


@contacts_app.command("remove")
def contacts_remove(
    ctx: typer.Context,
    shop: Annotated[int, typer.Argument(help="Shop id.")],
    contact: Annotated[int, typer.Argument(help="Contact id (see `contacts list`).")],
) -> None:
    """Remove a contact; what was still to be delivered to it ends dead, unsent."""
    with ctx.obj.app() as built:
        services_notify.remove_contact(app=built, shop_id=shop, contact_id=contact)
    typer.echo(f"Removed contact {contact} of shop {shop}.")


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
    channel = ConsoleChannel(sys.stdout, json_lines=json_lines)
    with ctx.obj.app() as built:
        if once:
            services.open_database(built)
            report = services.deliver(app=built, channel=channel)
        else:
            report = services_notify.deliver_continuously(app=built, channel=channel)
    _summary(report)


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
    shop: Annotated[int | None, typer.Option(help="Only this shop's records.")] = None,
    limit: Annotated[
        int, typer.Option(help="At most this many, newest first.", min=1, max=LIST_LIMIT)
    ] = 100,
    before: Annotated[int | None, typer.Option(help="Only ids below this one (paging).")] = None,
    json_lines: JsonOption = False,
) -> None:
    """List delivery records, newest first: `--status dead` is the dead-letter view."""
    with ctx.obj.app() as built:
        records = services_notify.list_deliveries(
            app=built,
            status=None if status is None else Status(status),
            shop_id=shop,
            before_id=before,
            limit=limit,
        )
        rows = [services_notify.delivery_json(built, r) for r in records]
    if json_lines:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if not rows:
        typer.echo("No delivery records.")
        return
    table = _table(
        "Id", "Notif.", "Shop", "Channel", "Recipient", "Status", "Tries", "Next", "Last error"
    )
    for r in rows:
        cells = [r["id"], r["notification_id"], r["shop_id"], r["channel"], r["recipient"]]
        cells += [r["status"], r["attempts"], r["next_attempt_at"], r["last_error"]]
        table.add_row(*("" if cell is None else str(cell) for cell in cells))
    _print(table)


@deliveries_app.command("retry")
def deliveries_retry(
    ctx: typer.Context, ids: Annotated[list[int], typer.Argument(help="Delivery record ids.")]
) -> None:
    """Make failed, dead or pending records due now, with a fresh schedule of attempts."""
    with ctx.obj.app() as built:
        report = services_notify.retry_deliveries(app=built, ids=ids)
    if report.retried:
        typer.echo("Due again: " + ", ".join(str(i) for i in report.retried))
    for record, state in sorted(report.left.items()):
        typer.echo(f"Not retried: {record} is {state.value}")
    if report.unknown:
        unknown = ", ".join(str(i) for i in report.unknown)
        raise BudgetguardError(f"no such delivery record: {unknown}")


def _summary(report: DeliveryReport) -> None:
    parts = [f"{report.dispatched} notifications dispatched", f"{report.delivered} delivered"]
    if report.retrying or report.dead:
        parts.append(f"{report.retrying} to retry, {report.dead} given up")
    sys.stderr.write("budgetguard: " + ", ".join(parts) + "\n")


def _table(*columns: str) -> Table:
    table = Table(show_edge=False, pad_edge=False, box=None)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _print(table: Table) -> None:
    Console(width=None if sys.stdout.isatty() else 160).print(table)
