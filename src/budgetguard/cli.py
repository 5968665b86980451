"""The `budgetguard` command (SPEC §5): parses, calls a use case, prints."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, NoReturn

import typer
from rich.progress import Progress as RichProgress
from sqlalchemy import exc

from budgetguard import __version__, services
from budgetguard.bootstrap import App, build_app
from budgetguard.cli_notify import register as register_notify_commands
from budgetguard.cli_output import print_check_summary, print_status, status_json
from budgetguard.config import DEFAULT_DATABASE_URL, Settings, load_settings
from budgetguard.db import schema
from budgetguard.db.engine import first_line
from budgetguard.db.evaluator import Progress
from budgetguard.domain.errors import BudgetguardError, ConfigError
from budgetguard.domain.period import parse_instant
from budgetguard.notify.console import ConsoleChannel

app = typer.Typer(
    name="budgetguard",
    help="Watch every shop's monthly advertising budget: notify at the thresholds, pause at the "
    "pause threshold, resume when the budget is replenished.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(
    help="Create, upgrade, print and seed the database schema.", no_args_is_help=True
)
app.add_typer(db_app, name="db")


@dataclass
class Context:
    database_url: str | None

    def settings(self, **overrides: object) -> Settings:
        return load_settings(database_url=self.database_url, **overrides)

    @contextmanager
    def app(self) -> Iterator[App]:
        settings = self.settings()
        logging.getLogger().setLevel(settings.log_level)
        built = build_app(settings)
        try:
            yield built
        finally:
            built.close()


AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Evaluation instant, ISO-8601 (e.g. 2020-07-31 or 2020-07-31T18:00:00+02:00); a date "
        "or a time without zone is read in BUDGETGUARD_TIMEZONE. Default: now.",
        show_default=False,
    ),
]


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
    ctx.obj = Context(database_url)


@app.command()
def check(
    ctx: typer.Context,
    at: AtOption = None,
    json_lines: Annotated[
        bool, typer.Option("--json", help="Print each notification as one JSON object per line.")
    ] = False,
) -> None:
    """Evaluate every shop for the month of --at, then deliver the queued notifications."""
    with ctx.obj.app() as built:
        instant = _instant(at, built)
        channel = ConsoleChannel(sys.stdout, json_lines=json_lines)
        with _progress(f"Evaluating {instant:%Y-%m}") as on_progress:
            report = services.run_check(
                app=built, at=instant, channel=channel, on_progress=on_progress
            )
        print_check_summary(report)


@app.command()
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
    with ctx.obj.app() as built:
        rows = services.shop_status(app=built, at=_instant(at, built), shop_ids=shop or ())
        if json_lines:
            for row in rows:
                sys.stdout.write(json.dumps(status_json(row), ensure_ascii=False) + "\n")
        else:
            print_status(rows)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Address to listen on. Default: BUDGETGUARD_HOST or 127.0.0.1."
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Port to listen on. Default: BUDGETGUARD_PORT or 8000."),
    ] = None,
) -> None:
    """Serve the HTTP API; evaluate every BUDGETGUARD_CHECK_INTERVAL s; deliver continuously."""
    # Imported here: the web stack is not needed by the other commands.
    from budgetguard.serve import run_server  # noqa: PLC0415

    settings = ctx.obj.settings(host=host, port=port)
    run_server(settings, host=settings.host, port=settings.port)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the schema; adopt a database that already holds the platform tables."""
    with ctx.obj.app() as built:
        before, after = services.upgrade_database(app=built)
    if before == after:
        typer.echo(f"Schema already at {after}; nothing to do.")
    else:
        typer.echo(f"Schema upgraded from {before or 'nothing'} to {after}.")


class SqlDialect(StrEnum):
    mysql = "mysql"
    mariadb = "mariadb"
    postgresql = "postgresql"
    sqlite = "sqlite"


@db_app.command("sql")
def db_sql(
    dialect: Annotated[
        SqlDialect, typer.Option("--dialect", help="Database to write the SQL for.")
    ],
) -> None:
    """Print the whole migration as SQL, for a DBA to review and apply by hand."""
    typer.echo(schema.offline_sql(dialect.value), nl=False)


@db_app.command("seed-sample")
def db_seed_sample(ctx: typer.Context) -> None:
    """Load the sample shops and budgets (8 shops, June and July 2020) where missing."""
    with ctx.obj.app() as built:
        seeded = services.seed_sample_data(app=built)
    typer.echo(
        f"Sample data: {seeded.shops_added} shops and {seeded.budgets_added} budgets added, "
        f"{seeded.rows_already_present} rows already present."
    )


def _instant(at: str | None, built: App) -> datetime:
    if at is None:
        return built.clock()
    try:
        return parse_instant(at, built.settings.zone)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--at'") from None


@contextmanager
def _progress(description: str) -> Iterator[Progress | None]:
    if not sys.stderr.isatty():
        yield None
        return
    with RichProgress(transient=True, console=None) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


register_notify_commands(app)


def main() -> None:
    """Run the command line; map every known failure to one line on stderr and an exit code."""
    logging.basicConfig(stream=sys.stderr, format="budgetguard: %(levelname)s: %(message)s")
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines narrate internals
    if isinstance(sys.stdout, io.TextIOWrapper):
        # A terminal that cannot show "—" or a shop's name gets escapes, not a failed delivery.
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        app()
    except ConfigError as error:
        _fail(str(error), code=2)
    except BudgetguardError as error:
        _fail(str(error), code=1)
    except exc.DBAPIError as error:
        _fail(f"database error: {first_line(error)}", code=1)
    except KeyboardInterrupt:
        _fail("interrupted", code=130)


def _fail(message: str, *, code: int) -> NoReturn:
    sys.stderr.write(f"budgetguard: error: {message}\n")
    raise SystemExit(code)
