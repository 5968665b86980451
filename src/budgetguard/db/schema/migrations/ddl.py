"""DDL helpers the migrations share: every statement conditional, so that a migration can run
again after a failure halfway through on MySQL/MariaDB, whose DDL is not transactional."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# The column types as the migrations created them (frozen here: tables.py may move on).
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only
Money = sa.Numeric(10, 2)

# Table options for MySQL/MariaDB: InnoDB (row locks, transactions) and full Unicode.
MYSQL = {
    f"{dialect}_{option}": value
    for dialect in ("mysql", "mariadb")
    for option, value in (("engine", "InnoDB"), ("charset", "utf8mb4"))
}


def create_index(
    name: str, table: str, columns: Sequence[str | sa.TextClause], **options: Any
) -> None:
    """CREATE INDEX unless an index of that name exists on the table (`options`: the
    dialects' own, such as `mysql_length`)."""
    context = op.get_context()
    dialect = context.dialect
    if dialect.name != "mysql" or getattr(dialect, "is_mariadb", False):
        op.create_index(name, table, columns, if_not_exists=True, **options)
        return
    # MySQL 8 has no CREATE INDEX IF NOT EXISTS: look first when connected.
    if context.as_sql or name not in {
        ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)
    }:
        op.create_index(name, table, columns, **options)


def add_column(table: str, column: sa.Column[object]) -> None:
    """ADD COLUMN unless the table has a column of that name.

    MariaDB and PostgreSQL say `IF NOT EXISTS` themselves; MySQL 8 and SQLite cannot, so look
    first when connected (SQLite's DDL is transactional: a failed run left nothing behind).
    """
    context = op.get_context()
    dialect = context.dialect
    if dialect.name == "postgresql" or getattr(dialect, "is_mariadb", False):
        op.add_column(table, column, if_not_exists=True)
        return
    if context.as_sql or column.name not in {
        existing["name"] for existing in sa.inspect(op.get_bind()).get_columns(table)
    }:
        op.add_column(table, column)
