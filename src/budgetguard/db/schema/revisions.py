"""Create, upgrade and print budgetguard's schema through its Alembic migrations (the check that
it is current is in current.py, without Alembic)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from budgetguard.db.schema.current import current_revision, head_revision

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
