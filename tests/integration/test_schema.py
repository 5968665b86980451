"""Migrations: create, adopt, repeat, print for a DBA; on real SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine

from budgetguard import services
from budgetguard.bootstrap import App, build_app
from budgetguard.config import Settings
from budgetguard.db import schema
from budgetguard.db.engine import make_engine
from budgetguard.db.tables import budgets, metadata, shops
from budgetguard.domain.errors import SchemaNotReady
from budgetguard.domain.period import parse_instant
from support.fakes import FakeClock, RecordingChannel
from support.legacy import JULY_1, JUNE_30, load_dump, portable_dump, run_client

BG_TABLES = {
    "bg_alerts", "bg_evaluations", "bg_notifications", "bg_pauses", "bg_contacts", "bg_deliveries"
}  # fmt: skip


@pytest.fixture
def fresh_engine(fresh_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_url)
    yield engine
    engine.dispose()


def story(engine: Engine) -> list[list[tuple[int, str, tuple[int, ...], str | None]]]:
    """Run June 30 then July 1 on `engine`'s database; return what each evaluation sent."""
    app = App(
        Settings(database_url=engine.url.render_as_string(hide_password=False)), engine, FakeClock()
    )
    told = []
    for day in ("2020-06-30", "2020-07-01"):
        channel = RecordingChannel()
        services.run_check(app=app, at=parse_instant(day, app.settings.zone), channel=channel)
        told.append(
            sorted(
                (n.shop_id, n.kind.value, n.thresholds, n.action.value if n.action else None)
                for n in channel.sent
            )
        )
    return told


def test_an_empty_database_gets_exactly_the_schema_the_code_expects(fresh_engine: Engine) -> None:
    before, after = schema.upgrade(fresh_engine)

    assert (before, after) == (None, schema.head_revision())
    with fresh_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_upgrading_twice_is_harmless(fresh_engine: Engine) -> None:
    schema.upgrade(fresh_engine)
    assert schema.upgrade(fresh_engine) == (schema.head_revision(), schema.head_revision())


def test_a_database_never_upgraded_is_refused_with_the_command_to_run(fresh_engine: Engine) -> None:
    app = build_app(Settings(database_url=fresh_engine.url.render_as_string(hide_password=False)))
    with pytest.raises(SchemaNotReady, match="run `budgetguard db upgrade`"):
        services.open_database(app)
    app.close()


def test_the_legacy_database_is_adopted_with_its_data_untouched(fresh_engine: Engine) -> None:
    load_dump(fresh_engine)
    columns_before = inspect(fresh_engine).get_columns("t_budgets")

    schema.upgrade(fresh_engine)

    inspector = inspect(fresh_engine)
    assert set(inspector.get_table_names()) >= BG_TABLES
    assert [(c["name"], str(c["type"])) for c in inspector.get_columns("t_budgets")] == [
        (c["name"], str(c["type"])) for c in columns_before
    ]
    with fresh_engine.connect() as connection:
        assert connection.execute(select(shops.c.a_name).where(shops.c.a_id == 4)).scalar() == "H&R"
        spent = select(budgets.c.a_amount_spent).where(budgets.c.a_shop_id == 6)
        assert Decimal("946.32") in set(connection.execute(spent).scalars())
    assert story(fresh_engine) == [JUNE_30, JULY_1]


def test_the_platform_can_still_delete_a_shop_budgetguard_has_paused(fresh_engine: Engine) -> None:
    load_dump(fresh_engine)
    schema.upgrade(fresh_engine)
    story(fresh_engine)

    with fresh_engine.begin() as connection:
        connection.execute(budgets.delete().where(budgets.c.a_shop_id == 3))
        connection.execute(shops.delete().where(shops.c.a_id == 3))


def test_the_printed_migration_applied_by_hand_adopts_the_legacy_database(
    fresh_engine: Engine, backend: str
) -> None:
    load_dump(fresh_engine)
    sql = schema.offline_sql("mariadb" if backend == "mariadb" else backend)  # type: ignore[arg-type]

    if backend == "mariadb":
        run_client("mysql", fresh_engine, sql)
    elif backend == "postgresql":
        run_client("psql", fresh_engine, sql)
    else:
        database = fresh_engine.url.database or ""
        with sqlite3.connect(database) as connection:
            connection.executescript(sql)

    assert schema.current_revision(fresh_engine) == schema.head_revision()
    assert story(fresh_engine) == [JUNE_30, JULY_1]


def test_a_null_amount_in_an_adopted_table_is_skipped_not_fatal(fresh_engine: Engine) -> None:
    loose = portable_dump(fresh_engine.dialect.name).replace(
        "DECIMAL(10,2)   NOT NULL", "DECIMAL(10,2)   NULL"
    )
    with fresh_engine.begin() as connection:
        for statement in loose.split(";"):
            if statement.strip():
                connection.execute(text(statement))
        connection.execute(text("UPDATE t_budgets SET a_budget_amount = NULL WHERE a_shop_id = 2"))
    schema.upgrade(fresh_engine)

    june, _ = story(fresh_engine)

    assert [entry for entry in JUNE_30 if entry[0] != 2] == june
