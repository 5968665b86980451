"""Index bg_deliveries by contact: removing a contact ends its open records in one statement.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from budgetguard.db.schema.migrations.ddl import create_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_index("ix_bg_deliveries_contact_id", "bg_deliveries", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_bg_deliveries_contact_id", table_name="bg_deliveries")
