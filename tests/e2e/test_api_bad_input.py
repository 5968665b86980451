"""Bad input is refused with a 4xx problem naming the field, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support.api import IN_JUNE, JUNE, Api

# Input is checked before any database work: one database shows it.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

GOOD = {"event_id": "e-1", "shop_id": 3, "amount": "10.00", "occurred_at": IN_JUNE}


@pytest.fixture
def shop(api: Api) -> Api:
    api.world.platform.add_shop(3)
    api.world.platform.set_budget(3, JUNE, "100.00")
    return api


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"amount": 10}, "amount", "not a JSON number"),
        ({"amount": "10.001"}, "amount", "more than two decimals"),
        ({"amount": "1e3"}, "amount", "decimal string"),
        ({"amount": "NaN"}, "amount", "decimal string"),
        ({"amount": "Infinity"}, "amount", "decimal string"),
        ({"amount": "100000000.00"}, "amount", "between"),
        ({"amount": "9" * 400}, "amount", "decimal string"),
        ({"amount": "0.00"}, "amount", "must not be zero"),
        ({"amount": None}, "amount", "decimal string"),
        ({"event_id": ""}, "event_id", "at least 1 character"),
        ({"event_id": "x" * 200}, "event_id", "at most 128 characters"),
        ({"event_id": "has space"}, "event_id", "pattern"),
        ({"event_id": 7}, "event_id", "valid string"),
        ({"shop_id": "3"}, "shop_id", "valid integer"),
        ({"shop_id": 3.5}, "shop_id", "valid integer"),
        ({"shop_id": 0}, "shop_id", "greater than or equal to 1"),
        ({"shop_id": 10**30}, "shop_id", "less than or equal to 2147483647"),
        ({"shop_id": True}, "shop_id", "valid integer"),
        ({"occurred_at": "2020-06-20T10:00:00"}, "occurred_at", "with a zone"),
        ({"occurred_at": "2020-06-20"}, "occurred_at", "with a zone"),
        ({"occurred_at": "1592647200"}, "occurred_at", "RFC 3339"),
        ({"occurred_at": 1592647200}, "occurred_at", "RFC 3339"),
        ({"occurred_at": "2020-02-30T10:00:00Z"}, "occurred_at", "date"),
        ({"occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at", "between the years"),
        ({"surprise": 1}, "surprise", "not a known field"),
    ],
)
def test_a_bad_field_is_422_naming_it_and_nothing_is_stored(
    shop: Api, change: dict[str, Any], field: str, reason: str
) -> None:
    answer = shop.http.post("/v1/spend", json={**GOOD, **change})

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problems = answer.json()["errors"]
    assert [p["field"] for p in problems] == [field]
    assert reason in problems[0]["reason"]
    assert shop.events_stored() == 0


def test_a_missing_field_is_named(shop: Api) -> None:
    answer = shop.http.post("/v1/spend", json={"event_id": "e-1", "shop_id": 3})

    assert [(p["field"], p["reason"]) for p in answer.json()["errors"]] == [
        ("amount", "is required"),
        ("occurred_at", "is required"),
    ]


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"event_id": "e-1",}', b"[1, 2", b"\xff\xfe", b'{"amount": NaN}'],
)
def test_malformed_json_is_400(shop: Api, body: bytes) -> None:
    answer = shop.http.post("/v1/spend", content=body, headers={"Content-Type": "application/json"})

    assert answer.status_code in {400, 422}
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] in {"body", "amount", "event_id"}
    assert shop.events_stored() == 0


def test_a_body_over_the_limit_is_413(shop: Api) -> None:
    huge = b'{"events": [' + b'{"x": 1},' * 600_000 + b"]}"

    answer = shop.http.post(
        "/v1/spend/batch", content=huge, headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_body_over_the_limit_without_a_length_is_413(shop: Api) -> None:
    def chunks() -> Any:
        for _ in range(600):
            yield b" " * 10_000

    answer = shop.http.post(
        "/v1/spend/batch", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 413


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (f"/v1/shops/3/budgets/{JUNE}", {"budget": "-5.00"}, "budget"),
        (f"/v1/shops/3/budgets/{JUNE}", {"budget": "0"}, "budget"),
        (f"/v1/shops/3/budgets/{JUNE}", {"budget": 5}, "budget"),
        ("/v1/shops/3/budgets/2020-13", {"budget": "5.00"}, "month"),
        ("/v1/shops/3/budgets/June", {"budget": "5.00"}, "month"),
        ("/v1/shops/3/budgets/0001-01", {"budget": "5.00"}, "month"),
        ("/v1/shops/0/budgets/2020-06", {"budget": "5.00"}, "shop_id"),
        ("/v1/shops/3", {"name": "", "online": True}, "name"),
        ("/v1/shops/3", {"name": "nul\u0000byte", "online": True}, "name"),
        ("/v1/shops/3", {"name": "x" * 256, "online": True}, "name"),
        ("/v1/shops/3", {"name": "x", "online": "yes"}, "online"),
        ("/v1/shops/99999999999", {"name": "x", "online": True}, "shop_id"),
    ],
)
def test_bad_shop_and_budget_writes_are_422_naming_the_field(
    shop: Api, path: str, body: dict[str, Any], field: str
) -> None:
    answer = shop.http.put(path, json=body)

    assert answer.status_code == 422, answer.text
    assert [p["field"] for p in answer.json()["errors"]] == [field]
    assert shop.http.get(f"/v1/shops/3/budgets/{JUNE}").json()["budget"] == "100.00"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Evil\x1b[2J", "\\x1b"),
        ("two\r\nlines", "\\r, \\n"),
        ("csi \x9b2J", "\\x9b"),
        ("elas \u202eno", "\\u202e"),
        ("isolate \u2066x\u2069", "\\u2066, \\u2069"),
        ("mark \u200f", "\\u200f"),
    ],
)
def test_a_name_with_control_or_bidi_characters_is_422_naming_them(
    shop: Api, name: str, shown: str
) -> None:
    answer = shop.http.put("/v1/shops/3", json={"name": name, "online": True})

    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["errors"]
    assert problem["field"] == "name"
    assert problem["reason"] == f"must not contain control or bidirectional characters: {shown}"
    assert shop.http.get("/v1/shops/3").json()["shop_name"] == "Shop 3"


def test_a_name_of_broken_unicode_is_422(shop: Api) -> None:
    body = b'{"name": "lone \\ud800 surrogate", "online": true}'

    answer = shop.http.put(
        "/v1/shops/3", content=body, headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 422
    assert [p["field"] for p in answer.json()["errors"]] == ["name"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "9999999999"}, "cursor"),
        ({"online": "maybe"}, "online"),
    ],
)
def test_bad_query_parameters_are_422_naming_them(
    shop: Api, params: dict[str, Any], field: str
) -> None:
    answer = shop.http.get("/v1/shops", params=params)

    assert answer.status_code == 422
    assert [p["field"] for p in answer.json()["errors"]] == [field]


def test_a_notification_cursor_past_the_largest_id_is_422(shop: Api) -> None:
    answer = shop.http.get("/v1/notifications", params={"cursor": "9" * 19})

    assert answer.status_code == 422
    assert [p["field"] for p in answer.json()["errors"]] == ["cursor"]


def test_an_unknown_route_and_a_wrong_method_are_problems(shop: Api) -> None:
    missing = shop.http.get("/v1/nowhere")
    wrong = shop.http.delete("/v1/spend")

    assert (missing.status_code, wrong.status_code) == (404, 405)
    assert missing.headers["content-type"] == "application/problem+json"
    assert wrong.headers["content-type"] == "application/problem+json"


def test_an_error_never_shows_internals(shop: Api) -> None:
    answer = httpx.post(f"{shop.url}/v1/spend", json=GOOD, headers={"Authorization": "x"})

    assert "Traceback" not in answer.text
    assert "sqlalchemy" not in answer.text.lower()
