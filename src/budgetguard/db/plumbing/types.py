"""Column types that keep budgetguard's timestamps in UTC and timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC; accepts only aware datetimes and returns aware UTC ones.

    PostgreSQL keeps the zone (`timestamptz`); MySQL/MariaDB (`DATETIME(6)`) and SQLite store the
    UTC wall-clock time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in {"mysql", "mariadb"}:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused: {value!r}")
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def aware_utc(value: datetime | None) -> datetime | None:
    """A timestamp read through an aggregate (min, max), which loses the column's type on some
    databases: UTC, as UtcDateTime would have returned it."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
