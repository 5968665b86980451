"""The console's pass: what only the console receives, printed straight from the outbox."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from budgetguard.db.schema.tables import deliveries, notifications
from budgetguard.domain.notification import Notification
from budgetguard.domain.recipients import ChannelKind
from budgetguard.notify.channels.console import ConsoleChannel
from budgetguard.services.contacts import ContactSpec, add_contact
from support.fakes import RecordingChannel
from support.world import World

SHOPS = 12
NAMES = {3: "Quasar\x1b[2J & Co", 5: "Ünïcödé — ☃", 7: "line\nbreak"}


def _shops(world: World) -> None:
    """Shops 1..12 in June 2020: some past 50 %, some past 100 %, one resumed in July."""
    for shop in range(1, SHOPS + 1):
        world.platform.add_shop(shop, NAMES.get(shop))
        world.platform.set_budget(shop, "2020-06", "100.00", f"{shop * 11}.00")


def _undeliver(world: World) -> None:
    """Make every notification due again with no delivery record (the same outbox, anew)."""
    with world.context.engine.begin() as connection:
        connection.execute(deliveries.delete())
        connection.execute(
            update(notifications).values(
                status="pending", next_attempt_at=notifications.c.created_at, delivered_at=None
            )
        )


def _printed(world: World, *, json_lines: bool) -> str:
    stream = io.StringIO()
    world.deliver(ConsoleChannel(stream, json_lines=json_lines))
    return stream.getvalue()


@pytest.mark.parametrize("json_lines", [False, True], ids=["readable", "json"])
def test_the_pass_prints_what_the_worker_printed_byte_for_byte(
    world: World, json_lines: bool
) -> None:
    _shops(world)
    world.evaluate("2020-06-30")
    world.platform.set_budget(10, "2020-07", "500.00", "1.00")
    world.evaluate("2020-07-01")  # shop 10 resumed: a second kind, a later due time
    worker = world.with_settings(console_page_size=0)
    paged = world.with_settings(console_page_size=3)  # pages end inside and across due times

    old = _printed(worker, json_lines=json_lines)
    _undeliver(world)
    new = _printed(paged, json_lines=json_lines)

    assert new == old
    assert len(new.splitlines()) == len(world.platform.notifications()) > 6


def test_every_printed_notification_is_recorded_delivered_without_records(world: World) -> None:
    _shops(world)
    world.evaluate("2020-06-30")

    report = world.with_settings(console_page_size=4).deliver()

    queued = world.platform.notifications()
    assert report.delivered == report.dispatched == len(queued)
    assert sum(report.attempts.values()) == len(queued)
    assert {(n["status"], n["next_attempt_at"], n["attempts"]) for n in queued} == {
        ("dispatched", None, 1)
    }
    assert {n["delivered_at"] for n in queued} == {world.clock.now}
    assert sorted(n.id for n in world.channel.sent) == [n["id"] for n in queued]
    assert world.deliver().delivered == 0, "nothing is due any more"


class Crash(BaseException):
    """Dies like a killed process: nothing of budgetguard's catches it."""


class CrashingAfterPrinting(RecordingChannel):
    """Prints (records) its second batch, then dies before the pass can record it."""

    def deliver(self, batch: Sequence[Notification]) -> dict[int, str]:
        self.sent.extend(batch)
        if len(self.sent) > len(batch):
            raise Crash
        return {}


def test_a_crash_between_printing_and_recording_prints_the_page_again_never_skips_it(
    world: World, backend: str
) -> None:
    _shops(world)
    world.evaluate("2020-06-30")
    paged = world.with_settings(console_page_size=3)
    dying = CrashingAfterPrinting()

    with pytest.raises(Crash):
        paged.deliver(dying)
    first, second = dying.sent[:3], dying.sent[3:]
    if backend == "sqlite":
        world.clock.advance(timedelta(seconds=61))  # SQLite's pages are claimed for the lease
    paged.deliver()

    again = [n.id for n in world.channel.sent]
    assert {n.id for n in second} <= set(again), "the page printed but not recorded, again"
    if backend != "sqlite":  # on SQLite it is due again after its claim, so after the others
        assert again[:3] == [n.id for n in second], "first, as it was due first"
    queued = [n["id"] for n in world.platform.notifications()]
    assert sorted({n.id for n in first} | set(again)) == queued, "none skipped"
    assert not {n.id for n in first} & set(again), "the recorded page is not printed again"
    assert {n["delivered_at"] is not None for n in world.platform.notifications()} == {True}


def test_a_notification_with_a_contact_goes_through_the_worker(world: World) -> None:
    _shops(world)
    spec = ContactSpec(ChannelKind.EMAIL, "owner@shop6.example")
    contact = add_contact(actor="tests", context=world.context, shop_id=6, spec=spec).contact.id
    world.check("2020-06-30")

    assert 6 not in {n.shop_id for n in world.channel.sent}
    assert len(world.channel.sent) == len(world.platform.notifications()) - 1
    with world.context.engine.connect() as connection:
        (row,) = connection.execute(select(deliveries)).mappings()
    assert (row["shop_id"], row["recipient"]) == (6, f"contact:{contact}")
    assert row["last_error"].startswith("no SMTP server"), "sent (and failed) by the worker"


def test_a_notification_that_gains_a_contact_while_printed_is_left_to_the_worker(
    world: World,
) -> None:
    _shops(world)
    world.evaluate("2020-06-30")
    spec = ContactSpec(ChannelKind.EMAIL, "owner@shop6.example")

    class AddingAContact(RecordingChannel):
        def deliver(self, batch: Sequence[Notification]) -> dict[int, str]:
            if not self.sent:  # the shop's owner adds a contact while the first page prints
                add_contact(actor="tests", context=world.context, shop_id=6, spec=spec)
            return dict(super().deliver(batch))

    channel = AddingAContact()
    report = world.deliver(channel)

    assert 6 in {n.shop_id for n in channel.sent}, "printed once more than needed"
    by_shop = {n["shop_id"]: n for n in world.platform.notifications()}
    assert by_shop[6]["delivered_at"] is None, "not recorded as the console's"
    assert report.delivered == len(by_shop) - 1
    with world.context.engine.connect() as connection:
        (row,) = connection.execute(select(deliveries)).mappings()
    assert (row["shop_id"], row["channel"], row["status"]) == (6, "email", "failed")


def test_a_console_that_fails_midway_leaves_the_rest_to_the_worker(world: World) -> None:
    _shops(world)
    world.evaluate("2020-06-30")
    queued = [n["id"] for n in world.platform.notifications()]
    failing = RecordingChannel(failing={queued[4]})

    report = world.with_settings(console_page_size=3).deliver(failing)

    assert [n.id for n in failing.sent] == [i for i in queued if i != queued[4]], "in order"
    assert (report.delivered, report.retrying) == (len(queued) - 1, 1)
    with world.context.engine.connect() as connection:
        rows = connection.execute(select(deliveries).order_by(deliveries.c.id)).mappings()
        by_worker = {row["notification_id"]: row["status"] for row in rows}
    assert by_worker == {queued[4]: "failed", **{i: "delivered" for i in queued[6:]}}, (
        "the failing page's records and what followed it are the worker's"
    )
