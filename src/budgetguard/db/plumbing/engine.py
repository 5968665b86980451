"""Engines for SQLite, MySQL/MariaDB and PostgreSQL, each set up for budgetguard's transactions."""

from __future__ import annotations

import re
import sqlite3
import warnings
from typing import Any

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from budgetguard.db.plumbing.shop_locks import bound_writer_wait
from budgetguard.domain.errors import ConfigError, DatabaseUnavailable

DEFAULT_TIMEOUT_SECONDS = 10.0
"""BUDGETGUARD_DATABASE_TIMEOUT's default."""
CONNECT_TIMEOUT_SECONDS = 5
"""A new connection takes at most this long (or the database timeout, if shorter)."""
SQLITE_BUSY_TIMEOUT_SECONDS = 30
POOL_TIMEOUT_SECONDS = 30
"""SQLite's lock wait and the pool's, where no database timeout applies (migrations)."""
# Plain driver names map to the drivers budgetguard installs.
_DEFAULT_DRIVERS = {"mysql": "pymysql", "mariadb": "pymysql", "postgresql": "psycopg"}
_MIN_SQLITE = (3, 35)
# A statement's parameters never appear in an error's text: they may hold a contact's URL with
# its credentials, a webhook secret, a shop's name (errors reach logs and the 500 handler).
_QUIET = {"hide_parameters": True}
_SETTING = "BUDGETGUARD_DATABASE_URL"
_MAX_PORT = 65535
# scheme://user:PASSWORD@ — the password is whatever lies between the user's colon and the last
# "@" before the host (a password may itself hold "@" or ":" when it is not percent-encoded).
_PASSWORD = re.compile(r"^(?P<head>[^:/@]*://[^:/@]*:)(?P<password>.*)@(?P<tail>[^@]*)$", re.S)


def masked(url: str) -> str:
    """`url` for a message: its password replaced by ***; a text that is not laid out as a URL
    (so that no one can tell where a password would be) is not repeated at all."""
    if "://" not in url:
        return "(not shown: expected dialect://user:password@host:port/database)"
    found = _PASSWORD.match(url)
    shown = url if found is None else f"{found['head']}***@{found['tail']}"
    return repr(shown)


def parse_database_url(url: str) -> URL:
    """Parse a SQLAlchemy URL, choosing budgetguard's driver where the URL names none.

    An unusable URL is a ConfigError naming the setting; its password is never repeated.
    """
    try:
        parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    except (exc.ArgumentError, ValueError):
        # SQLAlchemy raises a bare ValueError for a port that is not a number.
        raise ConfigError(f"{_SETTING}: not a database URL: {masked(url)}") from None
    if parsed.port is not None and not 0 < parsed.port <= _MAX_PORT:
        raise ConfigError(f"{_SETTING}: the port {parsed.port} is not between 1 and {_MAX_PORT}")
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "mysql", "mariadb", "postgresql"}:
        raise ConfigError(
            f"{_SETTING}: unsupported database {backend!r} "
            "(use sqlite, mysql, mariadb or postgresql)"
        )
    if "+" not in parsed.drivername and backend in _DEFAULT_DRIVERS:
        parsed = parsed.set(drivername=f"{backend}+{_DEFAULT_DRIVERS[backend]}")
    if backend in {"mysql", "mariadb"} and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def make_engine(
    url: str, *, timeout: float | None = DEFAULT_TIMEOUT_SECONDS, **options: Any
) -> Engine:
    """Return an engine for `url`, configured for its database.

    `timeout` bounds every wait for the database (BUDGETGUARD_DATABASE_TIMEOUT): an answer to a
    statement, a new connection, SQLite's write lock, a connection from the pool. None lifts
    the bound on answers, for work that may rightly take long (migrations).
    """
    parsed = parse_database_url(url)
    backend = parsed.get_backend_name()
    if backend != "sqlite" or parsed.database not in {None, "", ":memory:"}:
        # (an in-memory SQLite database has one connection per thread, and no pool to wait on)
        options.setdefault("pool_timeout", timeout or POOL_TIMEOUT_SECONDS)
    if backend == "sqlite":
        return _sqlite_engine(
            parsed, busy_seconds=timeout or SQLITE_BUSY_TIMEOUT_SECONDS, **options
        )
    connect_timeout = min(CONNECT_TIMEOUT_SECONDS, timeout or CONNECT_TIMEOUT_SECONDS)
    connect_args: dict[str, Any] = {"connect_timeout": max(1, round(connect_timeout))}
    if backend == "postgresql":
        engine = create_engine(
            parsed, pool_pre_ping=True, connect_args=connect_args, **_QUIET, **options
        )
        if parsed.get_driver_name() == "psycopg":
            _bound_psycopg_answers(engine, timeout)
        return engine
    if parsed.get_driver_name() == "pymysql":
        connect_args |= {"read_timeout": timeout, "write_timeout": timeout}
    # READ COMMITTED: InnoDB's INSERT ... SELECT then reads without locking the platform's rows.
    return create_engine(
        parsed,
        pool_pre_ping=True,
        isolation_level="READ COMMITTED",
        connect_args=connect_args,
        **_QUIET,
        **options,
    )


def _bound_psycopg_answers(engine: Engine, timeout: float | None) -> None:
    # Imported here: a command on SQLite or MySQL does not pay for loading psycopg.
    from budgetguard.db.plumbing.bounded import BoundedConnection  # noqa: PLC0415

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_timeout = timeout
        return connection


# Each SQLite connection's page cache: SQLite's default (2 MiB) let an evaluation's writes of
# bg_usage's two indexes (random positions, 1M budgets) re-read their pages from the OS; 64 MiB
# recorded the history of 200,000 changed budgets in about 20 % less time (README, "Benchmarks").
# Allocated as used, per connection.
_SQLITE_CACHE_KIB = 65_536


def _sqlite_engine(url: URL, *, busy_seconds: float, **options: Any) -> Engine:
    if sqlite3.sqlite_version_info < _MIN_SQLITE:
        raise ConfigError(
            f"SQLite {sqlite3.sqlite_version} is too old; budgetguard needs 3.35 or newer"
        )
    # SQLite keeps DECIMAL as REAL; money is read back quantised to cents (README, "SQLite").
    warnings.filterwarnings(
        "ignore",
        message="Dialect sqlite\\+pysqlite does \\*not\\* support Decimal objects natively",
    )
    engine = create_engine(url, connect_args={"timeout": busy_seconds}, **_QUIET, **options)
    bound_writer_wait(engine, busy_seconds)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that every transaction is BEGIN IMMEDIATE:
        # a writer holds SQLite's write lock from its first read, so concurrent evaluations queue
        # instead of failing to upgrade a read lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA cache_size = {-_SQLITE_CACHE_KIB}")  # negative: KiB, not pages
        cursor.execute(f"PRAGMA busy_timeout = {round(busy_seconds * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def describe(engine: Engine) -> str:
    """Return the engine's URL without its password, for messages."""
    return engine.url.render_as_string(hide_password=True)


def check_connection(engine: Engine) -> None:
    """Connect once, turning any failure into DatabaseUnavailable with one clear line."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except exc.DBAPIError as error:
        raise unavailable(engine, error) from None


def unavailable(engine: Engine, error: exc.DBAPIError) -> DatabaseUnavailable:
    """The error to report when `engine`'s database did not answer."""
    return DatabaseUnavailable(f"cannot reach the database {describe(engine)}: {first_line(error)}")


# The drivers' modules: their errors reach us unwrapped from the pool's own work (resetting a
# connection as it is returned), where SQLAlchemy does not wrap them.
_DRIVER_MODULES = {"pymysql", "MySQLdb", "psycopg", "psycopg2", "sqlite3"}
_OUTAGE_NAMES = {"OperationalError", "InterfaceError"}


def database_failed(error: BaseException) -> bool:
    """Whether `error` means the database could not be used (lost or refused connection, no
    answer in time, no connection free in the pool): an outage to report as such (HTTP 503),
    not a bug. A driver's error that SQLAlchemy did not wrap counts too."""
    if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError):
        return True
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated
    # Only a driver's connection-level errors (and sqlite3's ProgrammingError on a closed
    # connection): its IntegrityError, or a ProgrammingError from a bug, is no outage.
    if type(error).__module__.split(".")[0] not in _DRIVER_MODULES:
        return False
    names = {kind.__name__ for kind in type(error).__mro__}
    return bool(names & _OUTAGE_NAMES) or "closed" in str(error).lower()


def first_line(error: BaseException) -> str:
    """Return the first line of what went wrong: for a database error, the driver's message
    without SQLAlchemy's statement dump."""
    cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig is not None else error
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(error).__name__
