"""Health, readiness, metrics, a database outage and recovery, over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from budgetguard.api.metrics import Metrics
from budgetguard.bootstrap import build_context
from budgetguard.config import Settings
from support.api import JUNE, Api
from support.platform import Platform
from support.proxy import Proxy
from support.server import AUTH, api_in_thread
from support.world import World


def test_health_and_readiness(api: Api) -> None:
    assert httpx.get(f"{api.url}/healthz").json() == {"status": "alive"}
    assert httpx.get(f"{api.url}/readyz").json() == {"status": "ready"}


def test_readiness_fails_on_a_database_never_upgraded(fresh_url: str) -> None:
    context = build_context(Settings(database_url=fresh_url))
    with api_in_thread(context) as (url, _, _):
        answer = httpx.get(f"{url}/readyz")
    context.close()

    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert "db upgrade" not in answer.text, "no internals in the answer"


def test_metrics_count_events_notifications_and_paused_shops(api: Api) -> None:
    api.world.platform.add_shop(3)
    api.world.platform.set_budget(3, JUNE, "100.00")
    api.spend("e1", 3, "120.00")
    api.spend("e1", 3, "120.00")

    text = httpx.get(f"{api.url}/metrics").text

    assert 'budgetguard_spend_events_total{outcome="applied"} 1.0' in text
    assert 'budgetguard_spend_events_total{outcome="duplicate"} 1.0' in text
    assert 'budgetguard_notifications_queued_total{kind="threshold"} 1.0' in text
    assert 'budgetguard_evaluations_total{trigger="request"} 1.0' in text
    assert "budgetguard_shops_paused 1.0" in text
    assert "budgetguard_notifications_waiting 1.0" in text
    assert "budgetguard_delivery_lag_seconds" in text


@pytest.fixture
def outage(db_url: str, world: World) -> Iterator[tuple[Api, Proxy]]:
    url = make_url(db_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 0))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    context = build_context(Settings(database_url=proxied), clock=world.clock)
    try:
        with (
            api_in_thread(context) as (base, runtime, bell),
            httpx.Client(base_url=base, headers=AUTH, timeout=60) as http,
        ):
            platform = Platform(world.context.engine)
            yield Api(base, http, runtime, bell, World(context, platform, world.clock)), proxy
    finally:
        context.close()
        proxy.close()


# An embedded SQLite database cannot be cut off.
@pytest.mark.parametrize("backend", ["mariadb", "postgresql"])
def test_a_database_outage_is_503_and_the_service_recovers_by_itself(
    outage: tuple[Api, Proxy],
) -> None:
    api, proxy = outage
    api.world.platform.add_shop(3)
    api.world.platform.set_budget(3, JUNE, "100.00")
    assert api.spend("e1", 3, "10.00").status_code == 200

    proxy.cut()
    during = api.spend("e2", 3, "10.00")
    ready_during = httpx.get(f"{api.url}/readyz")
    proxy.restore()
    recovered = _eventually_ready(api.url)

    assert during.status_code == 503
    assert during.headers["content-type"] == "application/problem+json"
    assert during.json()["detail"] == "The database is unavailable or not ready; try again shortly."
    assert ready_during.status_code == 503
    assert recovered
    assert api.spend("e3", 3, "10.00").status_code == 200
    assert api.spent(3) == 20


def _eventually_ready(url: str) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/readyz").status_code == 200:
            return True
        time.sleep(0.2)
    return False


def test_metrics_count_every_recipients_deliveries_by_kind(api: Api) -> None:
    world, metrics = api.world, Metrics(api.world.context)
    for shop in (1, 2):
        world.platform.add_shop(shop)
        world.platform.set_budget(shop, JUNE, "100.00", "100.00")
    world.evaluate("2020-06-30")  # two `threshold` notifications
    metrics.delivery(world.deliver())
    world.platform.set_budget_amount(1, JUNE, "300.00")
    world.evaluate("2020-06-30")  # shop 1's `resumed`
    world.channel.fail_all = True

    metrics.delivery(world.deliver())

    text = metrics.render().decode()
    assert 'budgetguard_notifications_delivered_total{kind="threshold"} 2.0' in text
    assert 'budgetguard_notifications_delivered_total{kind="resumed"} 0.0' in text
    assert 'budgetguard_notifications_failed_total{kind="resumed"} 1.0' in text
