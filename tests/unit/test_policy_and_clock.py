"""A shop's policy (parsing, checking, resolving) and the shop's clock (months, passes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgetguard.domain.period import Month
from budgetguard.domain.policy import (
    PolicyDefaults,
    PolicyError,
    ShopPolicy,
    check,
    parse_currency,
    parse_forecast,
    parse_language,
    parse_pause_at,
    parse_recurring_budget,
    parse_thresholds,
    parse_timezone,
    resolve,
)
from budgetguard.domain.shop_clock import month_passes, month_start, zone_clock

DEFAULTS = PolicyDefaults(
    thresholds=(50, 100),
    pause_at=100,
    timezone="UTC",
    language="en",
    currency=None,
    forecast=True,
)


def test_thresholds_parse_in_any_order_into_ascending_percentages() -> None:
    assert parse_thresholds(" 100,50 , 80") == (50, 80, 100)


@pytest.mark.parametrize(
    ("parse", "text", "field"),
    [
        (parse_thresholds, "50,abc", "thresholds"),
        (parse_thresholds, "50,50", "thresholds"),
        (parse_thresholds, "0,50", "thresholds"),
        (parse_thresholds, "", "thresholds"),
        (parse_pause_at, "half", "pause_at"),
        (parse_pause_at, "0", "pause_at"),
        (parse_timezone, "Mars/Olympus_Mons", "timezone"),
        (parse_timezone, "../etc/passwd", "timezone"),
        (parse_language, "pt", "language"),
        (parse_currency, "EURO", "currency"),
        (parse_currency, "XYZ", "currency"),
        (parse_forecast, "maybe", "forecast"),
        (parse_recurring_budget, "12.345", "recurring_budget"),
        (parse_recurring_budget, "-5", "recurring_budget"),
        (parse_recurring_budget, "NaN", "recurring_budget"),
        (parse_recurring_budget, "1e12", "recurring_budget"),
        (parse_recurring_budget, "five", "recurring_budget"),
    ],
)
def test_bad_input_names_its_field(parse: object, text: str, field: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse(text)  # type: ignore[operator]
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")


def test_good_input_is_normalised() -> None:
    assert parse_pause_at("none") == "none"
    assert parse_pause_at(" 80 ") == 80
    assert parse_timezone("Europe/Berlin") == "Europe/Berlin"
    assert parse_language("DE") == "de"
    assert parse_currency("chf") == "CHF"
    assert parse_forecast("off") is False
    assert parse_recurring_budget("500") == Decimal("500.00")
    assert parse_recurring_budget("none") is None


def test_a_pause_threshold_outside_the_list_is_refused_whichever_side_sets_it() -> None:
    with pytest.raises(PolicyError) as raised:
        check(ShopPolicy(thresholds=(50, 80)), DEFAULTS)  # the default pause_at, 100
    assert raised.value.field == "thresholds"
    with pytest.raises(PolicyError) as raised:
        check(ShopPolicy(pause_at=80), DEFAULTS)  # the default thresholds, 50 and 100
    assert raised.value.field == "pause_at"
    assert check(ShopPolicy(thresholds=(50, 80), pause_at="none"), DEFAULTS)
    assert check(ShopPolicy(thresholds=(50, 80), pause_at=80), DEFAULTS)


def test_the_effective_policy_says_where_each_value_comes_from() -> None:
    effective = resolve(ShopPolicy(thresholds=(80, 100), language="de"), DEFAULTS)
    assert effective.thresholds == (80, 100)
    assert effective.pause_at == 100
    assert effective.language == "de"
    assert effective.sources["thresholds"] == "shop"
    assert effective.sources["pause_at"] == "default"
    assert effective.sources["recurring_budget"] == "none"
    assert effective.as_dict()["recurring_budget"] is None
    assert resolve(None, DEFAULTS).sources["timezone"] == "default"


def test_the_effective_thresholds_hold_the_shops_own_pause_threshold_the_settings_lack() -> None:
    """Set while the settings named 80, kept when they no longer do: evaluated, and shown."""
    effective = resolve(ShopPolicy(pause_at=80), DEFAULTS)  # the default thresholds, 50 and 100

    assert effective.thresholds == (50, 80, 100)
    assert effective.sources["thresholds"] == "default"
    assert resolve(ShopPolicy(pause_at="none"), DEFAULTS).thresholds == (50, 100)


def test_merging_changes_keeps_unset_fields_and_clears_the_named_ones() -> None:
    stored = ShopPolicy(thresholds=(50, 100), language="fr", currency="EUR")
    merged = stored.merged(ShopPolicy(language="de"), cleared=("currency",))
    assert merged == ShopPolicy(thresholds=(50, 100), language="de")
    assert ShopPolicy().is_empty()
    assert not merged.is_empty()


def test_a_shop_in_auckland_reaches_july_half_a_day_before_one_in_los_angeles() -> None:
    at = datetime(2020, 6, 30, 13, 0, tzinfo=UTC)  # 01:00 on 1 July in Auckland
    auckland = zone_clock(at, "Pacific/Auckland")
    los_angeles = zone_clock(at, "America/Los_Angeles")
    assert auckland.month == Month(2020, 7)
    assert auckland.today == date(2020, 7, 1)
    assert auckland.elapsed_seconds == 3600
    assert los_angeles.month == Month(2020, 6)
    assert los_angeles.today == date(2020, 6, 30)
    passes = month_passes(at, "UTC", ["Pacific/Auckland", "America/Los_Angeles"])
    assert [p.month for p in passes] == [Month(2020, 6), Month(2020, 7)]
    assert not any(p.every_zone for p in passes)
    june, july = passes
    assert june.default.zone == "UTC"
    assert [c.zone for c in june.others] == ["America/Los_Angeles"]
    assert july.default.zone == "Pacific/Auckland"  # UTC is not in July yet
    assert july.others == ()


def test_one_pass_when_every_zone_is_in_the_same_month() -> None:
    at = datetime(2020, 7, 15, tzinfo=UTC)
    (only,) = month_passes(at, "Europe/Berlin", ["Asia/Tokyo", "Europe/Berlin"])
    assert only.every_zone
    assert only.default.zone == "Europe/Berlin"
    assert [c.zone for c in only.others] == ["Asia/Tokyo"]


def test_a_month_lasts_an_hour_less_where_clocks_go_forward() -> None:
    march = zone_clock(datetime(2020, 3, 15, tzinfo=UTC), "Europe/Berlin")
    assert march.month_seconds == 31 * 86_400 - 3600
    assert month_start(Month(2020, 3), "Europe/Berlin") == datetime(2020, 2, 29, 23, 0, tzinfo=UTC)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        zone_clock(datetime(2020, 7, 1), "UTC")  # noqa: DTZ001 - the point of the test


ZONES = ["UTC", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kathmandu", "Pacific/Kiritimati"]


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - made aware below
        max_value=datetime(2040, 1, 1),  # noqa: DTZ001
    ),
    st.sampled_from(ZONES),
)
def test_every_instant_lies_inside_its_month_on_every_clock(naive: datetime, zone: str) -> None:
    at = naive.replace(tzinfo=UTC)
    clock = zone_clock(at, zone)
    assert 0 <= clock.elapsed_seconds < clock.month_seconds
    assert clock.month_start + timedelta(seconds=clock.elapsed_seconds) <= at
    assert Month.containing(at, ZoneInfo(zone)) == clock.month
    passes = month_passes(at, "UTC", ZONES)
    assert sorted(c.zone for p in passes for c in p.clocks) == sorted(ZONES)
    assert 1 <= len(passes) <= 2
