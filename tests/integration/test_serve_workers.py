"""`serve`'s background work in process: the interval evaluation, its one delivery worker, and
the daily prune."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta

from sqlalchemy import Table, func, select

from budgetguard.api.metrics import Metrics
from budgetguard.bootstrap import delivery_setup
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema.tables import alerts, deliveries, evaluations, notifications, prunes
from budgetguard.server.workers import Workers
from budgetguard.services.uow import Context
from support.world import World

LONG_POLL = 60.0  # the worker would look again only after this: only the bell can make it hurry


def eventually(condition: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_delivery_worker_delivers_at_once_what_the_process_queued_and_stops_cleanly(
    world: World,
) -> None:
    world = world.with_settings(check_interval=LONG_POLL)
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "60.00")
    metrics = Metrics(world.context)
    delivery = delivery_setup(world.context, world.channel, poll_interval=LONG_POLL)
    workers = Workers(world.context, metrics, delivery)

    workers.start()  # the evaluation at start queues shop 1's notification, then rings
    try:
        first = eventually(lambda: len(world.channel.sent) == 1)
        world.platform.add_shop(2)
        world.platform.set_budget(2, "2020-06", "100.00", "70.00")
        world.evaluate("2020-06-30")  # as a request's evaluation would, then it rings
        workers.wake_delivery()
        second = eventually(lambda: len(world.channel.sent) == 2)
    finally:
        workers.stop(timeout=LONG_POLL / 2)

    assert (first, second) == (True, True), "both delivered long before the next poll"
    assert [n.shop_id for n in world.channel.sent] == [1, 2]
    assert 'budgetguard_notifications_delivered_total{kind="threshold"} 2.0' in (
        metrics.render().decode()
    )
    assert workers.alive() == [], "stop ends both threads without waiting for the next poll"


def test_serve_prunes_what_is_past_its_retention_and_stops_cleanly(world: World) -> None:
    """The third duty: a prune when none began within BUDGETGUARD_PRUNE_INTERVAL."""
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "60.00")
    world.check("2020-06-30")  # a notification, delivered: the record and the notification go
    world.clock.advance(timedelta(days=401))
    world = world.with_settings(check_interval=LONG_POLL)
    workers = Workers(
        world.context,
        Metrics(world.context),
        delivery_setup(world.context, world.channel, poll_interval=LONG_POLL),
    )

    workers.start()
    try:
        pruned = eventually(lambda: [_count(world, t) for t in TABLES] == [0, 0, 0])
    finally:
        workers.stop(timeout=LONG_POLL / 2)

    assert pruned, "serve pruned at start: none had ever run"
    assert _count(world, prunes) == 1
    assert workers.alive() == []


TABLES = (deliveries, notifications, alerts)


def _count(world: World, table: Table) -> int:
    with world.context.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_evaluation_and_the_prune_outlive_a_pool_with_no_free_connection(
    world: World, db_url: str
) -> None:
    """Found in review: the pool's own timeout (sqlalchemy.exc.TimeoutError, no DBAPIError)
    escaped the interval evaluation and the prune, and ended their threads for good."""
    settings = world.with_settings(check_interval=0.1, prune_interval=0.1).context.settings
    engine = make_engine(db_url, pool_size=POOL, max_overflow=0, pool_timeout=0.1)
    context = Context(settings, engine, world.clock)
    workers = Workers(context, Metrics(context), delivery_setup(context, world.channel))
    try:
        with ExitStack() as held:
            for _ in range(POOL):
                held.enter_context(engine.connect())
            workers.start()
            time.sleep(1.0)  # every duty has tried, and met a pool with no connection to give
        ran = eventually(lambda: _count(world, evaluations) > 0 and _count(world, prunes) > 0)
    finally:
        workers.stop(timeout=LONG_POLL / 2)
        engine.dispose()

    assert ran, "both duties ran again once the pool had connections"


POOL = 3
