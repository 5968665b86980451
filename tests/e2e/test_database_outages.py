"""A database that stops answering without closing anything (a silent partition), and SQLite's
write lock held by another process: every request answers 503 within the documented bound,
`/healthz` answers at once, `/readyz` within its bound, and the service recovers by itself."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from budgetguard.bootstrap import build_context
from budgetguard.config import Settings
from budgetguard.db.schema.tables import budgets, spend_events
from support.api import IN_JUNE, JUNE
from support.cli import cli_env, run
from support.platform import first_day
from support.proxy import Proxy, Reset
from support.server import AUTH, ServeProcess, api_in_thread, start_serve
from support.world import World

T = TypeVar("T")
TIMEOUT = 2.0
"""BUDGETGUARD_DATABASE_TIMEOUT in these tests."""
REQUEST_BOUND = 2 * TIMEOUT
"""README: a request that has a request thread answers within twice the timeout."""
READY_BOUND = 2.0
"""README: /readyz answers within 2 s."""
SLACK = 2.0
"""Scheduling on a shared 2-core machine: added to every bound asserted."""


def proxied(db_url: str) -> tuple[Proxy, str]:
    """A proxy in front of the database of `db_url`, and the URL that goes through it."""
    url = make_url(db_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 0))
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    return proxy, through


def timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def spend(url: str, event_id: str) -> httpx.Response:
    body = {"event_id": event_id, "shop_id": 3, "amount": "10.00", "occurred_at": IN_JUNE}
    return httpx.post(f"{url}/v1/spend", json=body, headers=AUTH, timeout=60)


def spent(world: World, shop_id: int) -> Decimal:
    query = select(budgets.c.a_amount_spent).where(
        budgets.c.a_shop_id == shop_id, budgets.c.a_month == first_day(JUNE)
    )
    with world.context.engine.connect() as connection:
        return Decimal(connection.execute(query).scalar_one())


def eventually(check: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def silent(db_url: str, world: World, tmp_path: Path) -> Iterator[tuple[ServeProcess, Proxy]]:
    """`budgetguard serve` (8 request threads) on the database through a proxy; shop 3 has a
    budget of 100.00 for June 2020."""
    world.platform.add_shop(3)
    world.platform.set_budget(3, JUNE, "100.00")
    proxy, url = proxied(db_url)
    settings = {"database_timeout": f"{TIMEOUT:g}", "check_interval": "3600"}
    served = start_serve(url, tmp_path, "serve", **settings)
    try:
        yield served, proxy
    finally:
        served.kill()
        proxy.close()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["mariadb", "postgresql"])
def test_a_silent_database_is_503_within_the_bound_and_the_service_recovers(
    silent: tuple[ServeProcess, Proxy], world: World
) -> None:
    served, proxy = silent
    assert spend(served.url, "before").status_code == 200

    proxy.silence()
    with ThreadPoolExecutor(12) as pool:  # more requests than `serve` has request threads
        stuck = [pool.submit(timed, lambda i=i: spend(served.url, f"s{i}")) for i in range(12)]
        time.sleep(0.5)
        health, health_took = timed(lambda: httpx.get(f"{served.url}/healthz", timeout=30))
        ready, ready_took = timed(lambda: httpx.get(f"{served.url}/readyz", timeout=30))
        answers = [future.result() for future in stuck]
    proxy.restore()
    recovered = eventually(lambda: spend(served.url, "after").status_code == 200)

    assert health.status_code == 200
    assert health_took < TIMEOUT, "/healthz waits for no request thread and no database"
    assert ready.status_code == 503
    assert ready_took < READY_BOUND + SLACK
    assert {answer.status_code for answer, _ in answers} == {503}
    # Twelve requests on eight threads: the last four wait for a thread first.
    assert max(took for _, took in answers) < 2 * REQUEST_BOUND + SLACK
    assert recovered
    assert spent(world, 3) == 20, "no request that answered 503 was counted"


@pytest.mark.parametrize("backend", ["mariadb", "postgresql"])
def test_check_on_a_silent_database_is_one_line_and_exit_1_in_bounded_time(
    db_url: str, world: World
) -> None:
    world.platform.add_shop(3)
    proxy, url = proxied(db_url)
    try:
        proxy.silence()
        ran, took = timed(
            lambda: run("check", env=cli_env(url, database_timeout=f"{TIMEOUT:g}"), timeout=120)
        )
    finally:
        proxy.close()

    assert ran.code == 1
    assert ran.err.startswith("budgetguard: error: cannot reach the database")
    assert len(ran.err.strip().splitlines()) == 1, ran.err
    assert took < 5 + REQUEST_BOUND + SLACK  # the interpreter's start, then the bound


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_locked_by_another_process_is_503_within_the_bound(
    db_url: str, world: World
) -> None:
    world.platform.add_shop(3)
    world.platform.set_budget(3, JUNE, "100.00")
    context = build_context(Settings(database_url=db_url, database_timeout=1))
    holder = sqlite3.connect(make_url(db_url).database or "", isolation_level=None)
    try:
        with api_in_thread(context) as (url, _, _):
            holder.execute("BEGIN IMMEDIATE")  # what another process writing would hold
            with ThreadPoolExecutor(4) as pool:
                answers = list(pool.map(lambda i: timed(lambda: spend(url, f"s{i}")), range(4)))
            holder.execute("ROLLBACK")
            after = spend(url, "after")
    finally:
        holder.close()
        context.close()

    assert {answer.status_code for answer, _ in answers} == {503}
    assert max(took for _, took in answers) < 2 * 1 + SLACK, "waited once, not six times"
    assert after.status_code == 200
    assert spent(world, 3) == 10


def test_readiness_on_a_healthy_database_is_ready(db_url: str, world: World) -> None:
    with api_in_thread(world.context) as (url, _, _):
        answers = [httpx.get(f"{url}/readyz") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]


def stored_events(world: World) -> set[str]:
    with world.context.engine.connect() as connection:
        return set(connection.execute(select(spend_events.c.event_id)).scalars())


@pytest.fixture
def resetting(db_url: str, world: World) -> Iterator[tuple[str, Proxy]]:
    """The API in a thread on the database through a proxy; shop 3 has a budget of 1000.00."""
    world.platform.add_shop(3)
    world.platform.set_budget(3, JUNE, "1000.00")
    proxy, url = proxied(db_url)
    context = build_context(Settings(database_url=url, database_timeout=TIMEOUT), clock=world.clock)
    try:
        with api_in_thread(context) as (base, _, _):
            yield base, proxy
    finally:
        context.close()
        proxy.close()


def spend_all(base: str, events: list[str]) -> dict[str, httpx.Response]:
    """Post each event once, eight at a time."""
    with ThreadPoolExecutor(8) as pool:
        return dict(zip(events, pool.map(lambda e: spend(base, e), events), strict=True))


@pytest.mark.parametrize("backend", ["mariadb", "postgresql"])
@pytest.mark.parametrize("passing", [0, 1], ids=["next-request-fails", "the-one-after-fails"])
def test_a_link_lost_after_a_commit_was_answered_does_not_make_the_answer_an_error(
    resetting: tuple[str, Proxy], world: World, passing: int
) -> None:
    base, proxy = resetting
    events = [f"r{i}" for i in range(24)]

    # What follows the commit fails: releasing PostgreSQL's shop locks, the pool's rollback,
    # or (one request later) MySQL's isolation level set back as the connection is returned.
    proxy.reset_after_commits(Reset.ANSWER_READ, passing=passing)
    answers = spend_all(base, events)

    assert {e: a.status_code for e, a in answers.items()} == dict.fromkeys(events, 200)
    assert stored_events(world) == set(events)
    assert spent(world, 3) == 10 * len(events)


@pytest.mark.parametrize("backend", ["mariadb", "postgresql"])
def test_an_answer_lost_at_commit_is_never_a_500_and_a_retry_counts_once(
    resetting: tuple[str, Proxy], world: World
) -> None:
    base, proxy = resetting
    events = [f"r{i}" for i in range(24)]

    proxy.reset_after_commits(Reset.ANSWER_SENT)  # the answer to COMMIT may or may not arrive
    answers = spend_all(base, events)
    proxy.reset_after_commits(None)
    again = spend_all(base, events)

    assert {answer.status_code for answer in answers.values()} <= {200, 503}
    acknowledged = {e for e, answer in answers.items() if answer.status_code == 200}
    assert acknowledged <= stored_events(world), "every acknowledged event is stored"
    assert {answer.status_code for answer in again.values()} == {200}
    assert stored_events(world) == set(events)
    assert spent(world, 3) == 10 * len(events), "every event sent again counted once"
