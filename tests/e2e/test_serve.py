"""`budgetguard serve` as a deployment runs it: separate processes, real signals, replicas."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from budgetguard.db.outbox.stats import outbox_stats
from budgetguard.db.schema.tables import budgets, notifications, spend_events
from support.cli import cli_env, run
from support.platform import Platform
from support.server import AUTH, ServeProcess, start_serve

NOW = datetime.now(UTC)
"""The instant every event of these tests is dated: all in MONTH, however long the run takes."""
MONTH = NOW.strftime("%Y-%m")
NEXT_MONTH = datetime(NOW.year + NOW.month // 12, NOW.month % 12 + 1, 1, tzinfo=UTC)


def _event(event_id: str, shop_id: int, amount: str) -> dict[str, object]:
    return {
        "event_id": event_id,
        "shop_id": shop_id,
        "amount": amount,
        "occurred_at": NOW.isoformat(),
    }


def _all_spent(engine: Engine) -> dict[int, Decimal]:
    with engine.connect() as connection:
        rows = connection.execute(select(budgets.c.a_shop_id, budgets.c.a_amount_spent)).all()
    return {shop_id: Decimal(spent) for shop_id, spent in rows}


def _stored(engine: Engine) -> dict[str, Decimal]:
    with engine.connect() as connection:
        rows = connection.execute(select(spend_events.c.event_id, spend_events.c.amount)).all()
    return {event_id: Decimal(amount) for event_id, amount in rows}


def _ledger(engine: Engine) -> tuple[dict[str, Decimal], dict[int, Decimal]]:
    """The stored events and the shops' spend, read in one snapshot: after a kill the database
    may still commit a transaction whose COMMIT the dead process sent, so two separate reads
    can see it on one side only."""
    snapshot = {} if engine.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
    with engine.connect().execution_options(**snapshot) as connection, connection.begin():
        events = connection.execute(select(spend_events.c.event_id, spend_events.c.amount)).all()
        spent = connection.execute(select(budgets.c.a_shop_id, budgets.c.a_amount_spent)).all()
    return (
        {event_id: Decimal(amount) for event_id, amount in events},
        {shop_id: Decimal(amount) for shop_id, amount in spent},
    )


def test_serve_refuses_to_start_without_an_api_key(db_url: str) -> None:
    ran = run("serve", "--port", "0", env=cli_env(db_url))

    assert ran.code == 2
    assert "BUDGETGUARD_API_KEYS" in ran.err


def test_serve_refuses_a_database_never_upgraded(tmp_path: Path) -> None:
    env = cli_env(f"sqlite:///{tmp_path / 'new.db'}", api_keys="a:0123456789abcdef")

    ran = run("serve", "--port", "0", env=env)

    assert ran.code == 1
    assert "run `budgetguard db upgrade`" in ran.err


@pytest.fixture
def shops(engine: Engine) -> Platform:
    platform = Platform(engine)
    for shop_id in range(1, 41):
        platform.add_shop(shop_id)
        platform.set_budget(shop_id, MONTH, "10.00")
    return platform


class Load:
    """Eight clients posting spend events (40 shops) until stopped or the server goes away."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.attempted: dict[str, dict[str, object]] = {}
        self.acknowledged: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(8)

    def __enter__(self) -> Load:
        for worker in range(8):
            self._pool.submit(self._client, worker)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._pool.shutdown()

    def wait_for_acknowledged(self, count: int) -> None:
        _wait_for(lambda: len(self.acknowledged) >= count)

    def _client(self, worker: int) -> None:
        with httpx.Client(base_url=self.url, headers=AUTH, timeout=60) as http:
            n = 0
            while not self._stop.is_set():
                event = _event(f"k{worker}-{n}", 1 + (worker * 7 + n) % 40, f"0.{1 + n % 9}0")
                n += 1
                with self._lock:
                    self.attempted[str(event["event_id"])] = event
                try:
                    answer = http.post("/v1/spend", json=event)
                except httpx.TransportError:
                    return
                if answer.status_code == 200:
                    with self._lock:
                        self.acknowledged.add(str(event["event_id"]))


@pytest.mark.slow
def test_sigterm_lets_requests_in_flight_finish_then_exits_0(
    db_url: str, shops: Platform, tmp_path: Path
) -> None:
    served = start_serve(db_url, tmp_path, "serve")
    with Load(served.url) as load:
        load.wait_for_acknowledged(100)
        code = served.stop()

    assert code == 0
    assert load.acknowledged <= set(_stored(shops.engine))
    logs = [json.loads(line) for line in served.err.read_text().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(logs[0])
    assert any(line["message"] == "stopped after SIGTERM" for line in logs)


@pytest.mark.slow
def test_a_server_killed_under_load_counts_every_acknowledged_event_once(
    db_url: str, shops: Platform, tmp_path: Path
) -> None:
    served = start_serve(db_url, tmp_path, "victim")
    with Load(served.url) as load:
        load.wait_for_acknowledged(200)
        served.kill()
    acknowledged, attempted = load.acknowledged, load.attempted

    stored, spent = _ledger(shops.engine)
    assert acknowledged <= set(stored), "every acknowledged event survived the kill"
    assert sum(spent.values()) == sum(stored.values())

    again = start_serve(db_url, tmp_path, "restarted")
    try:
        with httpx.Client(base_url=again.url, headers=AUTH, timeout=60) as http:
            replies = {e: http.post("/v1/spend", json=body) for e, body in attempted.items()}
    finally:
        again.stop()

    assert {r.status_code for r in replies.values()} == {200}
    assert all(replies[e].headers.get("Idempotent-Replayed") == "true" for e in acknowledged)
    total = sum(Decimal(str(body["amount"])) for body in attempted.values())
    assert sum(_all_spent(shops.engine).values()) == total
    assert len(_stored(shops.engine)) == len(attempted)


@pytest.fixture
def replicas(db_url: str, tmp_path: Path) -> Iterator[list[ServeProcess]]:
    settings = {"check_interval": "1", "delivery_interval": "0.2", "delivery_batch_size": "5"}
    started = [start_serve(db_url, tmp_path, f"replica{i}", **settings) for i in (1, 2)]
    try:
        yield started
    finally:
        for replica in started:
            if replica.process.poll() is None:
                replica.kill()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["mariadb", "postgresql"])
def test_two_replicas_deliver_each_notification_once(
    replicas: list[ServeProcess], shops: Platform
) -> None:
    if datetime.now(UTC) + timedelta(minutes=30) >= NEXT_MONTH:
        pytest.skip("the replicas evaluate the month they run in, which ends in under 30 minutes")
    clients = [httpx.Client(base_url=r.url, headers=AUTH, timeout=60) for r in replicas]
    # Shops 1-20: spend events, odd shops through one replica, even shops through the other;
    # two notifications each (50 %, 100 %).
    for shop_id in range(1, 21):
        for n in range(4):
            body = _event(f"s{shop_id}-{n}", shop_id, "3.00")
            clients[shop_id % 2].post("/v1/spend", json=body)
    # Shops 21-40: the platform writes spend itself; a sweep notifies each once (50 %, 100 %).
    for shop_id in range(21, 41):
        shops.set_spent(shop_id, MONTH, "12.00")
    for client in clients:
        client.close()
    _wait_for(lambda: _undelivered(shops.engine) == 0 and _queued(shops.engine) == 60)

    codes = [replica.stop() for replica in replicas]

    printed = [json.loads(line)["id"] for r in replicas for line in r.printed()]
    assert codes == [0, 0]
    assert sorted(printed) == sorted(_queued_ids(shops.engine)), "each delivered exactly once"
    # Which replica delivers what is up to the race (each starts delivering what it queues), so
    # the test does not require both to have delivered something.


def _queued(engine: Engine) -> int:
    return len(_queued_ids(engine))


def _queued_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(select(notifications.c.id)).scalars())


def _undelivered(engine: Engine) -> int:
    """Notifications not yet dispatched plus delivery records not yet delivered."""
    with engine.connect() as connection:
        return outbox_stats(connection).waiting


def _wait_for(condition: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")
