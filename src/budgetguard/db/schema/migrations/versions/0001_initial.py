"""Create the platform tables where missing, and budgetguard's own tables and indexes.

Every statement is conditional (IF NOT EXISTS, or an inspection on MySQL 8, which has no
CREATE INDEX IF NOT EXISTS), so the migration adopts a database that already holds the
platform's tables with data, and can be run again after a DDL failure on MySQL/MariaDB,
where DDL is not transactional. It never touches an existing platform column or key.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.migrations.ddl import MYSQL, Id, Money, create_index

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _platform_tables()
    create_index("ix_t_budgets_month_shop", "t_budgets", ["a_month", "a_shop_id"])
    _evaluations()
    _alerts_and_pauses()
    _notifications()


def downgrade() -> None:
    for table in ("bg_notifications", "bg_pauses", "bg_alerts", "bg_evaluations"):
        op.drop_table(table)
    op.drop_index("ix_t_budgets_month_shop", table_name="t_budgets")
    # The platform tables stay: they may hold the platform's data.


def _platform_tables() -> None:
    op.create_table(
        "t_shops",
        sa.Column("a_id", sa.Integer, autoincrement=True),
        sa.Column("a_name", sa.String(255), nullable=False),
        sa.Column("a_online", sa.Boolean(create_constraint=False), nullable=False),
        sa.PrimaryKeyConstraint("a_id", name="pk_t_shops"),
        if_not_exists=True,
        **MYSQL,
    )
    op.create_table(
        "t_budgets",
        sa.Column("a_shop_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("a_month", sa.Date, nullable=False),
        sa.Column("a_budget_amount", Money, nullable=False),
        sa.Column("a_amount_spent", Money, nullable=False),
        sa.PrimaryKeyConstraint("a_shop_id", "a_month", name="pk_t_budgets"),
        sa.ForeignKeyConstraint(
            ["a_shop_id"], ["t_shops.a_id"], name="fk_t_budgets_a_shop_id_t_shops"
        ),
        if_not_exists=True,
        **MYSQL,
    )


def _evaluations() -> None:
    op.create_table(
        "bg_evaluations",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("evaluated_at", UtcDateTime, nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("budgets", sa.Integer, nullable=False, server_default="0"),
        sa.Column("notifications", sa.Integer, nullable=False, server_default="0"),
        sa.Column("paused", sa.Integer, nullable=False, server_default="0"),
        sa.Column("resumed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_bg_evaluations"),
        if_not_exists=True,
        **MYSQL,
    )


def _alerts_and_pauses() -> None:
    op.create_table(
        "bg_alerts",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("shop_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("threshold", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("fired_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("month", "shop_id", "threshold", name="pk_bg_alerts"),
        if_not_exists=True,
        **MYSQL,
    )
    op.create_table(
        "bg_pauses",
        sa.Column("shop_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("paused_at", UtcDateTime, nullable=False),
        sa.Column("evaluation_id", Id, nullable=False),
        sa.PrimaryKeyConstraint("shop_id", name="pk_bg_pauses"),
        if_not_exists=True,
        **MYSQL,
    )


def _notifications() -> None:
    op.create_table(
        "bg_notifications",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("evaluation_id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("shop_id", sa.Integer, nullable=False),
        sa.Column("shop_name", sa.String(255), nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("budget", Money, nullable=False),
        sa.Column("spent", Money, nullable=False),
        sa.Column("thresholds", sa.String(255), nullable=False),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("evaluated_on", sa.Date, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("delivered_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bg_notifications"),
        if_not_exists=True,
        **MYSQL,
    )
    # Due work only: delivered and dead notifications have no next attempt (NULL).
    create_index(
        "ix_bg_notifications_next_attempt_at_id",
        "bg_notifications",
        ["next_attempt_at", "id"],
    )
