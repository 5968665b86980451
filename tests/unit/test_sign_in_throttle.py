"""The rule that slows down repeated failed sign-ins (domain/sign_in.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from budgetguard.domain.sign_in import (
    BY_CLIENT,
    BY_NAME,
    SUBJECT_LIMIT,
    WINDOW,
    Failures,
    client_key,
    counted,
    seconds_to_wait,
    subjects,
    wait_for,
)

NOW = datetime(2020, 7, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def name_failures(failures: int, ago: timedelta = timedelta(0)) -> Failures:
    return Failures("name:olga", failures, NOW - ago)


def test_the_first_five_failures_of_a_name_cost_nothing() -> None:
    assert [wait_for(name_failures(n), NOW) for n in range(5)] == [timedelta(0)] * 5


def test_after_five_failures_each_further_one_doubles_the_wait_up_to_a_minute() -> None:
    waits = [BY_NAME.delay(n).total_seconds() for n in range(5, 14)]

    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert BY_NAME.delay(10_000) == timedelta(seconds=60)


def test_the_wait_is_counted_from_the_last_failure() -> None:
    assert wait_for(name_failures(7), NOW) == 4 * SECOND
    assert wait_for(name_failures(7, ago=3 * SECOND), NOW) == SECOND
    assert wait_for(name_failures(7, ago=4 * SECOND), NOW) == timedelta(0)


def test_a_client_has_twenty_free_failures_because_many_people_may_share_its_address() -> None:
    client = Failures("client:203.0.113.5", 20, NOW)

    assert BY_CLIENT.free_failures == 20
    assert wait_for(Failures("client:203.0.113.5", 19, NOW), NOW) == timedelta(0)
    assert wait_for(client, NOW) == SECOND


def test_failures_older_than_the_window_are_forgotten() -> None:
    old = name_failures(12, ago=WINDOW)

    assert counted(old, NOW) == 0
    assert wait_for(old, NOW) == timedelta(0)
    assert counted(name_failures(12, ago=WINDOW - SECOND), NOW) == 12


def test_a_name_counts_lowercased_and_a_client_by_its_address() -> None:
    assert subjects("  Olga ", "203.0.113.5") == ("name:olga", "client:203.0.113.5")
    assert subjects("x" * 500, None)[0] == ("name:" + "x" * 500)[:SUBJECT_LIMIT]
    assert subjects("olga", None)[1] == "client:unknown"


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("testclient", "testclient"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_client_counts_by_its_64_bit_prefix(address: str | None, key: str) -> None:
    assert client_key(address) == key


def test_a_wait_is_told_in_whole_seconds_rounded_up() -> None:
    assert seconds_to_wait(timedelta(seconds=1.2)) == 2
    assert seconds_to_wait(timedelta(seconds=4)) == 4
    assert seconds_to_wait(timedelta(microseconds=1)) == 1
