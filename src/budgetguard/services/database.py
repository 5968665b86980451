"""Use cases of the database itself: check it, create or upgrade its schema, load samples."""

from __future__ import annotations

from typing import TYPE_CHECKING

from budgetguard.db.plumbing.engine import check_connection, make_engine
from budgetguard.db.schema.current import ensure_current
from budgetguard.db.schema.sample import SeedReport, seed_sample
from budgetguard.services.uow import Context, write

if TYPE_CHECKING:
    from budgetguard.db.schema.revisions import Dialect

# Alembic (db/schema/revisions.py) is imported by the two use cases that run migrations: every
# other use case checks the schema here, and a command should not load Alembic for that.


def open_database(*, context: Context) -> None:
    """Fail with one clear error unless the database answers and its schema is current."""
    ensure_current(context.engine)


def upgrade_database(*, context: Context) -> tuple[str | None, str]:
    """Create or upgrade the schema; return the revisions before and after.

    The migrations run on an engine of their own without BUDGETGUARD_DATABASE_TIMEOUT's bound
    on answers: building an index on a large `t_budgets` may rightly take minutes.
    """
    from budgetguard.db.schema import revisions  # noqa: PLC0415 - Alembic: see above

    check_connection(context.engine)
    unbounded = make_engine(context.engine.url.render_as_string(hide_password=False), timeout=None)
    try:
        return revisions.upgrade(unbounded)
    finally:
        unbounded.dispose()


def migration_sql(*, dialect: Dialect) -> str:
    """Return the whole migration as SQL for `dialect`, for a DBA to apply by hand."""
    from budgetguard.db.schema import revisions  # noqa: PLC0415 - Alembic: see above

    return revisions.offline_sql(dialect)


def seed_sample_data(*, context: Context) -> SeedReport:
    """Load the sample shops and budgets where they are missing."""
    open_database(context=context)
    return write(context, seed_sample, what="sample data")
