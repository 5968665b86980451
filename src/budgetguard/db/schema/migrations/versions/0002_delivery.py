"""Delivery to people: shop contacts and one delivery record per (notification, recipient).

Every statement is conditional, as in 0001, so the migration can run again after a DDL failure on
MySQL/MariaDB. bg_notifications keeps its columns: from this revision on its status goes from
`pending` to `dispatched` and its next_attempt_at says when it is due for dispatch.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.migrations.ddl import MYSQL, Id, create_index

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _contacts()
    _deliveries()


def downgrade() -> None:
    op.drop_table("bg_deliveries")
    op.drop_table("bg_contacts")


def _contacts() -> None:
    op.create_table(
        "bg_contacts",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("shop_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("secret", sa.String(255), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("disabled_at", UtcDateTime, nullable=True),
        sa.Column("disabled_reason", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bg_contacts"),
        sa.UniqueConstraint("shop_id", "kind", "target", name="uq_bg_contacts_shop_id_kind_target"),
        if_not_exists=True,
        **MYSQL,
    )


def _deliveries() -> None:
    op.create_table(
        "bg_deliveries",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("notification_id", Id, nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("contact_id", Id, nullable=True),
        sa.Column("shop_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("delivered_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bg_deliveries"),
        sa.UniqueConstraint(
            "notification_id", "recipient", name="uq_bg_deliveries_notification_id_recipient"
        ),
        if_not_exists=True,
        **MYSQL,
    )
    # Due work only: delivered and dead records have no next attempt (NULL).
    create_index("ix_bg_deliveries_next_attempt_at_id", "bg_deliveries", ["next_attempt_at", "id"])
    # `deliveries list --status dead`, newest first.
    create_index("ix_bg_deliveries_status_id", "bg_deliveries", ["status", "id"])
