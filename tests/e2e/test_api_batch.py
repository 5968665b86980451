"""POST /v1/spend/batch over real HTTP, on every database: all or nothing, every bad event named."""

from __future__ import annotations

from decimal import Decimal

from support.api import JUNE, Api, event


def _shops(api: Api, *shop_ids: int) -> None:
    for shop_id in shop_ids:
        api.world.platform.add_shop(shop_id)
        api.world.platform.set_budget(shop_id, JUNE, "100.00")


def test_a_batch_applies_every_event_and_answers_each_budget_touched(api: Api) -> None:
    _shops(api, 1, 2, 3)
    events = [event(f"e{i}", 1 + i % 3, "7.00") for i in range(30)]

    answer = api.batch(events)

    assert answer.status_code == 200
    body = answer.json()
    assert (body["applied"], body["duplicates"]) == (30, 0)
    assert [(b["shop_id"], b["spent"], b["thresholds_fired"]) for b in body["budgets"]] == [
        (1, "70.00", [50]),
        (2, "70.00", [50]),
        (3, "70.00", [50]),
    ]
    assert len(api.world.platform.notifications()) == 3


def test_a_batch_sent_again_counts_only_duplicates(api: Api) -> None:
    _shops(api, 1, 2)
    events = [event(f"e{i}", 1 + i % 2, "60.00") for i in range(4)]
    first = api.batch(events)

    again = api.batch([*events, event("e-new", 1, "1.00")])

    assert (again.json()["applied"], again.json()["duplicates"]) == (1, 4)
    assert api.spent(1) == Decimal("121.00")
    assert first.json()["budgets"][1] == again.json()["budgets"][1]


def test_an_event_repeated_inside_one_batch_counts_once(api: Api) -> None:
    _shops(api, 1)

    answer = api.batch([event("e1", 1, "5.00"), event("e1", 1, "5.00")])

    assert (answer.json()["applied"], answer.json()["duplicates"]) == (1, 1)
    assert api.spent(1) == Decimal("5.00")


def test_bad_events_are_each_named_by_index_and_nothing_is_applied(api: Api) -> None:
    _shops(api, 1)
    events = [
        event("ok-1", 1, "5.00"),
        event("bad-amount", 1, "5.001"),
        event("ok-2", 1, "5.00"),
        {**event("bad-zone", 1, "5.00"), "occurred_at": "2020-06-20T10:00:00"},
        event("bad-zero", 1, "0.00"),
    ]

    answer = api.batch(events)

    assert answer.status_code == 422
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == ["events[1].amount", "events[3].occurred_at", "events[4].amount"]
    assert api.spent(1) == Decimal("0.00")
    assert api.events_stored() == 0


def test_one_unknown_shop_refuses_the_whole_batch(api: Api) -> None:
    _shops(api, 1)

    answer = api.batch([event("e1", 1, "5.00"), event("e2", 42, "5.00")])

    assert answer.status_code == 404
    assert answer.json()["errors"] == [
        {"field": "events[1].shop_id", "reason": "shop 42 does not exist"}
    ]
    assert api.events_stored() == 0


def test_a_budget_missing_for_one_event_refuses_the_whole_batch(api: Api) -> None:
    _shops(api, 1)

    answer = api.batch([event("e1", 1, "5.00"), event("e2", 1, "5.00", at="2020-07-02T00:00:00Z")])

    assert answer.status_code == 409
    assert answer.json()["detail"] == "shop 1 has no budget for 2020-07"
    assert api.spent(1) == Decimal("0.00")


def test_an_id_reused_with_another_payload_in_one_batch_is_422(api: Api) -> None:
    _shops(api, 1)

    answer = api.batch([event("e1", 1, "5.00"), event("e1", 1, "6.00")])

    assert answer.status_code == 422
    assert "events[1].event_id" in answer.json()["detail"]


def test_a_batch_over_10000_events_is_refused(api: Api) -> None:
    answer = api.batch([event(f"e{i}", 1, "1.00") for i in range(10_001)])

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "events"


def test_a_batch_of_10000_events_is_applied_whole(api: Api) -> None:
    _shops(api, *range(1, 101))

    answer = api.batch([event(f"e{i}", 1 + i % 100, "0.01") for i in range(10_000)])

    assert answer.json()["applied"] == 10_000
    assert {b["spent"] for b in answer.json()["budgets"]} == {"1.00"}


def test_an_event_id_repeated_with_another_payload_names_each_clash_by_index(api: Api) -> None:
    _shops(api, 1)
    events = [
        event("e1", 1, "5.00"),
        event("e2", 1, "5.00"),
        event("e1", 1, "6.00"),
        event("e1", 1, "5.00", at="2020-06-20T12:00:00+02:00"),  # the same instant: a repeat
        event("e2", 1, "5.00", at="2020-06-21T10:00:00Z"),
    ]

    answer = api.batch(events)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == [
        "events[2].event_id",
        "events[4].event_id",
    ]
    assert api.events_stored() == 0
