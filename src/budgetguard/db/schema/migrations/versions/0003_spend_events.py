"""Add bg_spend_events: the spend events received by the HTTP API, keyed by their event id.

Conditional like 0001 (IF NOT EXISTS), so it can run again after a failure halfway through on
MySQL/MariaDB, whose DDL is not transactional.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.migrations.ddl import MYSQL

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Printable ASCII, compared byte for byte (MySQL's default collations ignore case).
EventId = sa.String(128).with_variant(
    mysql.VARCHAR(128, charset="ascii", collation="ascii_bin"), "mysql", "mariadb"
)


def upgrade() -> None:
    op.create_table(
        "bg_spend_events",
        sa.Column("event_id", EventId, nullable=False),
        sa.Column("shop_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_bg_spend_events"),
        if_not_exists=True,
        **MYSQL,
    )


def downgrade() -> None:
    op.drop_table("bg_spend_events")
