"""Fixtures: every database test runs on real SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import Engine

from budgetguard.config import Settings
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.services.uow import Context
from support.databases import BACKENDS, scratch_database, server_reason, unavailable
from support.fakes import FakeClock
from support.platform import Platform, wipe
from support.world import World

# Hypothesis's per-example deadline (200 ms) is a timing assertion: on a shared, noisy machine a
# pause of the process fails a pure function's property test. Timing belongs in benchmarks/.
hypothesis_settings.register_profile("budgetguard", deadline=None)
hypothesis_settings.load_profile("budgetguard")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the settings they set themselves."""
    for name in list(os.environ):
        if name.startswith("BUDGETGUARD_") and not name.startswith(
            ("BUDGETGUARD_TEST_", "BUDGETGUARD_REQUIRE_SERVERS")
        ):
            monkeypatch.delenv(name)


class DatabasePool:
    """One migrated scratch database per backend for the whole session, wiped before each test,
    and one engine for it: a new engine pays for its first connection and the dialect's set-up
    (about 20 ms on MariaDB) before every test otherwise."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._stack = ExitStack()
        self._urls: dict[str, str] = {}
        self._engines: dict[str, Engine] = {}
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
            revisions.upgrade(self.engine(url))
            self._urls[backend] = url
        return self._urls[backend]

    def engine(self, url: str) -> Engine:
        """The session's engine for `url` (a new one if a test left a connection out)."""
        engine = self._engines.get(url)
        if engine is not None and getattr(engine.pool, "checkedout", lambda: 0)():
            engine.dispose()
            engine = None
        if engine is None:
            engine = self._engines[url] = make_engine(url)
        return engine

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
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
    wipe(database_pool.engine(url))
    return url


@pytest.fixture
def engine(db_url: str, database_pool: DatabasePool) -> Engine:
    """The engine of that database (the session's: never disposed by a test)."""
    return database_pool.engine(db_url)


@pytest.fixture
def world(db_url: str, engine: Engine) -> World:
    clock = FakeClock()
    # Forecasts off: the rules' tests count every notification sent, and a forecast is news of
    # its own (tests/integration/test_forecasts.py turns them on).
    context = Context(Settings(database_url=db_url, forecast=False), engine, clock)
    return World(context, Platform(engine), clock)
