"""The outbox: queued with the evaluation, dispatched to recipients, retried, never lost."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy.engine import RowMapping

from budgetguard.db.outbox.deliveries import claim_due, mark_failed
from budgetguard.db.schema.tables import deliveries
from budgetguard.domain.delivery import LOST_LAST_ATTEMPT, Status
from budgetguard.notify.channels.console import ConsoleChannel
from budgetguard.services.deliveries import retry_deliveries
from support.fakes import RecordingChannel
from support.world import World


def _overspend(world: World, shops: int = 1) -> None:
    for shop in range(1, shops + 1):
        world.platform.add_shop(shop)
        world.platform.set_budget(shop, "2020-06", "100.00", "100.00")


def records(world: World) -> list[RowMapping]:
    with world.context.engine.connect() as connection:
        query = deliveries.select().order_by(deliveries.c.id)
        return list(connection.execute(query).mappings())


def test_a_notification_with_nobody_to_tell_goes_to_the_console_once(world: World) -> None:
    _overspend(world)
    world.check("2020-06-30")

    report = world.deliver()

    assert report.delivered == 0
    assert len(world.channel.sent) == 1
    (notification,) = world.platform.notifications()
    assert (notification["status"], notification["next_attempt_at"]) == ("dispatched", None)
    # Printed straight from the outbox: the notification itself records the delivery.
    assert (notification["attempts"], notification["delivered_at"]) == (1, world.clock.now)
    assert records(world) == []


def test_the_worker_gives_the_console_a_record_when_the_pass_is_off(world: World) -> None:
    world = world.with_settings(console_page_size=0)
    _overspend(world)
    world.check("2020-06-30")

    assert len(world.channel.sent) == 1
    (row,) = records(world)
    assert (row["recipient"], row["status"], row["attempts"]) == ("console", "delivered", 1)
    assert (row["next_attempt_at"], row["delivered_at"]) == (None, world.clock.now)


def test_a_failing_channel_never_blocks_the_evaluation(world: World) -> None:
    _overspend(world)
    world.channel.fail_all = True

    report = world.check("2020-06-30")

    assert report.evaluation.notifications == 1
    assert not world.platform.online(1), "the pause is committed whatever delivery does"
    assert (report.delivery.delivered, report.delivery.retrying) == (0, 1)
    (row,) = records(world)
    assert row["status"] == Status.FAILED
    assert row["last_error"] == "receiver said no"


def test_a_failed_delivery_is_retried_after_its_back_off_with_the_same_id(world: World) -> None:
    _overspend(world)
    world.channel.fail_all = True
    world.check("2020-06-30")
    (first,) = world.platform.notifications()
    world.channel.fail_all = False

    assert world.deliver().delivered == 0, "not due yet"
    world.clock.advance(timedelta(seconds=37))  # the first back-off is 30 s ± 20 %
    world.deliver()

    assert [n.id for n in world.channel.sent] == [first["id"]]
    (row,) = records(world)
    assert (row["status"], row["attempts"]) == ("delivered", 2)


def test_a_delivery_that_keeps_failing_ends_dead(world: World) -> None:
    stubborn = world.with_settings(delivery_max_attempts=3)
    _overspend(world)
    world.channel.fail_all = True
    stubborn.check("2020-06-30")
    for _ in range(5):
        world.clock.advance(timedelta(hours=2))
        stubborn.deliver(world.channel)

    (row,) = records(world)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("dead", 3, None)


def test_a_deliverer_that_dies_mid_batch_only_delays_it_by_the_lease(world: World) -> None:
    # The worker's own console path (the console's pass from the outbox is off): its lease.
    world = world.with_settings(console_page_size=0)
    _overspend(world, shops=2)
    world.evaluate("2020-06-30")

    class Crash(BaseException):
        """Dies like a killed process: nothing of budgetguard's catches it."""

    def crash(batch: object) -> dict[int, str]:
        raise Crash

    dying = RecordingChannel()
    dying.deliver = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        world.deliver(dying)
    assert {row["status"] for row in records(world)} == {"delivering"}

    assert world.deliver().delivered == 0, "leased"
    world.clock.advance(timedelta(seconds=61))  # the default lease is 60 s
    assert world.deliver().delivered == 2
    assert [row["attempts"] for row in records(world)] == [2, 2]


def test_concurrent_deliverers_take_different_records(world: World, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: there is no second deliverer to race")
    _overspend(world, shops=4)
    world.evaluate("2020-06-30")
    world.deliver(RecordingChannel(fail_all=True))
    world.clock.advance(timedelta(hours=1))
    with world.context.engine.begin() as first:
        now = world.clock.now
        lease = now + timedelta(minutes=1)
        held = claim_due(first, now=now, lease_until=lease, limit=2, max_attempts=30)
        other = RecordingChannel()
        report = world.deliver(other)
        assert report.delivered == 2, "the second deliverer skips the locked rows"
    assert {n.id for n in other.sent}.isdisjoint({c.notification.id for c in held})


def test_notifications_are_delivered_in_batches_oldest_first(world: World) -> None:
    small = world.with_settings(delivery_batch_size=2)
    _overspend(world, shops=5)
    small.check("2020-06-30")

    ids = [n.id for n in world.channel.sent]
    assert ids == sorted(ids)
    assert len(ids) == 5


def test_a_console_that_breaks_gets_its_batch_retried_and_the_worker_goes_on(
    world: World,
) -> None:
    _overspend(world, shops=2)
    world.evaluate("2020-06-30")
    broken = RecordingChannel()

    def bug(batch: object) -> dict[int, str]:
        raise RuntimeError("a bug in a channel")

    broken.deliver = bug  # type: ignore[method-assign]
    report = world.deliver(broken)

    assert (report.delivered, report.retrying) == (0, 2)
    assert {(r["status"], r["last_error"]) for r in records(world)} == {
        ("failed", "console: unexpected RuntimeError")
    }
    world.clock.advance(timedelta(hours=1))
    assert world.deliver().delivered == 2


def test_a_console_that_cannot_encode_the_text_fails_the_attempt_cleanly(world: World) -> None:
    _overspend(world)
    world.evaluate("2020-06-30")
    ascii_only = io.TextIOWrapper(io.BytesIO(), encoding="ascii")

    report = world.deliver(ConsoleChannel(ascii_only))

    assert report.retrying == 1
    (row,) = records(world)
    assert row["status"] == "failed"
    assert row["last_error"].startswith("console: UnicodeEncodeError")


def test_a_late_outcome_of_an_expired_lease_does_not_undo_a_delivery(world: World) -> None:
    _overspend(world)
    world.evaluate("2020-06-30")
    world.deliver(RecordingChannel(fail_all=True))
    world.clock.advance(timedelta(hours=1))
    now = world.clock.now
    with world.context.engine.begin() as connection:
        (slow,) = claim_due(
            connection, now=now, lease_until=now + timedelta(minutes=1), limit=10, max_attempts=30
        )
    world.clock.advance(timedelta(minutes=2))  # its lease runs out; another worker delivers
    assert world.deliver().delivered == 1

    with world.context.engine.begin() as connection:
        late = mark_failed(connection, slow, error="HTTP 503", retry_at=now + timedelta(hours=1))

    assert late is False
    (row,) = records(world)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("delivered", 3, None)


def test_a_record_whose_last_attempt_lost_its_worker_ends_dead_not_sent_again(
    world: World,
) -> None:
    once = world.with_settings(delivery_max_attempts=1)
    _overspend(once)
    once.evaluate("2020-06-30")
    once.deliver(RecordingChannel(fail_all=True))  # dispatches
    retried = retry_deliveries(actor="tests", context=once.context, ids=[records(once)[0]["id"]])
    assert len(retried.retried) == 1
    now = once.clock.now
    with once.context.engine.begin() as connection:
        claim_due(connection, now=now, lease_until=now + timedelta(minutes=1), limit=10,
                  max_attempts=1)  # fmt: skip
    once.clock.advance(timedelta(minutes=2))  # the worker died; its lease ran out

    report = once.deliver()

    assert report.delivered == 0
    assert once.channel.sent == []
    (row,) = records(once)
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 1, LOST_LAST_ATTEMPT)
