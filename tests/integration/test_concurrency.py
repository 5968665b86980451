"""Several evaluations at once, and evaluations killed midway, on one database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from budgetguard.config import Settings
from budgetguard.db.catalog.policies import ensure_bits
from budgetguard.db.evaluation.chunk import evaluate_chunk
from budgetguard.db.evaluation.scope import ChunkScope, Stamp
from budgetguard.db.evaluation.shop_terms import mask_params, pass_params
from budgetguard.db.evaluation.statements import evaluation_sql
from budgetguard.db.schema.tables import alerts, deliveries, evaluations, notifications
from budgetguard.domain.shop_clock import month_passes
from budgetguard.services.uow import transaction
from support.cli import cli_env, command, run
from support.platform import assert_consistent, expected_for_population, populate

SHOPS = 1200


@pytest.mark.slow
def test_processes_evaluating_at_once_fire_each_alert_once(engine: Engine, db_url: str) -> None:
    populate(engine, shops_count=SHOPS, month="2020-06")
    env = cli_env(db_url, chunk_size="50", delivery_batch_size="40")

    workers = [
        subprocess.Popen(
            command("check", "--at", "2020-06-30", "--json"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0, 0, 0], [err for _, err in outputs]
    assert_consistent(engine, SHOPS)
    printed = [json.loads(line)["id"] for out, _ in outputs for line in out.splitlines()]
    with engine.connect() as connection:
        queued = set(connection.execute(select(notifications.c.id)).scalars())
    assert sorted(printed) == sorted(queued), "each notification delivered once, none lost"


def test_the_schema_refuses_a_second_firing_of_one_arming(engine: Engine) -> None:
    row = {"shop_id": 1, "month": date(2020, 6, 1), "threshold": 50, "fired_at": datetime.now(UTC)}
    with engine.begin() as connection:
        connection.execute(alerts.insert().values(**row))

    with (
        pytest.raises(Exception, match=r"(?i)unique|duplicate") as raised,
        engine.begin() as connection,
    ):
        connection.execute(alerts.insert().values(**row))
    assert "IntegrityError" in type(raised.value).__name__


@pytest.mark.slow
def test_an_evaluation_killed_midway_loses_and_duplicates_nothing(
    engine: Engine, db_url: str
) -> None:
    shops = 6000
    populate(engine, shops_count=shops, month="2020-06")
    env = cli_env(db_url, chunk_size="10")
    victim = subprocess.Popen(
        command("check", "--at", "2020-06-30"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_until_some_queued(engine, victim)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert 0 < _queued(engine) < len(expected_for_population(shops)), "killed midway"

    finished = run("check", "--at", "2020-06-30", env=env, timeout=300)

    assert finished.code == 0, finished.err
    assert_consistent(engine, shops)
    with engine.connect() as connection:
        undispatched = connection.execute(
            select(func.count()).where(notifications.c.status != "dispatched")
        ).scalar_one()
        undelivered = connection.execute(
            select(func.count()).where(deliveries.c.status != "delivered")
        ).scalar_one()
        records = connection.execute(select(func.count()).select_from(deliveries)).scalar_one()
        # Printed straight from the outbox, a notification records its delivery itself.
        printed = connection.execute(
            select(func.count()).where(notifications.c.delivered_at.is_not(None))
        ).scalar_one()
        by_status = connection.execute(
            select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
        ).all()
    assert (undispatched, undelivered) == (0, 0), (by_status, finished.err)
    # Each queued notification (the crossings' and, once a shop, its forecast) delivered once.
    assert records + printed == _queued(engine), "one console delivery each"
    assert _outcomes(engine) == ["abandoned", "completed"], "the killed one is marked by the next"


def _outcomes(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        query = select(evaluations.c.outcome).order_by(evaluations.c.id)
        return list(connection.execute(query).scalars())


def _queued(engine: Engine) -> int:
    # A plain reader: budgetguard's own SQLite engine begins every transaction IMMEDIATE and
    # would queue behind the evaluation instead of watching it.
    reader = create_engine(engine.url)
    try:
        with reader.connect() as connection:
            query = select(func.count()).select_from(notifications)
            return int(connection.execute(query).scalar_one())
    finally:
        reader.dispose()


def _wait_until_some_queued(engine: Engine, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if _queued(engine) > 0:
            return
        time.sleep(0.002)
    raise AssertionError("the evaluation ended (or never started) before it could be killed")


def test_two_unserialised_transactions_on_one_chunk_fire_each_alert_once(engine: Engine) -> None:
    """Without the evaluation lock, row locks and keys stop a double firing: the loser waits and
    sees the winner's work, or collides with its keys, rolls back and retries."""
    populate(engine, shops_count=30, month="2020-06")
    now = datetime(2020, 6, 30, tzinfo=UTC)
    defaults = Settings().policy_defaults
    with engine.begin() as connection:
        bits = ensure_bits(connection, defaults.thresholds, settings=defaults.thresholds)
    sql = evaluation_sql(tuple(sorted(bits.items())), engine.dialect.name, narrowed=False)
    (june,) = month_passes(now, defaults.timezone, [])
    terms = pass_params(june, defaults) | mask_params(defaults, bits)
    scope = ChunkScope(date(2020, 6, 1), None, None, terms=terms)
    results: list[object] = []
    with engine.connect() as first, engine.connect() as second:
        first.begin()
        evaluate_chunk(first, sql, scope, Stamp(1, now, now))  # holds its writes open
        rival = threading.Thread(
            target=lambda: results.append(
                transaction(
                    second,
                    lambda c: evaluate_chunk(c, sql, scope, Stamp(2, now, now)),
                    what="rival",
                )
            )
        )
        rival.start()
        time.sleep(0.5)  # the rival reads, then waits on the first one's keys and rows
        first.commit()
        rival.join(timeout=60)

    assert len(results) == 1, "the rival transaction finished"
    assert_consistent(engine, 30)
