"""Alembic environment: online with the connection budgetguard hands over, offline for `db sql`."""

from __future__ import annotations

from alembic import context

from budgetguard.db.schema import tables  # noqa: F401 - every table joins the metadata
from budgetguard.db.schema.metadata import metadata

config = context.config


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
