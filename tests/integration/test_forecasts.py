"""Forecast alerts (issue 9 §5) on real SQLite, MariaDB and PostgreSQL: at the pace so far, the
budget would reach the shop's limit before its month ends; once per shop per month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from budgetguard.db.catalog import policies
from budgetguard.db.schema.tables import forecasts
from budgetguard.domain.errors import Conflict
from budgetguard.domain.policy import SOFT_LIMIT, ShopPolicy
from budgetguard.domain.spend import SpendEvent
from budgetguard.services.maintenance import prune_old_rows
from budgetguard.services.spend import Located, record_spend
from support.world import World

JUNE = "2020-06"
# June has 30 days: at 2020-06-11 00:00 (UTC) ten of them, a third, have passed.
TENTH_DONE = "2020-06-11T00:00:00Z"


@pytest.fixture
def forecasting(world: World) -> World:
    """A world with forecasts on (the setting's default; the rules' tests turn them off)."""
    return world.with_settings(forecast=True)


def set_policy(world: World, shop_id: int, policy: ShopPolicy) -> None:
    with world.context.engine.begin() as connection:
        now, settings = datetime(2020, 6, 1, tzinfo=UTC), world.context.settings.thresholds
        policies.write(connection, shop_id, policy, now=now, settings=settings)


def forecast_months(world: World, shop_id: int) -> list[date]:
    query = select(forecasts.c.month).where(forecasts.c.shop_id == shop_id)
    with world.context.engine.connect() as connection:
        return list(connection.execute(query).scalars())


def test_a_pace_that_reaches_the_budget_by_the_months_end_is_forecast(forecasting: World) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.add_shop(2)
    world.platform.set_budget(1, JUNE, "90.00", "30.00")  # exactly 100 % by June 30
    world.platform.set_budget(2, JUNE, "90.00", "29.99")

    world.check(TENTH_DONE)

    assert world.sent == [(1, "forecast", (100,), None)]
    assert forecast_months(world, 1) == [date(2020, 6, 1)]
    (row,) = world.platform.notifications()
    assert row["kind"] == "forecast"
    assert row["thresholds"] == "100"
    assert row["action"] is None
    assert row["evaluated_on"] == date(2020, 6, 11)
    assert row["evaluated_at"] == datetime(2020, 6, 11, tzinfo=UTC)
    assert (row["timezone"], row["language"]) == ("UTC", "en")
    assert (row["budget"], row["spent"]) == (Decimal("90.00"), Decimal("30.00"))


def test_a_forecast_fires_once_and_never_again_that_month(forecasting: World) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.set_budget(1, JUNE, "100.00", "40.00")
    world.check(TENTH_DONE)
    world.platform.set_spent(1, JUNE, "60.00")
    world.check("2020-06-12")  # 50 fires; the forecast was sent
    world.platform.set_budget_amount(1, JUNE, "200.00")  # re-arms 50: 30 %
    world.check("2020-06-13")
    world.platform.set_spent(1, JUNE, "150.00")  # 50 fires again, 75 % by the 14th
    world.check("2020-06-14")
    set_policy(world, 1, ShopPolicy(thresholds=(50, 80, 100), pause_at=80))
    world.check("2020-06-15")

    assert world.sent == [
        (1, "forecast", (100,), None),
        (1, "threshold", (50,), None),
        (1, "threshold", (50,), None),
    ]
    assert forecast_months(world, 1) == [date(2020, 6, 1)]


def test_a_new_month_forecasts_again(forecasting: World) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.set_budget(1, JUNE, "100.00", "40.00")
    world.platform.set_budget(1, "2020-07", "100.00", "40.00")

    world.check(TENTH_DONE)
    world.check("2020-07-11")

    assert world.sent == [(1, "forecast", (100,), None), (1, "forecast", (100,), None)]
    assert sorted(forecast_months(world, 1)) == [date(2020, 6, 1), date(2020, 7, 1)]


def test_no_forecast_before_the_minimum_days(forecasting: World) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.set_budget(1, JUNE, "100.00", "30.00")  # 30 % in 3 days

    world.check("2020-06-03T23:59:59Z")
    assert world.sent == []
    world.check("2020-06-04")

    assert world.sent == [(1, "forecast", (100,), None)]


def test_the_minimum_days_are_a_setting(forecasting: World) -> None:
    world = forecasting.with_settings(forecast_min_days=5)
    world.platform.add_shop(1)
    world.platform.set_budget(1, JUNE, "100.00", "30.00")

    world.check("2020-06-04")
    assert world.sent == []
    world.check("2020-06-06")

    assert world.sent == [(1, "forecast", (100,), None)]


def test_a_shop_with_forecasts_off_gets_none(forecasting: World) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.add_shop(2)
    world.platform.set_budget(1, JUNE, "100.00", "45.00")
    world.platform.set_budget(2, JUNE, "100.00", "45.00")
    set_policy(world, 1, ShopPolicy(forecast=False))

    world.check(TENTH_DONE)

    assert world.sent == [(2, "forecast", (100,), None)]


def test_a_shop_turns_forecasts_on_when_the_setting_is_off(world: World) -> None:
    world = world.with_settings(forecast=False)
    world.platform.add_shop(1)
    world.platform.add_shop(2)
    world.platform.set_budget(1, JUNE, "100.00", "45.00")
    world.platform.set_budget(2, JUNE, "100.00", "45.00")
    set_policy(world, 2, ShopPolicy(forecast=True))

    world.check(TENTH_DONE)

    assert world.sent == [(2, "forecast", (100,), None)]


def test_no_forecast_once_the_limit_is_crossed(forecasting: World) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.add_shop(2)
    world.platform.set_budget(1, JUNE, "100.00", "80.00")
    world.platform.set_budget(2, JUNE, "100.00", "79.99")
    for shop in (1, 2):
        set_policy(world, shop, ShopPolicy(thresholds=(50, 80, 100), pause_at=80))

    world.check(TENTH_DONE)

    assert sorted(world.sent) == [
        (1, "threshold", (50, 80), "paused"),
        (2, "forecast", (80,), None),
        (2, "threshold", (50,), None),
    ]


def test_the_pause_threshold_crossed_in_the_same_evaluation_is_no_forecast(
    forecasting: World,
) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.set_budget(1, JUNE, "100.00", "10.00")
    world.check("2020-06-02")  # before the minimum days: nothing
    world.platform.set_spent(1, JUNE, "100.00")

    world.check(TENTH_DONE)

    assert world.sent == [(1, "threshold", (50, 100), "paused")]
    assert forecast_months(world, 1) == []


def test_a_soft_limit_projects_to_the_whole_budget(forecasting: World) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.add_shop(2)
    world.platform.set_budget(1, JUNE, "100.00", "34.00")  # 102 % by the month's end
    world.platform.set_budget(2, JUNE, "100.00", "32.00")  # 96 %: reaches 80, not 100
    for shop in (1, 2):
        set_policy(world, shop, ShopPolicy(thresholds=(50, 80), pause_at=SOFT_LIMIT))

    world.check(TENTH_DONE)

    assert world.sent == [(1, "forecast", (100,), None)]


def test_a_forecast_runs_on_the_shops_clock(forecasting: World) -> None:
    world = forecasting
    world.platform.add_shop(1)  # the settings' zone: UTC
    world.platform.add_shop(2)
    world.platform.set_budget(1, JUNE, "100.00", "30.00")
    world.platform.set_budget(2, JUNE, "100.00", "30.00")
    set_policy(world, 2, ShopPolicy(timezone="Pacific/Auckland"))

    # 2020-06-04 01:00 in Auckland (UTC+12): three days of its June passed, not of UTC's.
    world.check("2020-06-03T13:00:00Z")

    assert world.sent == [(2, "forecast", (100,), None)]
    (row,) = world.platform.notifications()
    assert (row["timezone"], row["evaluated_on"]) == ("Pacific/Auckland", date(2020, 6, 4))


def test_forecasts_are_not_evaluated_by_requests(forecasting: World) -> None:
    """A spend event's evaluation fires thresholds only; the sweep forecasts."""
    world = forecasting
    world.platform.add_shop(1)
    world.platform.set_budget(1, JUNE, "100.00", "0.00")
    tenth = datetime(2020, 6, 11, tzinfo=UTC)
    world.clock.now = tenth
    event = SpendEvent("e-1", 1, Decimal("60.00"), tenth)

    record_spend(context=world.context, events=[Located(event, "")], source="test")

    assert [n["kind"] for n in world.platform.notifications()] == ["threshold"]
    world.check(TENTH_DONE)
    assert [n["kind"] for n in world.platform.notifications()] == ["threshold", "forecast"]


def test_prune_removes_old_months_forecasts_and_those_months_are_not_evaluated_again(
    forecasting: World,
) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.set_budget(1, JUNE, "100.00", "40.00")  # no threshold crossed: no alert
    world.check(TENTH_DONE)
    world.clock.advance(timedelta(days=401))

    report = prune_old_rows(context=world.context)

    assert report.removed["forecasts"] == 1
    assert forecast_months(world, 1) == []
    with pytest.raises(Conflict, match="2020-06 again"):
        world.check(TENTH_DONE)
    assert world.sent == [(1, "forecast", (100,), None)], "June's forecast is not sent again"


def test_a_raised_budget_that_rearms_the_limit_can_be_forecast_then(forecasting: World) -> None:
    world = forecasting
    world.platform.add_shop(1)
    world.platform.set_budget(1, JUNE, "100.00", "100.00")
    world.check("2020-06-05")  # crossed: paused, nothing to forecast
    world.platform.set_budget_amount(1, JUNE, "250.00")  # 40 % in a third of June: 120 %

    world.check(TENTH_DONE)

    assert world.sent == [
        (1, "threshold", (50, 100), "paused"),
        (1, "resumed", (), "resumed"),
        (1, "forecast", (100,), None),
    ]
