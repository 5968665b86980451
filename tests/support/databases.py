"""Scratch databases on real SQLite, MariaDB and PostgreSQL, one per test session and backend.

A server that does not answer skips its tests with a message saying so, unless
BUDGETGUARD_REQUIRE_SERVERS=1 (set by .ci/run), which makes it a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.engine import Engine, make_url

BACKENDS = ("sqlite", "mariadb", "postgresql")
SERVER_URLS = {
    "mariadb": os.environ.get(
        "BUDGETGUARD_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306"
    ),
    "postgresql": os.environ.get(
        "BUDGETGUARD_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
}
REQUIRE_SERVERS = os.environ.get("BUDGETGUARD_REQUIRE_SERVERS") == "1"


def unavailable(backend: str, reason: str) -> None:
    """Skip (or, in CI, fail) a test whose database server cannot be used."""
    message = f"{backend} is not reachable at {SERVER_URLS[backend]}: {reason}"
    if REQUIRE_SERVERS:
        pytest.fail(f"{message} (BUDGETGUARD_REQUIRE_SERVERS=1)", pytrace=False)
    pytest.skip(message)


def _admin(backend: str) -> Engine:
    return create_engine(SERVER_URLS[backend], isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def server_reason(backend: str) -> str | None:
    """Return why the server of `backend` cannot be used, or None when it can."""
    if backend == "sqlite":
        return None
    engine = _admin(backend)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except exc.DBAPIError as error:
        return str(error.orig).splitlines()[0]
    finally:
        engine.dispose()
    return None


@contextmanager
def scratch_database(backend: str, directory: Path) -> Iterator[str]:
    """Create an empty database, yield its URL, drop it afterwards."""
    name = f"bg_test_{os.getpid()}_{secrets.token_hex(4)}"
    if backend == "sqlite":
        yield f"sqlite:///{directory / (name + '.db')}"
        return
    admin = _admin(backend)
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        yield (
            make_url(SERVER_URLS[backend]).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()
