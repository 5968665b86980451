"""Migrations: create, adopt, repeat, print for a DBA; on real SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import exc, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from budgetguard.config import Settings
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.db.schema.metadata import metadata
from budgetguard.db.schema.tables import NAME_INDEXES, budgets, pauses, shops
from budgetguard.domain.errors import SchemaNotReady
from budgetguard.services.database import open_database, upgrade_database
from budgetguard.services.uow import Context
from support.legacy import JULY_1, JUNE_30, load_dump, portable_dump, run_client
from support.world import World

BG_TABLES = {
    "bg_alerts", "bg_evaluations", "bg_notifications", "bg_pauses", "bg_contacts", "bg_deliveries",
    "bg_spend_events", "bg_prunes",
}  # fmt: skip
FIXTURES = Path(__file__).parent.parent / "fixtures"
Told = list[tuple[int, str, tuple[int, ...], str | None]]


@pytest.fixture
def fresh_engine(fresh_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_url)
    yield engine
    engine.dispose()


def story(engine: Engine, days: tuple[str, ...] = ("2020-06-30", "2020-07-01")) -> list[Told]:
    """Run `check` on each day on `engine`'s database; return what each one sent."""
    world = World.on(engine)
    told = []
    for day in days:
        world.channel.sent.clear()
        world.check(day)
        told.append(sorted(world.sent))
    return told


def apply_by_hand(engine: Engine, sql: str) -> None:
    """Apply migration SQL as a DBA would: with the database's own client."""
    if engine.dialect.name == "mysql":
        run_client("mysql", engine, sql)
    elif engine.dialect.name == "postgresql":
        run_client("psql", engine, sql)
    else:
        with sqlite3.connect(engine.url.database or "") as connection:
            connection.executescript(sql)


def differences_from_code(connection: Connection) -> list[Any]:
    """What Alembic finds different between the database and the code's tables, each dialect
    with its own index of the shops' names (the others' are not meant for it)."""
    others = set(NAME_INDEXES.values()) - {NAME_INDEXES[connection.dialect.name]}

    def compared(
        _object: object, name: str | None, kind: str, reflected: bool, _to: object
    ) -> bool:
        return not (kind == "index" and not reflected and name in others)

    context = MigrationContext.configure(connection, opts={"include_object": compared})
    with warnings.catch_warnings():
        # Alembic says, before asking `compared`, that it cannot compare PostgreSQL's
        # expression index on SQLite: that index is not SQLite's, and is left out above.
        warnings.filterwarnings("ignore", "autogenerate skipping .*'ix_t_shops_lower_name'")
        return list(compare_metadata(context, metadata))


def test_the_migrations_keep_their_revision_ids() -> None:
    assert revisions.head_revision() == "0010"


def test_an_empty_database_gets_exactly_the_schema_the_code_expects(fresh_engine: Engine) -> None:
    before, after = revisions.upgrade(fresh_engine)

    assert (before, after) == (None, revisions.head_revision())
    with fresh_engine.connect() as connection:
        differences = differences_from_code(connection)
    assert differences == []


def test_upgrading_twice_is_harmless(fresh_engine: Engine) -> None:
    revisions.upgrade(fresh_engine)
    assert revisions.upgrade(fresh_engine) == (revisions.head_revision(), revisions.head_revision())


def test_a_database_at_an_older_revision_upgrades_to_the_newest(fresh_engine: Engine) -> None:
    revisions.upgrade(fresh_engine, "0002")
    context = Context(Settings(), fresh_engine)

    with pytest.raises(SchemaNotReady, match="is at schema 0002"):
        open_database(context=context)
    assert upgrade_database(context=context) == ("0002", revisions.head_revision())
    open_database(context=context)


def test_a_database_set_up_before_the_layout_change_upgrades_to_the_newest_schema(
    fresh_engine: Engine, backend: str
) -> None:
    """The migration as the code before the move by layers printed it (`db sql`), applied by
    hand to the legacy database: budgetguard after the move upgrades it from there (0005 adds
    a column, 0006 the retention indexes) to exactly the schema it expects."""
    load_dump(fresh_engine)
    apply_by_hand(fresh_engine, (FIXTURES / f"schema_0004_{backend}.sql").read_text())
    context = Context(Settings(), fresh_engine)

    assert upgrade_database(context=context) == ("0004", revisions.head_revision())
    open_database(context=context)
    with fresh_engine.connect() as connection:
        assert differences_from_code(connection) == []
    assert story(fresh_engine) == [JUNE_30, JULY_1]


def test_a_database_never_upgraded_is_refused_with_the_command_to_run(fresh_engine: Engine) -> None:
    with pytest.raises(SchemaNotReady, match="run `budgetguard db upgrade`"):
        open_database(context=Context(Settings(), fresh_engine))


def test_the_legacy_database_is_adopted_with_its_data_untouched(fresh_engine: Engine) -> None:
    load_dump(fresh_engine)
    columns_before = inspect(fresh_engine).get_columns("t_budgets")

    revisions.upgrade(fresh_engine)

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
    revisions.upgrade(fresh_engine)
    story(fresh_engine, ("2020-06-30",))
    with fresh_engine.connect() as connection:
        assert 3 in set(connection.execute(select(pauses.c.shop_id)).scalars())

    with fresh_engine.begin() as connection:  # no key of budgetguard's holds the shop's rows
        connection.execute(budgets.delete().where(budgets.c.a_shop_id == 3))
        connection.execute(shops.delete().where(shops.c.a_id == 3))

    with fresh_engine.connect() as connection:
        left = connection.execute(select(func.count()).where(shops.c.a_id == 3)).scalar_one()
    assert left == 0
    (july,) = story(fresh_engine, ("2020-07-01",))
    assert july == [entry for entry in JULY_1 if entry[0] != 3], "the deleted shop is let go"


def test_the_printed_migration_applied_by_hand_adopts_the_legacy_database(
    fresh_engine: Engine, backend: str
) -> None:
    load_dump(fresh_engine)

    apply_by_hand(fresh_engine, revisions.offline_sql(backend))  # type: ignore[arg-type]

    assert revisions.current_revision(fresh_engine) == revisions.head_revision()
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
    revisions.upgrade(fresh_engine)

    june, _ = story(fresh_engine)

    assert [entry for entry in JUNE_30 if entry[0] != 2] == june


def test_a_database_errors_text_never_holds_the_statements_parameters(engine: Engine) -> None:
    """Found in review: an IntegrityError's text carried a contact's URL credentials and webhook
    secret into the log (the 500 handler logs it). Every engine hides parameters."""
    secret = "whsec_NEVER_IN_A_LOG_0123456789abcdef"  # noqa: S105 - a test value
    with pytest.raises(exc.DBAPIError) as raised, engine.begin() as connection:
        connection.execute(
            text("SELECT * FROM bg_contacts WHERE target = :target AND no_such_column = 1"),
            {"target": f"https://user:{secret}@example.com/hook"},
        )

    assert "no_such_column" in str(raised.value), "the error is the one provoked"
    assert secret not in str(raised.value)
