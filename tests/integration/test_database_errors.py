"""Which errors mean that the database could not be used (HTTP 503, CLI exit 1): those
SQLAlchemy wraps, and the drivers' own, which reach budgetguard unwrapped from the pool's work
on a connection (resetting it as it is returned)."""

from __future__ import annotations

import pytest
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from budgetguard.db.plumbing.engine import database_failed
from support.platform import Platform


def test_the_drivers_own_error_on_a_lost_connection_is_the_database_failing(engine: Engine) -> None:
    pooled = engine.raw_connection()
    driver = pooled.driver_connection
    assert driver is not None
    driver.close()  # as a link lost under the pool's feet leaves it
    try:
        with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever each driver raises
            driver.cursor().execute("SELECT 1")
    finally:
        pooled.invalidate()

    assert not isinstance(raised.value, exc.DBAPIError), "the driver's own error, unwrapped"
    assert database_failed(raised.value)


def test_a_refused_write_and_a_bug_are_not_taken_for_an_outage(engine: Engine) -> None:
    platform = Platform(engine)
    platform.add_shop(1)
    with pytest.raises(exc.IntegrityError) as duplicate:
        platform.add_shop(1)

    assert not database_failed(duplicate.value)
    assert not database_failed(ValueError("a bug"))


def test_a_drivers_own_refused_write_is_not_taken_for_an_outage(engine: Engine) -> None:
    """Found in review: any unwrapped error of a driver counted as an outage (503 and a one-line
    warning), a bug's IntegrityError or ProgrammingError included."""
    Platform(engine).add_shop(1)
    pooled = engine.raw_connection()
    try:
        cursor = pooled.driver_connection.cursor()  # type: ignore[union-attr]
        with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever each driver raises
            cursor.execute("INSERT INTO t_shops (a_id, a_name, a_online) VALUES (1, 'again', TRUE)")
    finally:
        pooled.invalidate()

    assert not isinstance(raised.value, exc.DBAPIError), "the driver's own error, unwrapped"
    assert type(raised.value).__name__ in {"IntegrityError", "UniqueViolation"}
    assert not database_failed(raised.value)
