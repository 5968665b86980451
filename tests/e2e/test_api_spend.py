"""POST /v1/spend over real HTTP, on every database: counted once, evaluated in the same
transaction, refused whole."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from support.api import DEFAULT_POLICY, IN_JUNE, JUNE, Api
from support.server import AUTH


def _shop(api: Api, shop_id: int = 3, budget: str = "650.00", spent: str = "0.00") -> None:
    api.world.platform.add_shop(shop_id, "As Seen On Sale")
    api.world.platform.set_budget(shop_id, JUNE, budget, spent)


def test_an_event_past_the_budget_takes_the_shop_offline_before_the_answer(api: Api) -> None:
    _shop(api, spent="300.00")

    answer = api.spend("order-1", 3, "385.91")

    assert answer.status_code == 200
    assert answer.json() == {
        "shop_id": 3, "shop_name": "As Seen On Sale", "month": "2020-06", "budget": "650.00",
        "spent": "685.91", "percent": "105.52", "online": False, "paused_by_budgetguard": True,
        "thresholds_fired": [50, 100], "problem": None,
        "policy": DEFAULT_POLICY | {"forecast": False},  # the test world turns forecasts off
    }  # fmt: skip
    assert api.world.platform.online(3) is False
    (queued,) = api.world.platform.notifications()
    assert (queued["thresholds"], queued["action"], queued["kind"]) == (
        "50,100",
        "paused",
        "threshold",
    )
    assert api.bell.rung == 1, "the deliverer is told at once"


def test_an_event_below_every_threshold_queues_nothing(api: Api) -> None:
    _shop(api)

    answer = api.spend("order-1", 3, "12.34")

    assert answer.json()["spent"] == "12.34"
    assert answer.json()["thresholds_fired"] == []
    assert api.world.platform.notifications() == []


def test_the_same_event_twice_counts_once_and_answers_the_same(api: Api) -> None:
    _shop(api)

    first = api.spend("order-1", 3, "400.00")
    again = api.spend("order-1", 3, "400.00", at="2020-06-20T12:00:00+02:00")  # the same instant

    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.spent(3) == Decimal("400.00")
    assert len(api.world.platform.notifications()) == 1


def test_the_same_event_posted_concurrently_counts_once(api: Api) -> None:
    _shop(api)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: api.spend("order-1", 3, "400.00"), range(16)))

    assert {a.status_code for a in answers} == {200}
    assert sum("Idempotent-Replayed" not in a.headers for a in answers) == 1
    assert api.spent(3) == Decimal("400.00")
    assert api.events_stored() == 1
    assert len(api.world.platform.notifications()) == 1


def test_an_event_id_reused_with_another_payload_is_409_and_changes_nothing(api: Api) -> None:
    _shop(api)
    api.spend("order-1", 3, "10.00")

    answer = api.spend("order-1", 3, "10.01")

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"] == [
        {"field": "event_id", "reason": "event order-1 was recorded before with another payload"}
    ]
    assert api.spent(3) == Decimal("10.00")


def test_an_unknown_shop_is_404_and_nothing_is_stored(api: Api) -> None:
    answer = api.spend("order-1", 99, "10.00")

    assert answer.status_code == 404
    assert answer.json()["detail"] == "shop 99 does not exist"
    assert api.events_stored() == 0


def test_a_month_without_a_budget_is_409_naming_shop_and_month(api: Api) -> None:
    _shop(api)

    answer = api.spend("order-1", 3, "10.00", at="2020-05-31T23:00:00Z")

    assert answer.status_code == 409
    assert answer.json()["detail"] == "shop 3 has no budget for 2020-05"
    assert api.events_stored() == 0


def test_the_month_is_the_one_of_the_platform_time_zone(api: Api) -> None:
    world = api.world.with_settings(timezone="Europe/Berlin")
    api.runtime.context = world.context
    _shop(api)

    # 22:30 UTC on 31 May is already June in Berlin.
    answer = api.spend("order-1", 3, "10.00", at="2020-05-31T22:30:00Z")

    assert answer.status_code == 200
    assert answer.json()["month"] == "2020-06"


def test_a_refund_rearms_the_pause_and_brings_the_shop_back(api: Api) -> None:
    _shop(api)
    api.spend("order-1", 3, "700.00")

    refunded = api.spend("refund-1", 3, "-100.00")

    assert refunded.json()["spent"] == "600.00"
    assert refunded.json()["online"] is True
    assert refunded.json()["thresholds_fired"] == [50]
    kinds = [(n["kind"], n["action"]) for n in api.world.platform.notifications()]
    assert kinds == [("threshold", "paused"), ("resumed", "resumed")]


def test_spend_the_column_cannot_hold_is_409_and_stores_nothing(api: Api) -> None:
    _shop(api, budget="99999999.00", spent="99999999.00")

    answer = api.spend("order-1", 3, "1.00")

    assert answer.status_code == 409
    assert "would exceed 99999999.99" in answer.json()["detail"]
    assert api.spent(3) == Decimal("99999999.00")
    assert api.events_stored() == 0


def test_a_refund_larger_than_the_spend_is_409(api: Api) -> None:
    _shop(api, spent="5.00")

    answer = api.spend("refund-1", 3, "-5.01")

    assert answer.status_code == 409
    assert "negative" in answer.json()["detail"]
    assert api.spent(3) == Decimal("5.00")


def test_an_event_of_an_earlier_month_is_counted_but_not_evaluated(api: Api) -> None:
    _shop(api)
    api.world.platform.set_budget(3, "2020-05", "100.00")

    answer = api.spend("late-1", 3, "150.00", at="2020-05-31T12:00:00Z")

    assert answer.json()["spent"] == "150.00"
    assert answer.json()["thresholds_fired"] == [], "May is over: no alert, no pause"
    assert api.world.platform.online(3) is True


def test_cents_add_up_exactly_on_every_database(api: Api) -> None:
    _shop(api, budget="1000.00")

    for i in range(30):
        api.spend(f"order-{i}", 3, "0.10")
    last = api.spend("order-last", 3, "0.01")

    assert last.json()["spent"] == "3.01"
    assert api.spent(3) == Decimal("3.01")


@pytest.mark.slow
def test_64_concurrent_clients_for_one_shop_lose_no_update(api: Api) -> None:
    _shop(api, budget="100.00")
    amounts = [Decimal("0.37") + Decimal(i % 7) / 100 for i in range(640)]

    def client(first: int) -> list[int]:
        """One of 64 clients: ten events, one after the other, on its own connection."""
        with httpx.Client(base_url=api.url, headers=AUTH, timeout=120) as http:
            return [
                http.post("/v1/spend", json={"event_id": f"e-{index}", "shop_id": 3,
                          "amount": str(amounts[index]), "occurred_at": IN_JUNE}).status_code
                for index in range(first, len(amounts), 64)
            ]  # fmt: skip

    with ThreadPoolExecutor(64) as pool:
        codes = [code for codes in pool.map(client, range(64)) for code in codes]

    assert codes == [200] * len(amounts)
    assert api.spent(3) == sum(amounts)
    fired = [(n["thresholds"], n["action"]) for n in api.world.platform.notifications()]
    assert sorted(fired) == [("100", "paused"), ("50", None)]
