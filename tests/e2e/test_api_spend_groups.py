"""POST /v1/spend under concurrency, on every database: events that arrive together share one
transaction (group commit), and each is answered as it would have been alone."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from budgetguard.db.schema.tables import spend_events
from support.api import JUNE, Api
from support.platform import Platform
from support.server import AUTH, start_serve

# A wide window, so that a burst from a busy test machine surely lands in one group or a few.
WIDE = 500


def _grouped(api: Api, window: float = WIDE) -> None:
    world = api.world.with_settings(spend_group_window=window)
    api.runtime.context = world.context


def _shops(api: Api, *shop_ids: int, budget: str = "1000.00", spent: str = "0.00") -> None:
    for shop_id in shop_ids:
        api.world.platform.add_shop(shop_id, f"Shop {shop_id}")
        api.world.platform.set_budget(shop_id, JUNE, budget, spent)


def _burst(api: Api, posts: Sequence[tuple[str, int, str]]) -> list[httpx.Response]:
    """POST every (event id, shop, amount) at once, each from a thread of its own."""
    with ThreadPoolExecutor(len(posts)) as pool:
        return list(pool.map(lambda post: api.spend(*post), posts))


def _groups(api: Api) -> tuple[float, float]:
    """The group commits counted so far, and the events they held."""
    registry = api.runtime.metrics.registry
    count = registry.get_sample_value("budgetguard_spend_group_events_count") or 0.0
    total = registry.get_sample_value("budgetguard_spend_group_events_sum") or 0.0
    return count, total


def test_concurrent_single_events_share_transactions(api: Api) -> None:
    _grouped(api)
    _shops(api, *range(1, 17))

    answers = _burst(api, [(f"order-{n}", n, "10.00") for n in range(1, 17)])

    assert [a.status_code for a in answers] == [200] * 16
    assert [a.json()["spent"] for a in answers] == ["10.00"] * 16
    groups, events = _groups(api)
    assert events == 16
    assert groups < 16, "at least two events shared a transaction"
    assert api.events_stored() == 16


def test_a_window_of_zero_applies_each_event_alone(api: Api) -> None:
    _grouped(api, window=0)
    _shops(api, 1, 2)

    answers = _burst(api, [("order-1", 1, "10.00"), ("order-2", 2, "10.00")])

    assert [a.status_code for a in answers] == [200, 200]
    assert _groups(api) == (0, 0)


def test_one_bad_event_in_a_burst_is_refused_alone(api: Api) -> None:
    _grouped(api)
    _shops(api, *range(1, 11), spent="5.00")
    api.world.platform.add_shop(11, "No budget")
    good = [(f"order-{n}", n, "10.00") for n in range(1, 11)]
    bad = [("ghost", 999, "10.00"), ("no-budget", 11, "10.00"), ("refund", 3, "-50.00")]

    answers = dict(zip(good + bad, _burst(api, good + bad), strict=True))

    assert {answers[post].status_code for post in good} == {200}
    assert answers[bad[0]].status_code == 404
    assert answers[bad[0]].json()["errors"] == [
        {"field": "shop_id", "reason": "shop 999 does not exist"}
    ]
    assert answers[bad[1]].status_code == 409
    assert answers[bad[1]].json()["detail"] == "shop 11 has no budget for 2020-06"
    assert answers[bad[2]].status_code == 409
    assert answers[bad[2]].json()["errors"][0]["field"] == "amount"
    assert api.events_stored() == 10
    assert [api.spent(n) for n in range(1, 11)] == [Decimal("15.00")] * 10
    assert _groups(api)[0] < 13, "the refused events shared groups with the others"


def test_repeats_within_and_across_groups_count_once(api: Api) -> None:
    _shops(api, 1, 2)
    assert api.spend("stored-before", 2, "7.00").status_code == 200
    _grouped(api)

    answers = _burst(api, [("order-1", 1, "40.00")] * 8 + [("stored-before", 2, "7.00")])

    assert [a.status_code for a in answers] == [200] * 9
    assert sum("Idempotent-Replayed" not in a.headers for a in answers[:8]) == 1
    assert {a.json()["spent"] for a in answers[:8]} == {"40.00"}
    assert answers[8].headers["Idempotent-Replayed"] == "true"
    assert answers[8].json()["spent"] == "7.00"
    assert (api.spent(1), api.spent(2)) == (Decimal("40.00"), Decimal("7.00"))
    assert api.events_stored() == 2
    assert _groups(api)[0] < 9


def test_an_id_reused_with_another_payload_in_a_group_is_refused_alone(api: Api) -> None:
    _grouped(api)
    _shops(api, 1)
    posts = [("order-1", 1, "40.00"), ("order-1", 1, "41.00"), ("order-2", 1, "1.00")]

    answers = _burst(api, posts)

    assert sorted(a.status_code for a in answers[:2]) == [200, 409]
    clash = next(a for a in answers[:2] if a.status_code == 409)
    assert clash.json()["errors"][0]["field"] == "event_id"
    counted = next(Decimal(p[2]) for p, a in zip(posts, answers, strict=False) if a.is_success)
    assert answers[2].status_code == 200
    assert api.spent(1) == counted + Decimal("1.00")
    assert api.events_stored() == 2


def test_a_group_fires_each_threshold_once_as_events_one_by_one_would(api: Api) -> None:
    _grouped(api)
    _shops(api, 1, budget="100.00")

    answers = _burst(api, [("a", 1, "30.00"), ("b", 1, "30.00"), ("c", 1, "50.00")])

    assert [a.status_code for a in answers] == [200, 200, 200]
    # Each answer is the budget once its own event counts: 30 + 30 + 50 in some order.
    spent = sorted(Decimal(a.json()["spent"]) for a in answers)
    assert spent[-1] == Decimal("110.00")
    assert len(set(spent)) == 3
    fired = [tuple(n["thresholds"].split(",")) for n in api.world.platform.notifications()]
    assert fired == [("50",), ("100",)], "one notification per threshold, each when crossed"
    assert api.world.platform.online(1) is False
    final = max(answers, key=lambda a: Decimal(a.json()["spent"])).json()
    assert final["paused_by_budgetguard"] is True
    assert final["thresholds_fired"] == [50, 100]


def _stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(spend_events)).scalar_one())


@pytest.mark.slow
def test_sigterm_answers_and_stores_every_event_of_a_group_waiting(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    platform = Platform(engine)
    now = datetime.now(UTC)  # the month of the budgets and of every event, however long it takes
    for shop_id in range(1, 9):
        platform.add_shop(shop_id)
        platform.set_budget(shop_id, now.strftime("%Y-%m"), "1000.00")
    # Events wait up to five seconds for their group: SIGTERM comes while they wait.
    served = start_serve(db_url, tmp_path, "serve", spend_group_window="5000")
    at = now.isoformat()
    clients = [httpx.Client(base_url=served.url, headers=AUTH, timeout=60) for _ in range(8)]

    def post(shop_id: int) -> int:
        body = {"event_id": f"e{shop_id}", "shop_id": shop_id, "amount": "1.00", "occurred_at": at}
        return clients[shop_id - 1].post("/v1/spend", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = pool.map(post, range(1, 9))
        time.sleep(2.5)  # the requests reach the server; their group stays open for 5 s
        assert served.stop() == 0
        answered = list(codes)
    for client in clients:
        client.close()

    assert answered == [200] * 8
    assert _stored(engine) == 8
