"""What differs between SQLite, MySQL/MariaDB and PostgreSQL, answered in one place."""

from __future__ import annotations

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection, Engine

INCORRECT_STRING_VALUE = 1366
"""MySQL/MariaDB: a character the column's charset cannot hold (strict mode refuses it)."""


def set_isolation(connection: Connection, level: str | None) -> None:
    """Run `connection`'s transactions at `level` (None: leave the engine's default).

    SQLite has no levels to choose: its transactions are serial already (BEGIN IMMEDIATE).
    PostgreSQL: the pool restores the engine's level when the connection is returned, without
    a round trip. MySQL/MariaDB: each transaction is told its level as it begins (`SET
    TRANSACTION`, which holds for the next transaction only) rather than the session, which
    the pool would have to set back as the connection is returned: on a link lost just after a
    commit, that fails outside SQLAlchemy's error handling, with the driver's raw error, and
    the pool never gets the connection back.
    """
    if level is None or connection.dialect.name == "sqlite":
        return
    if connection.dialect.name in {"mysql", "mariadb"}:
        statement = f"SET TRANSACTION ISOLATION LEVEL {level}"
        event.listen(connection, "begin", lambda begun: begun.exec_driver_sql(statement))
        return
    connection.execution_options(isolation_level=level)


def one_writer(engine: Engine) -> bool:
    """Whether the database takes one writing transaction at a time (SQLite)."""
    return engine.dialect.name == "sqlite"


def mysql_error_code(error: exc.DBAPIError) -> int | None:
    """The MySQL/MariaDB error number of `error`, if it is one."""
    args = getattr(error.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


# An explicit id does not move PostgreSQL's serial sequence, so the platform's own inserts (which
# take the next value) would collide with it: move the sequence up to the new id, never down. Not
# to max(a_id): that cannot see another session's uncommitted insert, and misses a deleted top id
# (which would be handed out again). setval is not transactional: one statement, no read before.
_SEQUENCE_PAST = text(
    "SELECT setval(seq, :new_id) FROM pg_get_serial_sequence('t_shops', 'a_id') AS seq "
    "WHERE seq IS NOT NULL "
    "AND :new_id > COALESCE(pg_sequence_last_value(CAST(seq AS regclass)), 0)"
)


def shop_ids_taken_up_to(connection: Connection, shop_id: int) -> None:
    """Tell the database that shop ids up to `shop_id` are taken (PostgreSQL's sequence)."""
    if connection.dialect.name == "postgresql":
        connection.execute(_SEQUENCE_PAST, {"new_id": shop_id})
