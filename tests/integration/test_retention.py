"""Retention on real SQLite, MariaDB and PostgreSQL: evaluations left running by a killed
process, and `db prune` (what goes, what always stays, in bounded batches)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Table, select

from budgetguard.config import Settings
from budgetguard.db.evaluation import records
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.plumbing.locks import PRUNE_LOCK_NAME, session_lock
from budgetguard.db.schema import revisions
from budgetguard.db.schema.tables import (
    alerts,
    deliveries,
    evaluations,
    notifications,
    prunes,
    spend_events,
)
from budgetguard.domain.errors import Conflict, EvaluationBusy
from budgetguard.domain.period import Month
from budgetguard.domain.retention import PruneProgress
from budgetguard.domain.spend import SpendEvent
from budgetguard.services.maintenance import prune_if_due, prune_old_rows
from budgetguard.services.spend import Located, SpendReport, record_spend
from budgetguard.services.uow import Context
from support.fakes import FakeClock
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


# --- db prune ------------------------------------------------------------------------------------

T0 = "2020-06-30"
LATER = timedelta(days=401)


def _spend(
    world: World, event_id: str, shop_id: int, amount: str = "1.00", at: datetime | None = None
) -> SpendReport:
    event = SpendEvent(event_id, shop_id, Decimal(amount), at or world.clock())
    return record_spend(context=world.context, events=[Located(event, "")], source="test")


def _keys(world: World, table: Table, *columns: str) -> list[tuple[object, ...]]:
    query = select(*(table.c[name] for name in columns)).order_by(*table.c[columns[0]].base_columns)
    with world.context.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def _a_year_of_history(world: World) -> None:
    """June 2020: shops 1 and 2 notified and delivered, shop 3's delivery failing, an event each;
    then, 401 days on (August 2021), shop 1 crosses 50 % of that month's budget."""
    for shop in (1, 2, 3):
        world.platform.add_shop(shop)
        world.platform.set_budget(shop, "2020-06", "100.00")
    for shop in (1, 2):
        _spend(world, f"june-{shop}", shop, "60.00")
    world.check(T0)
    _spend(world, "june-3", 3, "70.00")
    world.evaluate(T0)
    world.channel.failing = {n["id"] for n in world.platform.notifications() if n["shop_id"] == 3}
    world.deliver()
    world.clock.advance(LATER)
    world.platform.set_budget(1, "2021-08", "100.00")
    _spend(world, "august-1", 1, "55.00")
    world.check(world.clock().isoformat())


def test_prune_removes_what_is_past_its_retention_and_nothing_still_needed(world: World) -> None:
    world = world.with_settings(console_page_size=0)  # every delivery has its record
    _a_year_of_history(world)
    before = {
        "notifications": _keys(world, notifications, "id", "shop_id", "month"),
        "deliveries": _keys(world, deliveries, "id", "shop_id", "status"),
    }
    assert [status for _, shop, status in before["deliveries"]] == [
        "delivered", "delivered", "failed", "delivered"
    ]  # fmt: skip
    august = {key for key, month in _keys(world, evaluations, "id", "month") if month.year == 2021}
    recent = [row for row in _evaluation_rows(world) if row[0] in august]
    june = len(_evaluation_rows(world)) - len(recent)

    report = prune_old_rows(context=world.context)

    assert _keys(world, spend_events, "event_id") == [("august-1",)]
    assert _keys(world, deliveries, "id") == [(r[0],) for r in before["deliveries"][2:]]
    assert _keys(world, notifications, "id") == [(n[0],) for n in before["notifications"][2:]]
    assert _keys(world, alerts, "month", "shop_id", "threshold") == [(date(2021, 8, 1), 1, 50)]
    assert _evaluation_rows(world) == recent
    assert report.removed == {
        "deliveries": 2, "notifications": 2, "spend_events": 3, "alerts": 3, "forecasts": 0,
        "evaluations": june, "spend_days": 0, "usage": 3,
    }  # fmt: skip
    with world.context.engine.connect() as connection:
        recorded = connection.execute(select(prunes)).mappings().one()
    assert (recorded["alerts_before"], recorded["spend_events"]) == (date(2020, 7, 1), 3)


def test_a_month_whose_alerts_were_pruned_is_not_evaluated_again(world: World) -> None:
    _a_year_of_history(world)
    prune_old_rows(context=world.context)
    world.channel.sent.clear()

    with pytest.raises(Conflict, match=r"months before 2020-07 were pruned.*2020-06 again"):
        world.check(T0)
    world.check("2020-07-15")

    assert world.sent == [], "June's crossings are not notified a second time"


def test_an_old_month_evaluated_while_a_prune_runs_keeps_its_alerts(world: World) -> None:
    """Found in review: a prune that found no old alert at its start still deleted alerts below
    its cutoff, so an old month evaluated meanwhile lost the alerts that block its repeat, and
    its next evaluation notified the same crossings again."""
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00")
    _spend(world, "june-1", 1, "10.00")  # below 50 %: no alert yet, an old event to prune
    world.clock.advance(LATER)
    world.platform.set_spent(1, "2020-06", "60.00")
    evaluated: list[str] = []

    def evaluate_june_meanwhile(kind: str, _removed: int) -> None:
        if not evaluated:  # after the first batch: past the prune's start, before its alerts
            world.check(T0)
            evaluated.append(kind)

    prune_old_rows(context=world.context, on_batch=evaluate_june_meanwhile)
    world.channel.sent.clear()
    world.check(T0)

    assert evaluated, "June was evaluated while the prune ran"
    assert _keys(world, alerts, "month", "shop_id", "threshold") == [(date(2020, 6, 1), 1, 50)]
    assert world.sent == [], "June's crossing is not notified a second time"


def test_prune_goes_in_batches_of_the_batch_size(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "1000.00")
    for number in range(10):
        _spend(world, f"old-{number}", 1)
    world.clock.advance(LATER)
    batches: list[tuple[str, int]] = []

    report = prune_old_rows(
        context=world.with_settings(prune_batch_size=3).context,
        on_batch=lambda kind, removed: batches.append((kind, removed)),
    )

    assert [removed for kind, removed in batches if kind == "spend_events"] == [3, 6, 9, 10]
    assert report.removed["spend_events"] == 10
    assert _keys(world, spend_events, "event_id") == []


def test_a_dry_run_counts_and_removes_nothing(world: World) -> None:
    _a_year_of_history(world)

    report = prune_old_rows(context=world.context, dry_run=True)

    # June's two delivered notifications were printed straight from the outbox: no record each.
    # Each June budget's one day of spend is its bg_usage row's own: no later day closed it.
    assert report.removed == {
        "deliveries": 0, "notifications": 2, "spend_events": 3, "alerts": 3, "forecasts": 0,
        "evaluations": 5, "spend_days": 0, "usage": 3,
    }, "June: three spend requests', a check's and an evaluation's; each shop's June"  # fmt: skip
    assert len(_keys(world, spend_events, "event_id")) == 4
    assert _keys(world, prunes, "id") == []


def test_older_than_overrides_every_retention_but_forever(world: World) -> None:
    _a_year_of_history(world)
    world.clock.advance(timedelta(days=3))
    forever = world.with_settings(retain_spend_events_days=0)

    report = prune_old_rows(context=forever.context, older_than_days=1)

    assert report.removed["spend_events"] == 0
    assert report.removed["evaluations"] == 7, "every one, June's five and August's two"
    assert report.removed["alerts"] == 3, "August 2021 has not ended a day ago"


def test_a_running_evaluation_is_never_pruned(world: World) -> None:
    with world.context.engine.begin() as connection:
        running = records.start(
            connection, month=Month(2020, 6), at=world.clock(), now=world.clock()
        )
    world.clock.advance(LATER)

    prune_old_rows(context=world.context)

    assert _evaluation_rows(world) == [(running, "running", False)]


def test_an_event_id_sent_again_after_its_row_was_pruned_counts_again(world: World) -> None:
    """The documented price of pruning spend events: an id is idempotent for as long as its
    row is kept (BUDGETGUARD_RETAIN_SPEND_EVENTS_DAYS), not forever."""
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "1000.00")
    occurred = world.clock()
    _spend(world, "order-1", 1, at=occurred)
    prune_old_rows(context=world.context, older_than_days=1)
    assert _spend(world, "order-1", 1, at=occurred).duplicates == 1, "kept: a repeat"

    world.clock.advance(timedelta(days=2))
    prune_old_rows(context=world.context, older_than_days=1)

    assert _spend(world, "order-1", 1, at=occurred).applied == 1


def test_serve_prunes_once_per_interval(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "1000.00")
    _spend(world, "old", 1)
    world.clock.advance(LATER)

    first = prune_if_due(context=world.context)
    world.platform.set_budget(1, "2021-08", "1000.00")
    _spend(world, "new", 1)
    world.clock.advance(timedelta(hours=23))
    second = prune_if_due(context=world.context)
    world.clock.advance(LATER)
    third = prune_if_due(context=world.context)

    removed = [None if r is None else r.removed["spend_events"] for r in (first, second, third)]
    assert removed == [1, None, 1], "the second came before a day had passed"


@pytest.mark.parametrize("backend", ["mariadb", "postgresql"])
def test_a_replica_skips_the_prune_while_another_holds_the_prune_lock(world: World) -> None:
    """The replicas take turns: the one that finds the lock taken skips, and prunes nothing."""
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "1000.00")
    _spend(world, "old", 1)
    world.clock.advance(LATER)

    with world.context.engine.connect() as other_replica:
        with session_lock(other_replica, PRUNE_LOCK_NAME, timeout=0, busy=EvaluationBusy):
            skipped = prune_if_due(context=world.context)
        pruned = prune_if_due(context=world.context)

    assert skipped is None
    assert pruned is not None
    assert pruned.removed["spend_events"] == 1
    assert len(_keys(world, prunes, "id")) == 1, "only the prune that ran is recorded"


WRITERS, WRITES = 4, 50
# Other processes writing as the platform, or `serve`s, do: one transaction at a time.
OTHER_WRITER = f"""
import sqlite3, sys
other = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
first = int(sys.argv[2]) * {WRITES}
print("ready", flush=True)  # started: what is counted from here is the writes alone
for shop in range(first + 1, first + {WRITES} + 1):
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t_shops (a_id, a_name, a_online) VALUES (?, 'x', 1)", [shop])
    other.execute("COMMIT")
"""


class _Stop(Exception):
    """Ends the prune of the SQLite test once the other writer is done."""


def test_a_writer_of_another_process_gets_in_between_two_batches_on_sqlite(
    tmp_path: Path,
) -> None:
    """SQLite has one writer at a time, and another process's writer waits in sleeps of up to
    100 ms: a prune that began its next batch at once would take the lock first nearly every
    time, and the other's transactions would pass one every batch or so, as `serve`'s spend
    requests did (4.7 s at the median during a prune of a million events)."""
    path = tmp_path / "prune.db"
    engine = make_engine(f"sqlite:///{path}")
    revisions.upgrade(engine)
    old = datetime(2020, 1, 1, tzinfo=UTC)
    row = {"shop_id": 1, "month": date(2020, 1, 1), "amount": 1, "occurred_at": old,
           "received_at": old, "source": "test"}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            spend_events.insert(), [{"event_id": f"old-{n}", **row} for n in range(200_000)]
        )
    settings = Settings(database_url=f"sqlite:///{path}", prune_batch_size=5000)
    context = Context(settings, engine, FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
    batches: list[str] = []
    started, written = threading.Event(), threading.Event()

    def until_written(kind: str, _removed: int) -> None:
        batches.append(kind)
        started.set()
        if written.is_set():
            raise _Stop

    pruning = threading.Thread(target=_prune_until_stopped, args=(context, until_written))
    pruning.start()
    try:
        assert started.wait(30)
        others = [subprocess.Popen([sys.executable, "-c", OTHER_WRITER, str(path), str(n)],
                                   stdout=subprocess.PIPE, text=True)
                  for n in range(WRITERS)]  # fmt: skip
        # The batches are counted from when every writer has started (an interpreter's start
        # on a busy machine is no part of what is measured).
        ready = [other.stdout.readline() for other in others if other.stdout]
        assert ready == ["ready\n"] * WRITERS
        before = len(batches)
        for other in others:
            other.communicate(timeout=120)  # waits, and closes its pipe
        assert [other.returncode for other in others] == [0] * WRITERS
        during = len(batches) - before
        written.set()
    finally:
        pruning.join(120)
        engine.dispose()
    assert during <= 10, f"{during} batches ran while the others made {WRITERS} x {WRITES} writes"


def _prune_until_stopped(context: Context, on_batch: PruneProgress) -> None:
    with contextlib.suppress(_Stop):
        prune_old_rows(context=context, on_batch=on_batch)
