"""bg_contacts.sealed: a webhook's or Slack contact's URL and secret, encrypted at rest.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from budgetguard.db.schema.migrations.ddl import add_column

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column("bg_contacts", sa.Column("sealed", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("bg_contacts", "sealed")
