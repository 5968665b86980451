"""Every /v1 route needs an API key; health, readiness and metrics do not."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from budgetguard.api.app import create_api
from budgetguard.api.dependencies import KeyRing, Runtime
from budgetguard.api.metrics import Metrics
from budgetguard.api.routes import v1
from support.api import Api
from support.server import AUTH, KEY
from support.world import World

# Keys are checked before any database work: one database shows it.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

ROUTES = [
    ("POST", "/v1/spend"),
    ("POST", "/v1/spend/batch"),
    ("GET", "/v1/shops"),
    ("GET", "/v1/shops/1"),
    ("PUT", "/v1/shops/1"),
    ("GET", "/v1/shops/1/budgets"),
    ("GET", "/v1/shops/1/budgets/2020-06"),
    ("PUT", "/v1/shops/1/budgets/2020-06"),
    ("GET", "/v1/notifications"),
    ("POST", "/v1/checks"),
    ("GET", "/v1/shops/1/policy"),
    ("PUT", "/v1/shops/1/policy"),
    ("PATCH", "/v1/shops/1/policy"),
    ("DELETE", "/v1/shops/1/policy"),
    ("GET", "/v1/shops/1/contacts"),
    ("PUT", "/v1/shops/1/contacts"),
    ("DELETE", "/v1/shops/1/contacts"),
    ("DELETE", "/v1/shops/1/contacts/1"),
    ("GET", "/v1/deliveries"),
    ("POST", "/v1/deliveries/retry"),
]


def test_the_list_above_is_every_v1_route(api: Api) -> None:
    schema = httpx.get(f"{api.url}/openapi.json").json()
    documented = {
        (method.upper(), _example(path))
        for path, operations in schema["paths"].items()
        if path.startswith("/v1")
        for method in operations
    }

    assert documented == set(ROUTES)


def _example(path: str) -> str:
    for parameter, value in (("{shop_id}", "1"), ("{month}", "2020-06"), ("{contact_id}", "1")):
        path = path.replace(parameter, value)
    return path


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-key-of-ours-at-all"}, {"Authorization": "Basic eDp5"}],
    ids=["none", "wrong", "not-bearer"],
)
def test_a_v1_route_refuses_a_request_without_a_valid_key(
    api: Api, method: str, path: str, headers: dict[str, str]
) -> None:
    answer = httpx.request(method, f"{api.url}{path}", headers=headers, json={})

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["status"] == 401


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_v1_route_accepts_a_valid_key(api: Api, method: str, path: str) -> None:
    answer = api.http.request(method, path, json={})

    assert answer.status_code not in {401, 403}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"])
def test_operations_routes_need_no_key(api: Api, path: str) -> None:
    assert httpx.get(f"{api.url}{path}").status_code == 200


OPERATION_IDS = {
    ("GET", "/healthz"): "health-live",
    ("GET", "/readyz"): "health-ready",
    ("GET", "/metrics"): "metrics-get",
    ("POST", "/v1/spend"): "spend-post",
    ("POST", "/v1/spend/batch"): "spend-batch-post",
    ("GET", "/v1/shops"): "shops-list",
    ("GET", "/v1/shops/{shop_id}"): "shops-get",
    ("PUT", "/v1/shops/{shop_id}"): "shops-put",
    ("GET", "/v1/shops/{shop_id}/budgets"): "budgets-list",
    ("GET", "/v1/shops/{shop_id}/budgets/{month}"): "budgets-get",
    ("PUT", "/v1/shops/{shop_id}/budgets/{month}"): "budgets-put",
    ("GET", "/v1/shops/{shop_id}/policy"): "policy-get",
    ("PUT", "/v1/shops/{shop_id}/policy"): "policy-put",
    ("PATCH", "/v1/shops/{shop_id}/policy"): "policy-patch",
    ("DELETE", "/v1/shops/{shop_id}/policy"): "policy-delete",
    ("GET", "/v1/shops/{shop_id}/contacts"): "contacts-list",
    ("PUT", "/v1/shops/{shop_id}/contacts"): "contacts-put",
    ("DELETE", "/v1/shops/{shop_id}/contacts"): "contacts-delete-all",
    ("DELETE", "/v1/shops/{shop_id}/contacts/{contact_id}"): "contacts-delete",
    ("GET", "/v1/deliveries"): "deliveries-list",
    ("POST", "/v1/deliveries/retry"): "deliveries-retry",
    ("GET", "/v1/notifications"): "notifications-list",
    ("POST", "/v1/checks"): "checks-post",
}


def test_every_operation_has_a_short_stable_id_for_client_generators(api: Api) -> None:
    schema = httpx.get(f"{api.url}/openapi.json").json()

    found = {
        (method.upper(), path): operation["operationId"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }

    assert found == OPERATION_IDS


def test_a_route_added_under_v1_needs_a_key_without_asking_for_one(world: World) -> None:
    @v1.get("/probe", operation_id="probe-get")
    def probe() -> dict[str, str]:
        return {"probed": "yes"}

    async def ask() -> tuple[httpx.Response, httpx.Response]:
        app = create_api(Runtime(world.context, KeyRing({"tests": KEY}), Metrics(world.context)))
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            return await client.get("/v1/probe"), await client.get("/v1/probe", headers=AUTH)

    try:
        refused, accepted = asyncio.run(ask())
    finally:
        v1.routes.remove(next(r for r in v1.routes if getattr(r, "path", "") == "/v1/probe"))

    assert refused.status_code == 401
    assert accepted.json() == {"probed": "yes"}
