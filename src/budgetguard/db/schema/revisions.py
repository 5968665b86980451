"""Create, upgrade, print and check budgetguard's schema through its Alembic migrations."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import exc, inspect
from sqlalchemy.engine import Engine

from budgetguard.db.plumbing.engine import describe, unavailable
from budgetguard.domain.errors import SchemaNotReady

Dialect = Literal["mysql", "mariadb", "postgresql", "sqlite"]
_MIGRATIONS = Path(__file__).parent / "migrations"
_OFFLINE_URLS: dict[Dialect, str] = {
    "mysql": "mysql+pymysql://",
    "mariadb": "mariadb+pymysql://",
    "postgresql": "postgresql+psycopg://",
    "sqlite": "sqlite://",
}


def _config(output: io.StringIO | None = None) -> Config:
    config = Config(output_buffer=output)
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


@cache
def head_revision() -> str:
    """Return the newest migration's revision id (read from the scripts once per process)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("budgetguard ships no migrations")
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None before the first upgrade."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Bring the database to the newest schema (or to `target`); return the revisions before
    and after."""
    before = current_revision(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)
    return before, head_revision() if target == "head" else target


def offline_sql(dialect: Dialect) -> str:
    """Return the whole migration as SQL for `dialect`, for a DBA to apply by hand."""
    output = io.StringIO()
    config = _config(output)
    config.set_main_option("sqlalchemy.url", _OFFLINE_URLS[dialect])
    command.upgrade(config, "head", sql=True)
    return output.getvalue()


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
