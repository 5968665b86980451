"""Retention: the indexes `db prune` deletes by, the one that finds abandoned evaluations, and
bg_prunes, the record of every prune (and of the oldest month whose alerts it kept).

Conditional like the others, so it can run again after a failure halfway through on
MySQL/MariaDB, whose DDL is not transactional.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.migrations.ddl import MYSQL, Id, create_index

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_bg_evaluations_outcome_id", "bg_evaluations", ["outcome", "id"]),
    ("ix_bg_evaluations_started_at", "bg_evaluations", ["started_at"]),
    ("ix_bg_notifications_created_at", "bg_notifications", ["created_at"]),
    ("ix_bg_spend_events_received_at", "bg_spend_events", ["received_at"]),
    ("ix_bg_deliveries_delivered_at", "bg_deliveries", ["delivered_at"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        create_index(name, table, columns)
    op.create_table(
        "bg_prunes",
        sa.Column("id", Id, nullable=False, autoincrement=True),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime, nullable=True),
        sa.Column("alerts_before", sa.Date, nullable=True),
        _count("spend_events"),
        _count("alerts"),
        _count("evaluations"),
        _count("notifications"),
        _count("deliveries"),
        sa.PrimaryKeyConstraint("id", name="pk_bg_prunes"),
        if_not_exists=True,
        **MYSQL,
    )


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default="0")


def downgrade() -> None:
    op.drop_table("bg_prunes")
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
