"""bg_contacts.target compared byte for byte on MySQL/MariaDB.

Their default collation ignores case (and, with PAD SPACE, trailing spaces): two webhooks
`https://h/Hook` and `https://h/hook` of one shop broke the unique key (shop, kind, target) and
a look-up by URL found the other one; a sealed contact's stand-in ends in a case-sensitive
digest. `utf8mb4_bin` compares code points, as PostgreSQL and SQLite already do (a target never
holds a space: they are refused). Idempotent: MODIFY to the same definition changes nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TARGET = "VARCHAR(512) CHARACTER SET utf8mb4 COLLATE {collation} NOT NULL"


def upgrade() -> None:
    _collate("utf8mb4_bin")


def downgrade() -> None:
    _collate("utf8mb4_general_ci")


def _collate(collation: str) -> None:
    if op.get_context().dialect.name == "mysql":  # MariaDB too
        op.execute(f"ALTER TABLE bg_contacts MODIFY target {_TARGET.format(collation=collation)}")
