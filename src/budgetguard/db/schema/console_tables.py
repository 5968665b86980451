"""The web console's tables (issue 8): its users, their sign-in failures and ended sessions, the
secrets it signs with, and each budget's spend by day and latest usage."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table, UniqueConstraint

from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.metadata import Id, Money, metadata

# The console's people: a name, a role (viewer, operator) and an Argon2id hash of the password.
users = Table(
    "bg_users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
    UniqueConstraint("name", name="uq_bg_users_name"),
)

# Secrets generated once and shared by every replica (`console`: session cookies and shop links).
signing_keys = Table(
    "bg_signing_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("secret", String(128), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Failed sign-ins per subject (`name:<user name>`, `client:<address>`), to slow the next ones.
sign_in_failures = Table(
    "bg_sign_in_failures",
    metadata,
    Column("subject", String(160), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", UtcDateTime, nullable=False),
)

# Sessions signed out before their cookie expires: the SHA-256 (hex) of the session's form token,
# refused until `expires_at` (no cookie of it is valid by then); pruned on write.
ended_sessions = Table(
    "bg_ended_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_bg_ended_sessions_expires_at", "expires_at"),
)

# Each budget's spend by day: the day's last known spend (the day on the shop's clock), for the
# days before its bg_usage row's day (written when a change comes on a later day).
spend_days = Table(
    "bg_spend_days",
    metadata,
    Column("shop_id", Integer, primary_key=True, autoincrement=False),
    Column("month", Date, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("spent", Money, nullable=False),
    Index("ix_bg_spend_days_day", "day"),
)

# Each budget's latest budget, spend and usage (basis points of the budget, NULL without a usable
# budget), as the last evaluation or spend event saw them: the console sorts and counts by it.
# `day` (on the shop's clock) is the day of that change, so `spent` is also that day's last known
# spend; `prior_day` and `prior_spent` are the day and spend it replaced when a change came on
# another day (NULL otherwise), which the same evaluation copies to bg_spend_days.
usage = Table(
    "bg_usage",
    metadata,
    Column("month", Date, primary_key=True),
    Column("shop_id", Integer, primary_key=True, autoincrement=False),
    Column("budget", Money, nullable=True),
    Column("spent", Money, nullable=True),
    Column("usage_bp", Integer, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("day", Date, nullable=False),
    Column("prior_day", Date, nullable=True),
    Column("prior_spent", Money, nullable=True),
    Index("ix_bg_usage_month_usage_bp", "month", "usage_bp", "shop_id"),
    Index("ix_bg_usage_month_spent", "month", "spent", "shop_id"),
)
