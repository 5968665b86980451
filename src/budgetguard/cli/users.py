"""`budgetguard users add|list|remove|set-password`: the web console's people.

A password is asked twice, hidden, on a terminal; otherwise it is the first line of standard
input (`printf '%s\\n' "$PASSWORD" | budgetguard users add …`), so scripts never put it on a
command line, where `ps` shows it.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from budgetguard.cli.lazy import command_group
from budgetguard.cli.options import JsonOption, actor
from budgetguard.cli.output import cell, json_line, new_table, print_table
from budgetguard.domain.errors import Unacceptable
from budgetguard.domain.text import readable
from budgetguard.domain.users import User, parse_role
from budgetguard.services import users

users_app = command_group(
    "users", help="Manage the web console's users: viewers and operators.", no_args_is_help=True
)

ADD_EXAMPLES = """Examples:

\b
  budgetguard users add olga --role operator          (asks the password twice)
  printf '%s\\n' "$PASSWORD" | budgetguard users add vic --role viewer

A viewer sees every page of the console; an operator may also act (budgets, the online flag,
contacts, retries). Passwords are 10 to 1024 characters."""

NameArgument = Annotated[str, typer.Argument(help="The user's name.", show_default=False)]


@users_app.command("add", epilog=ADD_EXAMPLES)
def users_add(
    ctx: typer.Context,
    name: NameArgument,
    role: Annotated[
        str, typer.Option(help="viewer or operator.", metavar="viewer|operator", show_default=False)
    ],
) -> None:
    """Add a user of the console with a password."""
    parsed = parse_role(role)
    password = read_password()
    with ctx.obj.context() as context:
        added = users.add_user(
            context=context, name=name, role=parsed, password=password, actor=actor()
        )
    typer.echo(f"Added {added.role.value} {readable(added.name)}.")


@users_app.command("list")
def users_list(ctx: typer.Context, json_lines: JsonOption = False) -> None:
    """List the console's users (never their passwords)."""
    with ctx.obj.context() as context:
        found = users.list_users(context=context)
    if json_lines:
        for user in found:
            sys.stdout.write(json_line(user_json(user)))
        return
    if not found:
        typer.echo("No users: add one with `budgetguard users add NAME --role operator`.")
        return
    table = new_table("Name", "Role", "Created", "Password changed")
    for user in found:
        row = user_json(user)
        table.add_row(*(cell(row[key]) for key in ("name", "role", "created_at",
                                                    "password_changed_at")))  # fmt: skip
    print_table(table)


@users_app.command("remove")
def users_remove(ctx: typer.Context, name: NameArgument) -> None:
    """Remove a user; their sessions end at their next request."""
    with ctx.obj.context() as context:
        removed = users.remove_user(context=context, name=name, actor=actor())
    typer.echo(f"Removed {removed.role.value} {readable(removed.name)}.")


@users_app.command("set-password")
def users_set_password(ctx: typer.Context, name: NameArgument) -> None:
    """Set a user's password; the sessions signed in with the old one end."""
    password = read_password()
    with ctx.obj.context() as context:
        changed = users.set_password(context=context, name=name, password=password, actor=actor())
    typer.echo(f"Set the password of {readable(changed.name)}.")


def read_password() -> str:
    """The new password: asked twice, hidden, on a terminal; else standard input's first line."""
    if sys.stdin.isatty():
        entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return entered
    line = sys.stdin.readline()
    if not line:
        raise Unacceptable.of_field("password", "none on standard input (give it as a line)")
    return line.removesuffix("\n").removesuffix("\r")


def user_json(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role.value,
        "created_at": user.created_at.isoformat(),
        "password_changed_at": user.password_changed_at.isoformat(),
    }
