"""Scratch databases for benchmarks: created empty, dropped afterwards."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def run_each(
    backends: Iterable[str],
    sizes: Iterable[int],
    measure: Callable[[str, str, int], dict[str, Any]],
    report: Callable[[dict[str, Any]], list[str]],
    *,
    header: str,
    describe: Callable[[dict[str, Any]], str] | None = None,
) -> None:
    """`measure(backend, url, n)` on a scratch database of each backend for each size; print each
    result (`describe`d, as JSON, and as `report`'s table rows under `header`), then every row
    together when there was more than one."""
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as directory:
        for backend in backends:
            for n in sizes:
                with scratch_database(backend, Path(directory)) as url:
                    result = measure(backend, url, n)
                if describe is not None:
                    print(describe(result), flush=True)
                print("  " + json.dumps(result), flush=True)
                print("\n".join([header, *report(result)]), flush=True)
                rows.extend(report(result))
    if len(rows) > 1:
        print("\nAll runs:\n" + "\n".join([header, *rows]), flush=True)
