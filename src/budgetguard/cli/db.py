"""`budgetguard db upgrade|sql|seed-sample|prune|rotate-secrets|new-secret-key`."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from budgetguard.cli.lazy import command_group
from budgetguard.cli.output import print_prune_report
from budgetguard.cli.progress import prune_progress
from budgetguard.domain.errors import BudgetguardError
from budgetguard.services.database import migration_sql, seed_sample_data, upgrade_database
from budgetguard.services.maintenance import prune_old_rows
from budgetguard.services.secrets import Resealed, SealingReport, new_secret_key, rotate_secrets

db_app = command_group(
    "db", help="Create, upgrade, print and seed the database schema.", no_args_is_help=True
)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the schema; adopt a database that already holds the platform tables."""
    with ctx.obj.context() as context:
        before, after = upgrade_database(context=context)
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
    typer.echo(migration_sql(dialect=dialect.value), nl=False)


@db_app.command("seed-sample")
def db_seed_sample(ctx: typer.Context) -> None:
    """Load the sample shops and budgets (8 shops, June and July 2020) where missing."""
    with ctx.obj.context() as context:
        seeded = seed_sample_data(context=context)
    typer.echo(
        f"Sample data: {seeded.shops_added} shops and {seeded.budgets_added} budgets added, "
        f"{seeded.rows_already_present} rows already present."
    )


@db_app.command("prune")
def db_prune(
    ctx: typer.Context,
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            metavar="DAYS",
            min=1,
            max=36_500,
            help="Keep DAYS days of every kind instead of the BUDGETGUARD_RETAIN_* settings (a "
            "kind kept forever stays so).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be removed; remove nothing.")
    ] = False,
) -> None:
    """Remove what is past its retention, in short batches; never what is still needed."""
    with ctx.obj.context() as context, prune_progress() as on_batch:
        report = prune_old_rows(
            context=context, older_than_days=older_than, dry_run=dry_run, on_batch=on_batch
        )
    print_prune_report(report)


@db_app.command("rotate-secrets")
def db_rotate_secrets(ctx: typer.Context) -> None:
    """Encrypt every contact's URL and secret with the first key of BUDGETGUARD_SECRET_KEY."""
    with ctx.obj.context() as context:
        report = rotate_secrets(context=context, progress=_progress)
    done = report.done
    typer.echo(
        f"Secrets: {done[Resealed.SEALED] + done[Resealed.ROTATED]} contacts encrypted with the "
        f"first key ({done[Resealed.SEALED]} of them were in clear), {done[Resealed.CURRENT]} "
        f"already were, {done[Resealed.CHANGED]} written meanwhile, "
        f"{done[Resealed.UNREADABLE]} unreadable."
    )
    if report.unreadable:
        ids = ", ".join(str(i) for i in report.unreadable[:20])
        more = "…" if len(report.unreadable) > 20 else ""
        raise BudgetguardError(
            f"no key of BUDGETGUARD_SECRET_KEY decrypts {len(report.unreadable)} contacts "
            f"(ids {ids}{more}): put back the key they were encrypted with and run this again"
        )


def _progress(report: SealingReport) -> None:
    sys.stderr.write(f"budgetguard: {report.seen} contacts looked at…\n")


@db_app.command("new-secret-key")
def db_new_secret_key() -> None:
    """Print a fresh key for BUDGETGUARD_SECRET_KEY (Fernet: URL-safe base64 of 32 bytes)."""
    typer.echo(new_secret_key())
