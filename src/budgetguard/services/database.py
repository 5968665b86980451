"""Use cases of the database itself: check it, create or upgrade its schema, load samples."""

from __future__ import annotations

from budgetguard.db.plumbing.engine import check_connection, make_engine
from budgetguard.db.schema import revisions
from budgetguard.db.schema.revisions import Dialect
from budgetguard.db.schema.sample import SeedReport, seed_sample
from budgetguard.services.uow import Context, write


def open_database(*, context: Context) -> None:
    """Fail with one clear error unless the database answers and its schema is current."""
    revisions.ensure_current(context.engine)


def upgrade_database(*, context: Context) -> tuple[str | None, str]:
    """Create or upgrade the schema; return the revisions before and after.

    The migrations run on an engine of their own without BUDGETGUARD_DATABASE_TIMEOUT's bound
    on answers: building an index on a large `t_budgets` may rightly take minutes.
    """
    check_connection(context.engine)
    unbounded = make_engine(context.engine.url.render_as_string(hide_password=False), timeout=None)
    try:
        return revisions.upgrade(unbounded)
    finally:
        unbounded.dispose()


def migration_sql(*, dialect: Dialect) -> str:
    """Return the whole migration as SQL for `dialect`, for a DBA to apply by hand."""
    return revisions.offline_sql(dialect)


def seed_sample_data(*, context: Context) -> SeedReport:
    """Load the sample shops and budgets where they are missing."""
    open_database(context=context)
    return write(context, seed_sample, what="sample data")
