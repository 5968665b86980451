"""An index of the shops' names on the platform's t_shops, for the console's search by the
start of a name (case-insensitive), in the shape each database searches a prefix with (see
tables.py). budgetguard's own index beside the platform's columns, as 0001's on t_budgets: no
column is touched.

Conditional like the others, so it can run again after a failure halfway through on
MySQL/MariaDB, whose DDL is not transactional.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from budgetguard.db.schema.migrations.ddl import create_index

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        create_index(
            "ix_t_shops_lower_name", "t_shops", [sa.text("lower(a_name) text_pattern_ops")]
        )
    elif dialect == "sqlite":
        create_index("ix_t_shops_name_nocase", "t_shops", [sa.text('a_name COLLATE "NOCASE"')])
    else:
        length = {"a_name": 100}
        create_index("ix_t_shops_name", "t_shops", ["a_name"], mysql_length=length,
                     mariadb_length=length)  # fmt: skip


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    names = {"postgresql": "ix_t_shops_lower_name", "sqlite": "ix_t_shops_name_nocase"}
    op.drop_index(names.get(dialect, "ix_t_shops_name"), table_name="t_shops")
