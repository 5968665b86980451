"""Dispatch: one delivery record per (notification, recipient), made once, whatever runs at once;
and a database upgraded from schema 0001 keeps the notifications it had not delivered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import exc, select, update
from sqlalchemy.engine import Engine

from budgetguard.db.outbox.dispatch import dispatch_due
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.db.schema.tables import deliveries, notifications
from support.fakes import RecordingChannel
from support.world import World


def overspend(world: World, shops: int) -> None:
    for shop in range(1, shops + 1):
        world.platform.add_shop(shop)
        world.platform.set_budget(shop, "2020-06", "100.00", "100.00")


def test_concurrent_dispatchers_make_each_record_once(world: World, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: there is no second dispatcher to race")
    overspend(world, 4)
    world.evaluate("2020-06-30")
    with world.context.engine.begin() as first:
        held = dispatch_due(first, now=world.clock.now, limit=2, operators=[])
        other = RecordingChannel()
        world.deliver(other)
        assert len(other.sent) == 2, "the second dispatcher skips the locked notifications"
    world.deliver(other)

    assert held == 2
    assert sorted(n.shop_id for n in other.sent) == [1, 2, 3, 4]
    with world.context.engine.connect() as connection:
        records = list(connection.execute(select(deliveries.c.notification_id)).scalars())
        by_pass = select(notifications.c.id).where(notifications.c.delivered_at.is_not(None))
        printed = list(connection.execute(by_pass).scalars())
    # The two held got their records from the first dispatcher; the console's pass recorded the
    # other two on the notifications themselves: each delivered once, by one path.
    assert (len(records), len(printed)) == (2, 2)
    assert sorted(records + printed) == [n["id"] for n in world.platform.notifications()]


def test_the_unique_key_refuses_a_second_record_for_one_recipient(world: World) -> None:
    overspend(world, 1)
    world.evaluate("2020-06-30")
    with world.context.engine.begin() as connection:
        dispatch_due(connection, now=world.clock.now, limit=10, operators=[])
        # As if the notification were due again: the same recipients must not get a second record.
        connection.execute(update(notifications).values(next_attempt_at=world.clock.now))
    with pytest.raises(exc.IntegrityError), world.context.engine.begin() as connection:
        dispatch_due(connection, now=world.clock.now, limit=10, operators=[])


def _queued_by_0001(world: World, shop: int) -> dict[str, object]:
    """A threshold notification with the columns of schema 0001."""
    now = world.clock.now
    return {
        "evaluation_id": 1,
        "kind": "threshold",
        "shop_id": shop,
        "shop_name": f"Shop {shop}",
        "month": date(2020, 6, 1),
        "budget": Decimal("100.00"),
        "spent": Decimal("100.00"),
        "thresholds": "50,100",
        "action": "paused",
        "evaluated_on": date(2020, 6, 30),
        "created_at": now,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
    }


@pytest.fixture
def engine_at_0001(fresh_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_url)
    revisions.upgrade(engine, "0001")
    yield engine
    engine.dispose()


def test_notifications_left_undelivered_by_schema_0001_are_delivered_after_the_upgrade(
    engine_at_0001: Engine,
) -> None:
    world = World.on(engine_at_0001)
    overspend(world, 2)
    # What 0001's evaluator queued (today's evaluator needs 0008's policy tables).
    with engine_at_0001.begin() as connection:
        for shop in (1, 2):
            connection.execute(notifications.insert().values(**_queued_by_0001(world, shop)))
        connection.execute(
            update(notifications)
            .where(notifications.c.shop_id == 2)
            .values(status="delivered", next_attempt_at=None)
        )

    revisions.upgrade(engine_at_0001)
    world.deliver()

    assert [n.shop_id for n in world.channel.sent] == [1], "what 0001 had delivered stays done"
