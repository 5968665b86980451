"""Requests racing each other and the platform's own writers, over real HTTP, on every database:
nobody deadlocks, nobody fails, no update is lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
from sqlalchemy import exc, text

from support.api import IN_JUNE, JUNE, Api
from support.platform import first_day
from support.server import AUTH

CLIENTS = 4
# The platform's spend updater, exactly as it runs (SPEC §2): it must keep working unchanged.
PLATFORM_UPDATE = text(
    "UPDATE t_budgets SET a_amount_spent = a_amount_spent + 0.01 "
    "WHERE a_shop_id = :shop_id AND a_month = :month"
)


def _shop(api: Api, shop_id: int, budget: str = "90000.00") -> None:
    api.world.platform.add_shop(shop_id)
    api.world.platform.set_budget(shop_id, JUNE, budget)


def _post_spend(api: Api, shop_id: int, client: int, count: int) -> list[int]:
    codes = []
    with httpx.Client(base_url=api.url, headers=AUTH, timeout=120) as http:
        for i in range(count):
            body = {"event_id": f"c{client}-{i}", "shop_id": shop_id, "amount": "1.00",
                    "occurred_at": IN_JUNE}  # fmt: skip
            codes.append(http.post("/v1/spend", json=body).status_code)
    return codes


def _platform_updates(api: Api, shop_id: int, count: int) -> list[str]:
    """Run the platform's updater `count` times, each in its own transaction; return failures."""
    failures = []
    engine = api.world.context.engine
    for _ in range(count):
        try:
            with engine.begin() as connection:
                params = {"shop_id": shop_id, "month": first_day(JUNE)}
                assert connection.execute(PLATFORM_UPDATE, params).rowcount == 1
        except exc.DBAPIError as error:
            failures.append(str(error.orig))
    return failures


def test_the_platforms_spend_updates_never_fail_while_spend_events_arrive(api: Api) -> None:
    _shop(api, 801)
    per_client, updates = 40, 300

    with ThreadPoolExecutor(CLIENTS + 1) as pool:
        platform = pool.submit(_platform_updates, api, 801, updates)
        posted = [pool.submit(_post_spend, api, 801, c, per_client) for c in range(CLIENTS)]
        codes = [code for future in posted for code in future.result()]
        failures = platform.result()

    assert failures == []
    assert set(codes) == {200}
    assert api.spent(801) == CLIENTS * per_client * Decimal("1.00") + updates * Decimal("0.01")


def _put_budgets(api: Api, shop_id: int, client: int, count: int) -> list[int]:
    with httpx.Client(base_url=api.url, headers=AUTH, timeout=120) as http:
        return [
            http.put(
                f"/v1/shops/{shop_id}/budgets/{JUNE}", json={"budget": f"{90000 + client + i}.00"}
            ).status_code
            for i in range(count)
        ]


def _put_shops(api: Api, shop_id: int, client: int, count: int) -> list[int]:
    with httpx.Client(base_url=api.url, headers=AUTH, timeout=120) as http:
        return [
            http.put(
                f"/v1/shops/{shop_id}", json={"name": f"Shop {client}-{i}", "online": True}
            ).status_code
            for i in range(count)
        ]


def test_budget_and_shop_changes_racing_spend_events_all_succeed(api: Api) -> None:
    _shop(api, 602)
    per_client = 25

    with ThreadPoolExecutor(3 * CLIENTS) as pool:
        posted = [pool.submit(_post_spend, api, 602, c, per_client) for c in range(CLIENTS)]
        budgets = [pool.submit(_put_budgets, api, 602, c, per_client) for c in range(CLIENTS)]
        renamed = [pool.submit(_put_shops, api, 602, c, per_client) for c in range(CLIENTS)]
        spend_codes = [code for future in posted for code in future.result()]
        put_codes = [code for future in budgets + renamed for code in future.result()]

    assert set(spend_codes) == {200}
    assert set(put_codes) == {200}
    assert api.spent(602) == CLIENTS * per_client * Decimal("1.00")
