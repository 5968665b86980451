"""Scratch databases for benchmarks: created empty, dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_SERVERS = {
    "mariadb": os.environ.get(
        "BUDGETGUARD_BENCH_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306"
    ),
    "postgresql": os.environ.get(
        "BUDGETGUARD_BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
}


@contextmanager
def scratch_database(backend: str, directory: Path) -> Iterator[str]:
    name = f"bg_bench_{secrets.token_hex(4)}"
    if backend == "sqlite":
        yield f"sqlite:///{directory / (name + '.db')}"
        return
    admin = create_engine(DEFAULT_SERVERS[backend], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield (
            make_url(DEFAULT_SERVERS[backend])
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()
