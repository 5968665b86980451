"""The platform's two tables (SPEC §2) and budgetguard's own tables beside them (the console's
are in console_tables.py, registered on the same metadata).

budgetguard never alters a platform column. Its own tables hold no foreign keys to the platform's,
so the platform can delete a shop exactly as before.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects import mysql

from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema import console_tables  # noqa: F401 - its tables join the metadata
from budgetguard.db.schema.metadata import Id, Money, metadata

# --- the platform's tables (created only where they do not exist yet) --------------------------

shops = Table(
    "t_shops",
    metadata,
    Column("a_id", Integer, primary_key=True, autoincrement=True),
    Column("a_name", String(255), nullable=False),
    Column("a_online", Boolean(create_constraint=False), nullable=False),
)

# budgetguard's index of the names (migration 0010): the console's search by a name's start,
# ignoring case, in each database's shape for a prefix (db/catalog/shop_names.py); one name
# each, as the schema tests compare each database with its own (Alembic ignores `ddl_if`).
NAME_INDEXES = {"postgresql": "ix_t_shops_lower_name", "sqlite": "ix_t_shops_name_nocase",
                "mysql": "ix_t_shops_name", "mariadb": "ix_t_shops_name"}  # fmt: skip
Index(
    NAME_INDEXES["postgresql"],
    func.lower(shops.c.a_name).label("lower_name"),
    postgresql_ops={"lower_name": "text_pattern_ops"},  # LIKE 'p%' whatever the collation
).ddl_if(dialect="postgresql")
Index(NAME_INDEXES["sqlite"], shops.c.a_name.collate("NOCASE")).ddl_if(dialect="sqlite")
Index(  # under the column's own collation, its first 100 characters
    NAME_INDEXES["mysql"], shops.c.a_name, mysql_length={"a_name": 100},
    mariadb_length={"a_name": 100},
).ddl_if(dialect=("mysql", "mariadb"))  # type: ignore[arg-type] # a tuple, as documented  # fmt: skip

budgets = Table(
    "t_budgets",
    metadata,
    Column("a_shop_id", Integer, ForeignKey("t_shops.a_id"), primary_key=True),
    Column("a_month", Date, primary_key=True),
    Column("a_budget_amount", Money, nullable=False),
    Column("a_amount_spent", Money, nullable=False),
    # budgetguard's index: one month's budgets in shop order, for chunked evaluation.
    Index("ix_t_budgets_month_shop", "a_month", "a_shop_id"),
)

# --- budgetguard's own tables -------------------------------------------------------------------

evaluations = Table(
    "bg_evaluations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("month", Date, nullable=False),
    Column("evaluated_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("budgets", Integer, nullable=False, server_default="0"),
    Column("notifications", Integer, nullable=False, server_default="0"),
    Column("paused", Integer, nullable=False, server_default="0"),
    Column("resumed", Integer, nullable=False, server_default="0"),
    Column("skipped", Integer, nullable=False, server_default="0"),
    # The next evaluation finds those left `running` by a killed one; `db prune` ages them out.
    Index("ix_bg_evaluations_outcome_id", "outcome", "id"),
    Index("ix_bg_evaluations_started_at", "started_at"),
)

# One row per (month, shop, threshold) that has fired and not re-armed since. The primary key makes
# a second firing of the same arming impossible, whatever runs concurrently; month leads it so that
# a chunk of one month's alerts is one contiguous range.
alerts = Table(
    "bg_alerts",
    metadata,
    Column("month", Date, primary_key=True),
    Column("shop_id", Integer, primary_key=True, autoincrement=False),
    Column("threshold", Integer, primary_key=True, autoincrement=False),
    Column("fired_at", UtcDateTime, nullable=False),
)

# budgetguard's claim on a shop it took offline: only these shops are ever set online again.
pauses = Table(
    "bg_pauses",
    metadata,
    Column("shop_id", Integer, primary_key=True, autoincrement=False),
    Column("month", Date, nullable=False),
    Column("paused_at", UtcDateTime, nullable=False),
    Column("evaluation_id", Id, nullable=False),
    # The threshold at which it paused the shop (migration 0008; NULL on older claims): a shop
    # switched to a soft limit is resumed when its budget is below this one again.
    Column("threshold", Integer, nullable=True),
)

# The transactional outbox: written in the evaluation's transaction, delivered afterwards.
notifications = Table(
    "bg_notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("evaluation_id", Id, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("shop_id", Integer, nullable=False),
    Column("shop_name", String(255), nullable=False),
    Column("month", Date, nullable=False),
    Column("budget", Money, nullable=False),
    Column("spent", Money, nullable=False),
    Column("thresholds", String(255), nullable=False),
    Column("action", String(16), nullable=True),
    Column("evaluated_on", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    # The shop's policy when it was queued (migration 0008; NULL on older rows: the settings),
    # and the instant evaluated (a forecast's projection is computed from it).
    Column("timezone", String(64), nullable=True),
    Column("language", String(8), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("evaluated_at", UtcDateTime, nullable=True),
    # Due work only: delivered and dead notifications have no next attempt (NULL).
    Index("ix_bg_notifications_next_attempt_at_id", "next_attempt_at", "id"),
    Index("ix_bg_notifications_created_at", "created_at"),
    # A shop's notifications, newest first: the console's shop pages (migration 0009).
    Index("ix_bg_notifications_shop_id_id", "shop_id", "id"),
)

# Spend events received by the HTTP API: the key of each one's idempotency, and its audit trail.
# Event ids are printable ASCII compared byte for byte (MySQL's default collations would treat
# `abc` and `ABC` as one id).
EventId = String(128).with_variant(
    mysql.VARCHAR(128, charset="ascii", collation="ascii_bin"), "mysql", "mariadb"
)

spend_events = Table(
    "bg_spend_events",
    metadata,
    Column("event_id", EventId, primary_key=True),
    Column("shop_id", Integer, nullable=False, autoincrement=False),
    Column("month", Date, nullable=False),
    Column("amount", Money, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("source", String(64), nullable=False),
    Index("ix_bg_spend_events_received_at", "received_at"),
)

# --- delivery to people (migration 0002) --------------------------------------------------------

# Contact targets compared byte for byte (migration 0007): MySQL's default collations would treat
# `https://h/Hook` and `https://h/hook` as one target.
Target = String(512).with_variant(
    mysql.VARCHAR(512, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)

# A shop's contacts: e-mail addresses, signed webhooks (with their secret), Slack incoming webhooks.
contacts = Table(
    "bg_contacts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("shop_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("target", Target, nullable=False),
    Column("secret", String(255), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # Set when the receiver answered 410 Gone; adding the contact again enables it.
    Column("disabled_at", UtcDateTime, nullable=True),
    Column("disabled_reason", String(255), nullable=True),
    # A webhook's or Slack contact's URL and secret, encrypted (db/plumbing/sealing.py), when
    # BUDGETGUARD_SECRET_KEY is set: `target` then holds a stand-in, `secret` NULL.
    Column("sealed", Text, nullable=True),
    UniqueConstraint("shop_id", "kind", "target"),
)

# One row per (notification, recipient), made when the notification is dispatched: its own
# status, attempts, next attempt (NULL when nothing more is to be done) and last error.
deliveries = Table(
    "bg_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("notification_id", Id, nullable=False),
    # `contact:<id>`, `operator:<hash of the URL>` or `console`: who, without a secret.
    Column("recipient", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("contact_id", Id, nullable=True),
    Column("shop_id", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    # Dispatch makes each (notification, recipient) once, whatever runs concurrently.
    UniqueConstraint("notification_id", "recipient"),
    Index("ix_bg_deliveries_next_attempt_at_id", "next_attempt_at", "id"),
    Index("ix_bg_deliveries_status_id", "status", "id"),
    Index("ix_bg_deliveries_contact_id", "contact_id"),
    Index("ix_bg_deliveries_delivered_at", "delivered_at"),
)

# --- retention (migration 0006) -----------------------------------------------------------------

# One row per `db prune` run: when, what it removed, and the oldest month whose alerts it kept.
# An evaluation of a month before the newest `alerts_before` is refused: its alerts are gone, and
# evaluating it again would notify its crossings a second time.
prunes = Table(
    "bg_prunes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("alerts_before", Date, nullable=True),
    Column("spend_events", BigInteger, nullable=False, server_default="0"),
    Column("alerts", BigInteger, nullable=False, server_default="0"),
    Column("evaluations", BigInteger, nullable=False, server_default="0"),
    Column("notifications", BigInteger, nullable=False, server_default="0"),
    Column("deliveries", BigInteger, nullable=False, server_default="0"),
)

# --- each shop on its own terms (migration 0008; README "Policies") ----------------------------

# A shop's policy: every field NULL falls back to the settings. `pause_at` 0 stores `none` (a soft
# limit). The masks are the thresholds and the pause threshold as bits of bg_threshold_bits, kept
# by whoever writes the row, so the evaluation reads a shop's policy with one join.
policies = Table(
    "bg_policies",
    metadata,
    Column("shop_id", Integer, primary_key=True, autoincrement=False),
    Column("thresholds", String(255), nullable=True),
    Column("pause_at", Integer, nullable=True),
    Column("timezone", String(64), nullable=True),
    Column("language", String(8), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("forecast", Boolean(create_constraint=False), nullable=True),
    Column("recurring_budget", Money, nullable=True),
    Column("threshold_mask", BigInteger, nullable=True),
    Column("pause_mask", BigInteger, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    # The time zones in use, read by every evaluation (a loose index scan).
    Index("ix_bg_policies_timezone", "timezone"),
)

# Every threshold value any policy or the settings ever named, with its bit (0-62): a set of
# thresholds is one BIGINT. Bits are given once and never change.
threshold_bits = Table(
    "bg_threshold_bits",
    metadata,
    Column("threshold", Integer, primary_key=True, autoincrement=False),
    Column("bit", Integer, nullable=False),
    UniqueConstraint("bit"),
)

# One row per (month, shop) whose forecast notification was queued: once per shop per month.
forecasts = Table(
    "bg_forecasts",
    metadata,
    Column("month", Date, primary_key=True),
    Column("shop_id", Integer, primary_key=True, autoincrement=False),
    Column("fired_at", UtcDateTime, nullable=False),
)

# Who did what: people through the CLI, the API or the console, and budgetguard itself (a
# recurring budget row it created).
audit = Table(
    "bg_audit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("shop_id", Integer, nullable=True),
    Column("detail", Text, nullable=True),
    Index("ix_bg_audit_shop_id_id", "shop_id", "id"),
    Index("ix_bg_audit_at", "at"),
)
