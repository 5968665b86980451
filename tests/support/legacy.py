"""The platform's legacy dump (tests/fixtures/legacy_db.sql), loaded as each database takes it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from support.databases import REQUIRE_SERVERS

DUMP = Path(__file__).parent.parent / "fixtures" / "legacy_db.sql"

# What the sample story looks like: (shop, kind, thresholds, action) per evaluation.
JUNE_30 = [
    (1, "threshold", (50,), None),
    (2, "threshold", (50,), None),
    (3, "threshold", (50, 100), "paused"),
    (4, "threshold", (50, 100), None),
    (5, "threshold", (50,), None),
    (6, "threshold", (50, 100), None),
    (7, "threshold", (50,), None),
    (8, "threshold", (50, 100), "paused"),
]
JULY_1 = [
    (1, "threshold", (50,), None),
    (2, "threshold", (50, 100), None),
    (3, "resumed", (), "resumed"),
    (3, "threshold", (50,), None),
    (4, "threshold", (50, 100), None),
    (5, "threshold", (50,), None),
    (6, "threshold", (50, 100), None),
    (7, "threshold", (50,), None),
    (8, "resumed", (), "resumed"),
    (8, "threshold", (50,), None),
]


def portable_dump(dialect: str) -> str:
    """The dump rewritten for PostgreSQL or SQLite: the same tables, columns and rows."""
    sql = DUMP.read_text()
    if dialect in {"mysql", "mariadb"}:
        return sql
    sql = re.sub(r"INT\(11\)", "INTEGER", sql)
    sql = sql.replace(" AUTO_INCREMENT", "")
    sql = re.sub(r"\) ENGINE=InnoDB DEFAULT CHARSET=utf8;", ");", sql)
    if dialect == "postgresql":  # PostgreSQL's BOOLEAN takes no 0/1 literals
        sql = re.sub(r",\s+([01])\)", lambda m: ", " + ("true)" if m[1] == "1" else "false)"), sql)
    return sql


def load_dump(engine: Engine) -> None:
    """Load the legacy dump into `engine`'s empty database, as the platform's DBA would."""
    dialect = engine.dialect.name
    if dialect == "mysql":
        run_client("mysql", engine, DUMP.read_text())
        return
    with engine.begin() as connection:
        for statement in portable_dump(dialect).split(";"):
            if statement.strip():
                connection.execute(text(statement))


def run_client(client: str, engine: Engine, sql: str) -> None:
    """Feed `sql` to the database's own command-line client (mysql or psql)."""
    if shutil.which(client) is None:
        message = f"the {client} command-line client is not installed"
        if REQUIRE_SERVERS:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    url = make_url(engine.url.render_as_string(hide_password=False))
    if client == "mysql":
        args = [client, "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306)]
        args += ["-u", url.username or "root", url.database or ""]
        if url.password:
            args.insert(1, f"-p{url.password}")
    else:
        args = [client, "-v", "ON_ERROR_STOP=1", "-q", "-h", url.host or "127.0.0.1"]
        args += ["-p", str(url.port or 5432), "-U", url.username or "postgres", url.database or ""]
    done = subprocess.run(args, input=sql, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{client} failed: {done.stderr}"
