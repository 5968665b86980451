"""Each shop on its own terms: bg_policies, the bits of the thresholds, the forecasts sent, the
audit trail; the threshold a claim paused at; a notification's policy and instant.

Conditional like the others, so it can run again after a failure halfway through on
MySQL/MariaDB, whose DDL is not transactional.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.migrations.ddl import MYSQL, Id, Money, add_column, create_index

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_NOTIFICATION_COLUMNS: list[tuple[str, sa.types.TypeEngine[Any]]] = [
    ("timezone", sa.String(64)),
    ("language", sa.String(8)),
    ("currency", sa.String(3)),
    ("evaluated_at", UtcDateTime()),
]


def upgrade() -> None:
    add_column("bg_pauses", sa.Column("threshold", sa.Integer, nullable=True))
    for name, type_ in _NOTIFICATION_COLUMNS:
        add_column("bg_notifications", sa.Column(name, type_, nullable=True))
    op.create_table(
        "bg_policies",
        sa.Column("shop_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("thresholds", sa.String(255), nullable=True),
        sa.Column("pause_at", sa.Integer, nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("forecast", sa.Boolean(create_constraint=False), nullable=True),
        sa.Column("recurring_budget", Money, nullable=True),
        sa.Column("threshold_mask", sa.BigInteger, nullable=True),
        sa.Column("pause_mask", sa.BigInteger, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("shop_id", name="pk_bg_policies"),
        if_not_exists=True,
        **MYSQL,
    )
    create_index("ix_bg_policies_timezone", "bg_policies", ["timezone"])
    op.create_table(
        "bg_threshold_bits",
        sa.Column("threshold", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("bit", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("threshold", name="pk_bg_threshold_bits"),
        sa.UniqueConstraint("bit", name="uq_bg_threshold_bits_bit"),
        if_not_exists=True,
        **MYSQL,
    )
    op.create_table(
        "bg_forecasts",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("shop_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("fired_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("month", "shop_id", name="pk_bg_forecasts"),
        if_not_exists=True,
        **MYSQL,
    )
    op.create_table(
        "bg_audit",
        sa.Column("id", Id, nullable=False, autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("shop_id", sa.Integer, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bg_audit"),
        if_not_exists=True,
        **MYSQL,
    )
    create_index("ix_bg_audit_shop_id_id", "bg_audit", ["shop_id", "id"])
    create_index("ix_bg_audit_at", "bg_audit", ["at"])


def downgrade() -> None:
    for table in ("bg_audit", "bg_forecasts", "bg_threshold_bits", "bg_policies"):
        op.drop_table(table)
    for name, _type in reversed(_NOTIFICATION_COLUMNS):
        op.drop_column("bg_notifications", name)
    op.drop_column("bg_pauses", "threshold")
