"""Outcomes recorded in bulk: each record its own status, schedule and error, fenced by claim."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy.engine import RowMapping

from budgetguard.db.outbox.deliveries import claim_due
from budgetguard.db.outbox.outcomes import Failure, mark_failures
from budgetguard.db.schema.tables import deliveries
from budgetguard.domain.delivery import Claimed
from support.fakes import RecordingChannel
from support.world import World


def _failed_records(world: World, shops: int) -> list[Claimed]:
    """Records of `shops` notifications that failed once, claimed again for a second attempt."""
    for shop in range(1, shops + 1):
        world.platform.add_shop(shop)
        world.platform.set_budget(shop, "2020-06", "100.00", "100.00")
    world.evaluate("2020-06-30")
    world.deliver(RecordingChannel(fail_all=True))
    world.clock.advance(timedelta(hours=1))
    now = world.clock.now
    with world.context.engine.begin() as connection:
        return claim_due(
            connection, now=now, lease_until=now + timedelta(minutes=1), limit=10, max_attempts=30
        )


def _rows(world: World) -> dict[int, RowMapping]:
    with world.context.engine.connect() as connection:
        return {row["id"]: row for row in connection.execute(deliveries.select()).mappings()}


def test_a_batch_of_failures_is_recorded_each_with_its_own_status_schedule_and_error(
    world: World,
) -> None:
    retried, buried, stale = _failed_records(world, shops=3)
    later = world.clock.now + timedelta(minutes=5)
    failures = [
        Failure(retried, "HTTP 503", later),
        Failure(buried, "HTTP 410", None),
        # An attempt whose lease ran out, and whose record was claimed again since.
        Failure(replace(stale, attempts=stale.attempts - 1), "late", later),
    ]

    with world.context.engine.begin() as connection:
        recorded = mark_failures(connection, failures)

    assert recorded == {retried.id, buried.id}
    rows = _rows(world)
    assert (rows[retried.id]["status"], rows[retried.id]["last_error"]) == ("failed", "HTTP 503")
    assert rows[retried.id]["next_attempt_at"] == later
    assert (rows[buried.id]["status"], rows[buried.id]["last_error"]) == ("dead", "HTTP 410")
    assert rows[buried.id]["next_attempt_at"] is None
    assert (rows[stale.id]["status"], rows[stale.id]["attempts"]) == ("delivering", 2)
    assert rows[stale.id]["last_error"] == "receiver said no", "the late outcome wrote nothing"


def test_a_long_error_is_cut_to_what_the_column_keeps(world: World) -> None:
    (claimed,) = _failed_records(world, shops=1)

    with world.context.engine.begin() as connection:
        mark_failures(connection, [Failure(claimed, "x" * 5000, None)])

    assert len(_rows(world)[claimed.id]["last_error"]) == 1000
