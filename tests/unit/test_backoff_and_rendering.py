import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from budgetguard.domain.backoff import retry_delay
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month
from budgetguard.notify.channels.console import as_json, as_line


def test_retries_double_from_half_a_minute_up_to_an_hour() -> None:
    rng = random.Random(7)
    delays = [retry_delay(n, rng=rng) for n in (1, 2, 3, 30)]
    assert timedelta(seconds=24) <= delays[0] <= timedelta(seconds=36)
    assert timedelta(seconds=48) <= delays[1] <= timedelta(seconds=72)
    assert timedelta(seconds=96) <= delays[2] <= timedelta(seconds=144)
    assert timedelta(minutes=48) <= delays[3] <= timedelta(minutes=72)


def test_thirty_attempts_span_about_a_day() -> None:
    rng = random.Random(1)
    total = sum((retry_delay(n, rng=rng) for n in range(1, 30)), timedelta())
    assert timedelta(hours=18) < total < timedelta(hours=36)


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        retry_delay(0, rng=random.Random())


PAUSED = Notification(
    id=7,
    kind=Kind.THRESHOLD,
    shop_id=3,
    shop_name="As Seen On Sale",
    month=Month(2020, 6),
    budget=Decimal("650.00"),
    spent=Decimal("685.91"),
    thresholds=(50, 100),
    action=Action.PAUSED,
    evaluated_on=date(2020, 6, 30),
    created_at=datetime(2026, 11, 24, 3, 0, tzinfo=UTC),
)


def test_the_json_line_carries_every_field_of_the_spec() -> None:
    line = json.loads(json.dumps(as_json(PAUSED)))
    assert line == {
        "id": 7,
        "kind": "threshold",
        "shop_id": 3,
        "shop_name": "As Seen On Sale",
        "month": "2020-06",
        "thresholds": [50, 100],
        "budget": "650.00",
        "spent": "685.91",
        "percent": 105.52,
        "action": "paused",
        "date": "2020-06-30",
        "created_at": "2026-11-24T03:00:00+00:00",
    }


def test_the_readable_line_says_who_how_much_and_what_was_done() -> None:
    assert as_line(PAUSED) == (
        "2020-06-30  #7 As Seen On Sale (shop 3), June 2020: spent 685.91 of 650.00 (105.52 %)"
        " — reached 50 %, 100 % — shop paused"
    )
