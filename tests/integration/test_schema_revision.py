"""The schema check every command makes reads revisions without Alembic (db/schema/current.py):
it must read what Alembic reads, on every database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import current, revisions

MIGRATIONS = Path(revisions.__file__).parent / "migrations"


def scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def alembic_reads(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@pytest.fixture
def fresh_engine(fresh_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_url)
    yield engine
    engine.dispose()


def test_the_head_is_the_newest_migration_alembic_finds() -> None:
    assert current.head_revision() == scripts().get_current_head()


def test_every_migration_is_named_after_its_revision() -> None:
    misnamed = [
        (Path(script.path).name, script.revision)
        for script in scripts().walk_revisions()
        if not Path(script.path).name.startswith(f"{script.revision}_")
    ]

    assert misnamed == []


def test_the_revision_a_database_is_at_is_read_as_alembic_reads_it(fresh_engine: Engine) -> None:
    read = [(current.current_revision(fresh_engine), alembic_reads(fresh_engine))]
    revisions.upgrade(fresh_engine, "0002")
    read.append((current.current_revision(fresh_engine), alembic_reads(fresh_engine)))
    revisions.upgrade(fresh_engine)
    read.append((current.current_revision(fresh_engine), alembic_reads(fresh_engine)))

    assert read == [(None, None), ("0002", "0002"), (current.head_revision(),) * 2]
