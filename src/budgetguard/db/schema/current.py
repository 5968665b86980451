"""Whether the database is at the newest schema: what every command checks before its work.

Read without Alembic, which `db upgrade` and `db sql` need and the other commands would only pay
for at start-up: the revision the database is at is the one row of Alembic's version table, and
the newest revision is the newest migration's, named after it (`versions/0007_topic.py` holds
revision "0007"; tests/integration/test_schema.py holds both to Alembic's own reading).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import column, exc, inspect, select, table
from sqlalchemy.engine import Engine

from budgetguard.db.plumbing.engine import describe, unavailable
from budgetguard.domain.errors import SchemaNotReady

VERSIONS = Path(__file__).parent / "migrations" / "versions"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
_VERSION = table(VERSION_TABLE, column("version_num"))


@cache
def head_revision() -> str:
    """Return the newest migration's revision id (its file name's number)."""
    numbers = [path.name.partition("_")[0] for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py")]
    if not numbers:
        raise RuntimeError("budgetguard ships no migrations")
    return max(numbers)


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None before the first upgrade."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        revision: str | None = connection.execute(select(_VERSION.c.version_num)).scalar()
        return revision


def ensure_current(engine: Engine) -> None:
    """Raise DatabaseUnavailable unless the database answers, SchemaNotReady unless it is at
    the newest schema."""
    try:
        current = current_revision(engine)
    except exc.DBAPIError as error:
        raise unavailable(engine, error) from None
    if current == head_revision():
        return
    where = describe(engine)
    if current is None:
        has_platform = inspect(engine).has_table("t_budgets")
        found = (
            "the platform tables but no budgetguard schema"
            if has_platform
            else "no budgetguard schema"
        )
        raise SchemaNotReady(f"the database {where} has {found}: run `budgetguard db upgrade`")
    raise SchemaNotReady(
        f"the database {where} is at schema {current}, this budgetguard needs {head_revision()}: "
        "run `budgetguard db upgrade`"
    )
