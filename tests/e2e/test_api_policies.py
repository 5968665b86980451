"""A shop's policy over real HTTP, on every database: GET, PUT (replace), PATCH (merge), DELETE,
refusals naming the field, the audit trail, and the effective policy in the shop's standing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from budgetguard.db.catalog import audit
from budgetguard.db.catalog import policies as stored
from budgetguard.domain.audit import AuditEntry
from budgetguard.domain.policy import ShopPolicy
from support.api import JUNE, Api

DEFAULT_SOURCES = {
    "thresholds": "default",
    "pause_at": "default",
    "timezone": "default",
    "language": "default",
    "currency": "default",
    "forecast": "default",
    "recurring_budget": "none",
}
GERMAN = {
    "thresholds": [80, 50, 100],
    "pause_at": 100,
    "timezone": "Europe/Berlin",
    "language": "de",
    "currency": "EUR",
    "forecast": False,
    "recurring_budget": "500.00",
}


@pytest.fixture
def shop(api: Api) -> Api:
    """The API, with shop 3 and its June budget."""
    api.world.platform.add_shop(3, "As Seen On Sale")
    api.world.platform.set_budget(3, JUNE, "650.00", "100.00")
    return api


def _stored(api: Api, shop_id: int = 3) -> ShopPolicy | None:
    with api.world.context.engine.connect() as connection:
        return stored.read(connection, shop_id)


def _audit(api: Api, shop_id: int = 3) -> list[AuditEntry]:
    with api.world.context.engine.connect() as connection:
        return list(reversed(audit.of_shop(connection, shop_id)))


def test_a_shop_without_a_policy_follows_the_settings(shop: Api) -> None:
    answer = shop.http.get("/v1/shops/3/policy")

    assert answer.status_code == 200
    body = answer.json()
    assert body["own"] == dict.fromkeys(GERMAN)
    assert body["effective"] == {
        "thresholds": [50, 100],
        "pause_at": 100,
        "timezone": "UTC",
        "language": "en",
        "currency": None,
        "forecast": False,  # the test world turns forecasts off
        "recurring_budget": None,
        "sources": DEFAULT_SOURCES,
    }


def test_put_replaces_the_policy_and_get_reads_it_back(shop: Api) -> None:
    put = shop.http.put("/v1/shops/3/policy", json=GERMAN)

    assert put.status_code == 200
    assert put.json() == shop.http.get("/v1/shops/3/policy").json()
    effective = put.json()["effective"]
    assert effective["thresholds"] == [50, 80, 100]
    assert (effective["language"], effective["currency"]) == ("de", "EUR")
    assert (effective["forecast"], effective["recurring_budget"]) == (False, "500.00")
    assert set(effective["sources"].values()) == {"shop"}
    assert _stored(shop) == ShopPolicy(
        thresholds=(50, 80, 100),
        pause_at=100,
        timezone="Europe/Berlin",
        language="de",
        currency="EUR",
        forecast=False,
        recurring_budget=Decimal("500.00"),
    )


def test_put_unsets_every_field_it_leaves_out(shop: Api) -> None:
    shop.http.put("/v1/shops/3/policy", json=GERMAN)

    again = shop.http.put("/v1/shops/3/policy", json={"language": "fr"})

    assert again.status_code == 200
    own = again.json()["own"]
    assert own == {**dict.fromkeys(GERMAN), "language": "fr"}
    assert again.json()["effective"]["sources"] == {**DEFAULT_SOURCES, "language": "shop"}


def test_patch_merges_null_clears_and_absent_keeps(shop: Api) -> None:
    shop.http.put("/v1/shops/3/policy", json=GERMAN)

    patched = shop.http.patch(
        "/v1/shops/3/policy", json={"pause_at": "none", "currency": None, "language": "it"}
    )

    assert patched.status_code == 200
    own = patched.json()["own"]
    assert own == {**GERMAN, "thresholds": [50, 80, 100], "pause_at": "none", "currency": None,
                   "language": "it"}  # fmt: skip
    assert patched.json()["effective"]["sources"]["currency"] == "default"
    assert _stored(shop).pause_at == "none"  # type: ignore[union-attr]


def test_delete_clears_the_whole_policy(shop: Api) -> None:
    shop.http.put("/v1/shops/3/policy", json=GERMAN)

    deleted = shop.http.delete("/v1/shops/3/policy")

    assert deleted.status_code == 204
    assert _stored(shop) is None
    assert shop.http.get("/v1/shops/3/policy").json()["effective"]["sources"] == DEFAULT_SOURCES


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "America"}, "timezone"),  # a directory of the zone database
        ({"language": "tlh"}, "language"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"pause_at": 80}, "pause_at"),
        ({"thresholds": [50, 80], "pause_at": 100}, "pause_at"),
        ({"thresholds": [50, 80]}, "thresholds"),
        ({"thresholds": [0, 100]}, "thresholds"),
        ({"thresholds": [50, 50, 100]}, "thresholds"),
        ({"pause_at": "never"}, "pause_at"),
        ({"recurring_budget": "12.345"}, "recurring_budget"),
        ({"recurring_budget": "-5.00"}, "recurring_budget"),
        ({"recurring_budget": 500}, "recurring_budget"),
        ({"forecast": "sometimes"}, "forecast"),
        ({"colour": "red"}, "colour"),
    ],
)
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_bad_value_is_422_naming_the_field_and_nothing_is_stored(
    shop: Api, method: str, body: dict[str, Any], field: str
) -> None:
    shop.http.put("/v1/shops/3/policy", json={"language": "de"})

    answer = shop.http.request(method, "/v1/shops/3/policy", json=body)

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert field in problem["detail"]
    assert _stored(shop) == ShopPolicy(language="de")
    assert len(_audit(shop)) == 1, "a refused change is not audited"


def test_every_field_at_fault_is_named_at_once(shop: Api) -> None:
    body = {"timezone": "Nowhere/Land", "language": "xx", "currency": "ABC"}

    answer = shop.http.patch("/v1/shops/3/policy", json=body)

    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["timezone", "language", "currency"]


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_an_unknown_shop_is_404_and_nothing_is_stored(shop: Api, method: str) -> None:
    body = None if method in {"GET", "DELETE"} else {"language": "de"}

    answer = shop.http.request(method, "/v1/shops/404/policy", json=body)

    assert answer.status_code == 404
    assert answer.json()["detail"] == "shop 404 does not exist"
    assert _stored(shop, 404) is None
    assert _audit(shop, 404) == []


def test_a_policy_needs_an_api_key(shop: Api) -> None:
    answer = shop.http.put("/v1/shops/3/policy", json=GERMAN, headers={"Authorization": ""})

    assert answer.status_code == 401
    assert _stored(shop) is None


def test_each_change_is_audited_under_the_api_key_and_no_change_is_not(shop: Api) -> None:
    shop.http.put("/v1/shops/3/policy", json={"thresholds": [50, 100], "language": "de"})
    shop.http.patch("/v1/shops/3/policy", json={"language": "de"})  # the same value again
    shop.http.patch("/v1/shops/3/policy", json={"pause_at": "none", "language": None})
    shop.http.delete("/v1/shops/3/policy")

    entries = _audit(shop)
    assert [(e.actor, e.action, e.shop_id) for e in entries] == [
        ("api:tests", "policy.set", 3),
        ("api:tests", "policy.set", 3),
        ("api:tests", "policy.cleared", 3),
    ]
    assert entries[0].detail == {
        "thresholds": {"from": None, "to": [50, 100]},
        "language": {"from": None, "to": "de"},
    }
    assert entries[1].detail == {
        "pause_at": {"from": None, "to": "none"},
        "language": {"from": "de", "to": None},
    }
    assert entries[2].detail == {
        "thresholds": {"from": [50, 100], "to": None},
        "pause_at": {"from": "none", "to": None},
    }
    assert entries[0].at == shop.world.clock()


def test_the_standing_shows_the_effective_policy_with_sources(shop: Api) -> None:
    shop.http.patch("/v1/shops/3/policy", json={"pause_at": "none", "currency": "CHF"})

    standing = shop.http.get("/v1/shops/3").json()
    listed = shop.http.get("/v1/shops").json()["items"]
    budget = shop.http.get(f"/v1/shops/3/budgets/{JUNE}").json()

    policy = standing["policy"]
    assert (policy["pause_at"], policy["currency"], policy["thresholds"]) == (
        "none",
        "CHF",
        [50, 100],
    )
    assert policy["sources"] == {**DEFAULT_SOURCES, "pause_at": "shop", "currency": "shop"}
    assert listed[0]["policy"] == policy == budget["policy"]


def test_a_spend_answer_carries_the_shops_policy(shop: Api) -> None:
    shop.http.patch("/v1/shops/3/policy", json={"language": "nl"})

    answer = shop.spend("policy-1", 3, "10.00")

    assert answer.status_code in {200, 201}, answer.text
    assert answer.json()["policy"]["language"] == "nl"
    assert answer.json()["policy"]["sources"]["language"] == "shop"


def test_concurrent_patches_of_one_shop_all_land(shop: Api) -> None:
    changes = [
        {"thresholds": [50, 80, 100]},
        {"timezone": "Pacific/Auckland"},
        {"language": "es"},
        {"currency": "NZD"},
        {"forecast": False},
        {"recurring_budget": "750.00"},
    ]
    with ThreadPoolExecutor(len(changes)) as pool:
        answers = list(
            pool.map(lambda body: shop.http.patch("/v1/shops/3/policy", json=body), changes)
        )

    assert [a.status_code for a in answers] == [200] * len(changes)
    own = shop.http.get("/v1/shops/3/policy").json()["own"]
    assert own == {**{k: v for change in changes for k, v in change.items()}, "pause_at": None}
    assert len(_audit(shop)) == len(changes)
