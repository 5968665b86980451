"""The `budgetguard` command (SPEC §5): each command group parses, calls a use case, prints.

Every known failure becomes one line on stderr and an exit code, in one place (`Command`):
2 for a usage error (a bad option or setting, a value refused), 1 for a runtime failure, 130
when interrupted.

A command's module is imported only when that command runs (cli/lazy.py): this module imports
nothing a command does not share with `--version`, so it starts at once.
"""

from __future__ import annotations

import io
import logging
import sys
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from budgetguard import DEFAULT_DATABASE_URL, __version__
from budgetguard.cli.lazy import LazyCommands
from budgetguard.domain.errors import BudgetguardError, ConfigError, Unacceptable
from budgetguard.domain.text import readable
from budgetguard.server.logs import ReadableFormatter

# Each command's Typer app, in the order `--help` lists them (commands, then groups).
COMMANDS = {
    "check": "budgetguard.cli.evaluation:check_app",
    "status": "budgetguard.cli.status:status_app",
    "serve": "budgetguard.cli.serve:serve_app",
    "deliver": "budgetguard.cli.deliveries:deliver_app",
    "db": "budgetguard.cli.db:db_app",
    "contacts": "budgetguard.cli.contacts:contacts_app",
    "policy": "budgetguard.cli.policies:policy_app",
    "deliveries": "budgetguard.cli.deliveries:deliveries_app",
    "users": "budgetguard.cli.users:users_app",
}


class Command(TyperGroup):
    """The root command: maps budgetguard's errors to a message and an exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(COMMANDS)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, Unacceptable) as error:
            _fail(str(error), code=2)
        except BudgetguardError as error:
            _fail(str(error), code=1)
        except KeyboardInterrupt:
            _fail("interrupted", code=130)
        except Exception as error:
            message = _database_failure(error)
            if message is None:
                raise
            _fail(message, code=1)


def _database_failure(error: Exception) -> str | None:
    """The message for a database's error (None for any other), SQLAlchemy's or a driver's that
    SQLAlchemy did not wrap."""
    if "sqlalchemy" not in sys.modules:
        return None  # no database was used (`--help`, a usage error): nothing to import for it
    from sqlalchemy import exc  # noqa: PLC0415

    from budgetguard.db.plumbing.engine import database_failed, first_line  # noqa: PLC0415

    if isinstance(error, exc.DBAPIError) or database_failed(error):
        return f"database error: {first_line(error)}"
    return None


def _fail(message: str, *, code: int) -> NoReturn:
    sys.stderr.write(f"budgetguard: error: {readable(message)}\n")
    raise typer.Exit(code)


app = typer.Typer(
    name="budgetguard",
    cls=Command,
    help="Watch every shop's monthly advertising budget: notify at the thresholds, pause at the "
    "pause threshold, resume when the budget is replenished.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(show: bool) -> None:
    if show:
        typer.echo(f"budgetguard {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help=f"SQLAlchemy database URL. Overrides BUDGETGUARD_DATABASE_URL; default "
            f"{DEFAULT_DATABASE_URL}.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Options shared by every command."""
    # Imported here, as a command runs: the settings and their libraries are not needed by
    # `--version` or `--help`, which end before this callback.
    from budgetguard.cli.options import Invocation  # noqa: PLC0415

    ctx.obj = Invocation(database_url)


def main() -> None:
    """Run the command line, logging to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ReadableFormatter("budgetguard: %(levelname)s: %(message)s"))
    logging.basicConfig(handlers=[handler])
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines narrate internals
    if isinstance(sys.stdout, io.TextIOWrapper):
        # A terminal that cannot show "—" or a shop's name gets escapes, not a failed delivery.
        sys.stdout.reconfigure(errors="backslashreplace")
    app()
