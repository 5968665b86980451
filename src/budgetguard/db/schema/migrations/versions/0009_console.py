"""The web console: its users, the secret signing sessions and shop links, sign-in failures,
sessions signed out; each budget's spend by day and its latest usage (the console's charts,
sorts and counts); an index of each shop's notifications.

Conditional like the others, so it can run again after a failure halfway through on
MySQL/MariaDB, whose DDL is not transactional.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.migrations.ddl import MYSQL, Id, Money, create_index

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TABLES = (
    "bg_users",
    "bg_signing_keys",
    "bg_sign_in_failures",
    "bg_ended_sessions",
    "bg_spend_days",
    "bg_usage",
)


def upgrade() -> None:
    op.create_table(
        "bg_users",
        sa.Column("id", Id, nullable=False, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("password_changed_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bg_users"),
        sa.UniqueConstraint("name", name="uq_bg_users_name"),
        if_not_exists=True,
        **MYSQL,
    )
    op.create_table(
        "bg_signing_keys",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_bg_signing_keys"),
        if_not_exists=True,
        **MYSQL,
    )
    op.create_table(
        "bg_sign_in_failures",
        sa.Column("subject", sa.String(160), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failed_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_bg_sign_in_failures"),
        if_not_exists=True,
        **MYSQL,
    )
    op.create_table(
        "bg_ended_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_bg_ended_sessions"),
        if_not_exists=True,
        **MYSQL,
    )
    create_index("ix_bg_ended_sessions_expires_at", "bg_ended_sessions", ["expires_at"])
    op.create_table(
        "bg_spend_days",
        sa.Column("shop_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("spent", Money, nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "month", "day", name="pk_bg_spend_days"),
        if_not_exists=True,
        **MYSQL,
    )
    create_index("ix_bg_spend_days_day", "bg_spend_days", ["day"])
    op.create_table(
        "bg_usage",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("shop_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("budget", Money, nullable=True),
        sa.Column("spent", Money, nullable=True),
        sa.Column("usage_bp", sa.Integer, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("prior_day", sa.Date, nullable=True),
        sa.Column("prior_spent", Money, nullable=True),
        sa.PrimaryKeyConstraint("month", "shop_id", name="pk_bg_usage"),
        if_not_exists=True,
        **MYSQL,
    )
    create_index("ix_bg_usage_month_usage_bp", "bg_usage", ["month", "usage_bp", "shop_id"])
    create_index("ix_bg_usage_month_spent", "bg_usage", ["month", "spent", "shop_id"])
    # A shop's notifications, newest first (the shop pages' timeline): without it, the whole
    # outbox is read and sorted per page.
    create_index("ix_bg_notifications_shop_id_id", "bg_notifications", ["shop_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_bg_notifications_shop_id_id", table_name="bg_notifications")
    for table in reversed(_TABLES):
        op.drop_table(table)
