"""`budgetguard contacts add|list|remove`: who at a shop hears about its budget."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from budgetguard.cli.lazy import command_group
from budgetguard.cli.options import JsonOption, ShopArgument, actor
from budgetguard.cli.output import cell, contact_json, json_line, new_table, print_table
from budgetguard.domain.errors import ConfigError
from budgetguard.domain.ids import LARGEST_BIG_ID
from budgetguard.domain.recipients import ChannelKind
from budgetguard.domain.text import readable
from budgetguard.services import contacts
from budgetguard.services.contacts import ContactSpec

contacts_app = command_group(
    "contacts", help="Manage the shops' contacts: e-mail, webhooks, Slack.", no_args_is_help=True
)


@contacts_app.command("add")
def contacts_add(
    ctx: typer.Context,
    *,
    shop: ShopArgument,
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
    with ctx.obj.context() as context:
        added = contacts.add_contact(
            context=context, shop_id=shop, spec=ContactSpec(kind, target, secret), actor=actor()
        )
    contact = added.contact
    verb = "Added" if added.created else "Enabled"
    shown = readable(contact.shown_target)
    typer.echo(f"{verb} contact {contact.id} of shop {shop}: {kind.value} {shown}")
    if added.new_secret:
        typer.echo(f"Signing secret (shown once, give it to the receiver): {added.new_secret}")


@contacts_app.command("list")
def contacts_list(ctx: typer.Context, shop: ShopArgument, json_lines: JsonOption = False) -> None:
    """List a shop's contacts (never their secrets)."""
    with ctx.obj.context() as context:
        rows = [contact_json(c) for c in contacts.list_contacts(context=context, shop_id=shop)]
    if json_lines:
        for row in rows:
            sys.stdout.write(json_line(row))
        return
    if not rows:
        typer.echo(f"Shop {shop} has no contacts.")
        return
    table = new_table("Id", "Kind", "Target", "Added", "Disabled")
    for row in rows:
        disabled = f"{row['disabled_at']} ({row['disabled_reason']})" if row["disabled_at"] else ""
        cells = (row["id"], row["kind"], row["target"], row["created_at"], disabled)
        table.add_row(*(cell(value) for value in cells))
    print_table(table)


@contacts_app.command("remove")
def contacts_remove(
    ctx: typer.Context,
    shop: ShopArgument,
    contact: Annotated[
        int,
        typer.Argument(help="Contact id (see `contacts list`).", min=1, max=LARGEST_BIG_ID),
    ],
) -> None:
    """Remove a contact; what was still to be delivered to it ends dead, unsent."""
    with ctx.obj.context() as context:
        contacts.remove_contact(context=context, shop_id=shop, contact_id=contact, actor=actor())
    typer.echo(f"Removed contact {contact} of shop {shop}.")
