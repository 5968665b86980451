"""The `budgetguard` command (SPEC §5): each command group parses, calls a use case, prints.

Every known failure becomes one line on stderr and an exit code, in one place (`Command`):
2 for a usage error (a bad option or setting, a value refused), 1 for a runtime failure, 130
when interrupted.
"""

from __future__ import annotations

import io
import logging
import sys
from typing import Annotated, Any, NoReturn

import typer
from sqlalchemy import exc
from typer.core import TyperGroup

from budgetguard import __version__
from budgetguard.cli import contacts, db, deliveries, evaluation, serve
from budgetguard.cli.options import Invocation
from budgetguard.config import DEFAULT_DATABASE_URL
from budgetguard.db.plumbing.engine import database_failed, first_line
from budgetguard.domain.errors import BudgetguardError, ConfigError, Unacceptable
from budgetguard.domain.text import readable
from budgetguard.server.logs import ReadableFormatter


class Command(TyperGroup):
    """The root command: maps budgetguard's errors to a message and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, Unacceptable) as error:
            _fail(str(error), code=2)
        except BudgetguardError as error:
            _fail(str(error), code=1)
        except exc.DBAPIError as error:
            _fail(f"database error: {first_line(error)}", code=1)
        except KeyboardInterrupt:
            _fail("interrupted", code=130)
        except Exception as error:
            if not database_failed(error):  # a driver's error SQLAlchemy did not wrap
                raise
            _fail(f"database error: {first_line(error)}", code=1)


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
    ctx.obj = Invocation(database_url)


evaluation.register(app)
serve.register(app)
db.register(app)
contacts.register(app)
deliveries.register(app)


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
