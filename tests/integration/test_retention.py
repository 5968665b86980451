"""Retention on real SQLite, MariaDB and PostgreSQL: evaluations left running by a killed
process, and `db prune` (what goes, what always stays, in bounded batches)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from budgetguard.db.evaluation import records
from budgetguard.db.schema.tables import evaluations
from budgetguard.domain.period import Month
from support.world import World


def _evaluation_rows(world: World) -> list[tuple[int, str, bool]]:
    """(id, outcome, finished) of every evaluation, in order."""
    query = select(evaluations.c.id, evaluations.c.outcome, evaluations.c.finished_at)
    with world.context.engine.connect() as connection:
        rows = connection.execute(query.order_by(evaluations.c.id)).all()
    return [(row.id, row.outcome, row.finished_at is not None) for row in rows]


def test_an_evaluation_left_running_is_marked_abandoned_by_the_next(world: World) -> None:
    """A process killed mid-evaluation leaves its row `running` (and the lock, a session lock,
    goes with its session): the next evaluation, holding the lock, knows it is over."""
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "60.00")
    with world.context.engine.begin() as connection:
        killed = records.start(
            connection, month=Month(2020, 6), at=world.clock(), now=world.clock()
        )
    world.clock.advance(timedelta(minutes=5))

    report = world.evaluate("2020-06-30")

    assert _evaluation_rows(world) == [
        (killed, "abandoned", True),
        (report.evaluation_id, "completed", True),
    ]
    assert world.platform.fired(1, "2020-06") == (50,)


def test_a_finished_evaluation_keeps_its_outcome(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "60.00")
    first = world.evaluate("2020-06-30")
    second = world.evaluate("2020-06-30")

    assert _evaluation_rows(world) == [
        (first.evaluation_id, "completed", True),
        (second.evaluation_id, "completed", True),
    ]
