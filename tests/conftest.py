"""Fixtures: every database test runs on real SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from budgetguard.bootstrap import build_context
from budgetguard.config import Settings
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from support.databases import BACKENDS, scratch_database, server_reason, unavailable
from support.fakes import FakeClock
from support.platform import Platform, wipe
from support.world import World


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the settings they set themselves."""
    for name in list(os.environ):
        if name.startswith("BUDGETGUARD_") and not name.startswith(
            ("BUDGETGUARD_TEST_", "BUDGETGUARD_REQUIRE_SERVERS")
        ):
            monkeypatch.delenv(name)


class DatabasePool:
    """One migrated scratch database per backend for the whole session, wiped before each test."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._stack = ExitStack()
        self._urls: dict[str, str] = {}
        self._reasons: dict[str, str | None] = {}

    def usable(self, backend: str) -> None:
        if backend not in self._reasons:
            self._reasons[backend] = server_reason(backend)
        reason = self._reasons[backend]
        if reason is not None:
            unavailable(backend, reason)

    def fresh(self, backend: str) -> Iterator[str]:
        """An empty, never migrated database (for schema tests)."""
        self.usable(backend)
        with scratch_database(backend, self._directory) as url:
            yield url

    def migrated(self, backend: str) -> str:
        self.usable(backend)
        if backend not in self._urls:
            url = self._stack.enter_context(scratch_database(backend, self._directory))
            engine = make_engine(url)
            revisions.upgrade(engine)
            engine.dispose()
            self._urls[backend] = url
        return self._urls[backend]

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def database_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabasePool]:
    pool = DatabasePool(tmp_path_factory.mktemp("databases"))
    yield pool
    pool.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_url(backend: str, database_pool: DatabasePool) -> Iterator[str]:
    """The URL of an empty database that budgetguard has never seen."""
    yield from database_pool.fresh(backend)


@pytest.fixture
def db_url(backend: str, database_pool: DatabasePool) -> str:
    """The URL of a migrated database holding no rows."""
    url = database_pool.migrated(backend)
    engine = make_engine(url)
    wipe(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    clock = FakeClock()
    context = build_context(Settings(database_url=db_url), clock=clock)
    yield World(context, Platform(context.engine), clock)
    context.close()
