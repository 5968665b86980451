"""Shops, budgets, notifications and checks over real HTTP, on every database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete

from budgetguard.db.schema.tables import shops
from budgetguard.services.maintenance import prune_old_rows
from support.api import JUNE, Api


def test_a_shop_is_created_then_replaced(api: Api) -> None:
    created = api.http.put("/v1/shops/7", json={"name": "George Manly", "online": True})
    replaced = api.http.put("/v1/shops/7", json={"name": "George M.", "online": False})

    assert (created.status_code, replaced.status_code) == (201, 200)
    shown = api.http.get("/v1/shops/7").json()
    assert (shown["shop_name"], shown["online"], shown["budget"]) == ("George M.", False, None)


def test_an_unknown_shop_is_404(api: Api) -> None:
    answer = api.http.get("/v1/shops/404")

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "shop 404 does not exist"


def test_shops_are_listed_by_pages_and_filtered(api: Api) -> None:
    for shop_id in range(1, 8):
        api.world.platform.add_shop(shop_id, online=shop_id % 2 == 1)

    first = api.http.get("/v1/shops", params={"limit": 3}).json()
    second = api.http.get("/v1/shops", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    offline = api.http.get("/v1/shops", params={"online": "false"}).json()

    assert [s["shop_id"] for s in first["items"]] == [1, 2, 3]
    assert [s["shop_id"] for s in second["items"]] == [4, 5, 6]
    assert [s["shop_id"] for s in offline["items"]] == [2, 4, 6]
    assert offline["next_cursor"] is None


def test_a_new_budget_past_the_spend_pauses_at_once(api: Api) -> None:
    api.world.platform.add_shop(3)
    api.world.platform.set_budget(3, JUNE, "1000.00", "650.00")

    lowered = api.http.put(f"/v1/shops/3/budgets/{JUNE}", json={"budget": "600.00"})

    assert lowered.status_code == 200
    assert (lowered.json()["online"], lowered.json()["thresholds_fired"]) == (False, [50, 100])
    paused = api.http.get("/v1/shops", params={"paused": "true"}).json()["items"]
    assert [s["shop_id"] for s in paused] == [3]


def test_raising_the_budget_resumes_the_shop_and_rearms(api: Api) -> None:
    api.world.platform.add_shop(3)
    api.http.put(f"/v1/shops/3/budgets/{JUNE}", json={"budget": "100.00"})
    api.spend("e1", 3, "120.00")

    raised = api.http.put(f"/v1/shops/3/budgets/{JUNE}", json={"budget": "1000.00"})

    assert (raised.json()["online"], raised.json()["thresholds_fired"]) == (True, [])
    kinds = [n["kind"] for n in api.world.platform.notifications()]
    assert kinds == ["threshold", "resumed"]


def test_a_budget_for_a_coming_month_is_stored_but_not_evaluated(api: Api) -> None:
    api.world.platform.add_shop(3)

    created = api.http.put("/v1/shops/3/budgets/2020-07", json={"budget": "10.00"})

    assert created.status_code == 201
    assert created.json()["month"] == "2020-07"
    assert api.http.get("/v1/shops/3/budgets/2020-07").json()["spent"] == "0.00"


def test_a_budget_for_an_unknown_shop_is_404(api: Api) -> None:
    answer = api.http.put(f"/v1/shops/9/budgets/{JUNE}", json={"budget": "10.00"})

    assert answer.status_code == 404


def test_a_missing_budget_is_404_naming_shop_and_month(api: Api) -> None:
    api.world.platform.add_shop(3)

    answer = api.http.get("/v1/shops/3/budgets/2021-01")

    assert answer.status_code == 404
    assert answer.json()["detail"] == "shop 3 has no budget for 2021-01"


def test_a_shops_budgets_are_listed_by_month(api: Api) -> None:
    api.world.platform.add_shop(3)
    for month in ("2020-04", "2020-05", "2020-06"):
        api.world.platform.set_budget(3, month, "100.00")

    first = api.http.get("/v1/shops/3/budgets", params={"limit": 2}).json()
    rest = api.http.get("/v1/shops/3/budgets", params={"cursor": first["next_cursor"]}).json()

    assert [b["month"] for b in first["items"]] == ["2020-04", "2020-05"]
    assert [b["month"] for b in rest["items"]] == ["2020-06"]


def test_setting_a_paused_shop_online_by_hand_ends_the_claim(api: Api) -> None:
    api.world.platform.add_shop(3)
    api.world.platform.set_budget(3, JUNE, "100.00")
    api.spend("e1", 3, "150.00")

    online = api.http.put("/v1/shops/3", json={"name": "Shop 3", "online": True})

    assert (online.json()["online"], online.json()["paused_by_budgetguard"]) == (True, False)
    assert api.world.platform.paused_by_budgetguard() == set()


def test_notifications_are_listed_filtered_and_paged(api: Api) -> None:
    for shop_id in (1, 2, 3):
        api.world.platform.add_shop(shop_id)
        api.world.platform.set_budget(shop_id, JUNE, "100.00")
        api.spend(f"e{shop_id}", shop_id, "60.00")
    api.spend("e4", 3, "50.00")

    page = api.http.get("/v1/notifications", params={"limit": 2}).json()
    rest = api.http.get("/v1/notifications", params={"cursor": page["next_cursor"]}).json()
    shop3 = api.http.get("/v1/notifications", params={"shop_id": 3}).json()["items"]
    pending = api.http.get("/v1/notifications", params={"status": "pending"}).json()["items"]
    delivered = api.http.get("/v1/notifications", params={"status": "delivered"}).json()["items"]

    assert [n["shop_id"] for n in page["items"] + rest["items"]] == [1, 2, 3, 3]
    assert [(n["thresholds"], n["action"]) for n in shop3] == [([50], None), ([100], "paused")]
    assert (len(pending), delivered) == (4, [])
    assert shop3[1]["spent"] == "110.00"
    assert shop3[1]["percent"] == "110.00"
    api.world.deliver()
    after = api.http.get("/v1/notifications", params={"status": "delivered"}).json()["items"]
    assert [n["shop_id"] for n in after] == [1, 2, 3, 3]
    assert all(n["delivered_at"] for n in after)
    assert api.http.get("/v1/notifications", params={"status": "pending"}).json()["items"] == []


def test_a_check_evaluates_the_month_now(api: Api) -> None:
    api.world.platform.add_shop(3)
    api.world.platform.set_budget(3, JUNE, "100.00", "75.00")  # written straight to the table

    report = api.http.post("/v1/checks").json()

    assert (report["month"], report["budgets"], report["notifications"]) == (JUNE, 1, 1)
    assert api.bell.rung == 1


def test_a_check_of_another_month(api: Api) -> None:
    api.world.platform.add_shop(3)
    api.world.platform.set_budget(3, "2020-05", "100.00", "175.00")

    report = api.http.post("/v1/checks", json={"at": "2020-05-15T00:00:00Z"}).json()

    assert (report["month"], report["paused"]) == ("2020-05", 1)


def test_a_check_of_a_month_whose_alerts_were_pruned_is_409(api: Api) -> None:
    api.world.platform.add_shop(3)
    api.world.platform.set_budget(3, "2020-05", "100.00", "175.00")
    api.http.post("/v1/checks", json={"at": "2020-05-15T00:00:00Z"})
    api.world.clock.advance(timedelta(days=500))
    prune_old_rows(context=api.world.context)

    answer = api.http.post("/v1/checks", json={"at": "2020-05-15T00:00:00Z"})

    assert answer.status_code == 409, answer.text
    assert "evaluating 2020-05 again would notify its crossings a second time" in answer.text


def test_the_schema_documents_both_answers_of_a_put(api: Api) -> None:
    paths = api.http.get("/openapi.json").json()["paths"]

    for path in ("/v1/shops/{shop_id}", "/v1/shops/{shop_id}/budgets/{month}"):
        assert {"200", "201"} <= set(paths[path]["put"]["responses"]), path


def _platform_adds_shop(api: Api) -> int:
    """Insert a shop as the platform does: no id, the database picks the next one."""
    with api.world.context.engine.begin() as connection:
        key = connection.execute(shops.insert().values(a_name="Platform", a_online=True))
        return int(key.inserted_primary_key[0])


def test_creating_a_shop_never_moves_the_platforms_id_sequence_back(api: Api, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite hands out the largest id + 1 by design: there is no sequence")
    taken = [_platform_adds_shop(api) for _ in range(5)]
    with api.world.context.engine.begin() as connection:
        connection.execute(delete(shops).where(shops.c.a_id.in_([taken[1], taken[-1]])))

    created = api.http.put(f"/v1/shops/{taken[1]}", json={"name": "Back", "online": True})
    fresh = _platform_adds_shop(api)

    assert created.status_code == 201
    assert fresh > taken[-1], "neither the deleted top id nor an id in use is handed out again"


def test_creating_a_shop_above_the_id_sequence_moves_it_past(api: Api, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite hands out the largest id + 1 by design: there is no sequence")
    before = _platform_adds_shop(api)

    api.http.put(f"/v1/shops/{before + 100}", json={"name": "Ahead", "online": True})

    assert _platform_adds_shop(api) == before + 101
