"""The forecast's projection (domain/forecast.py): exact comparisons, the run-out day on the
shop's clock, the month-end percentage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from budgetguard.domain.forecast import DAY_SECONDS, is_due, project, reaches
from budgetguard.domain.shop_clock import zone_clock

# June has 30 days: at the end of the 10th (UTC) a third of it has passed.
TENTH_OF_JUNE = zone_clock(datetime(2020, 6, 11, tzinfo=UTC), "UTC")


def test_a_third_of_the_budget_spent_in_a_third_of_the_month_reaches_exactly_100() -> None:
    assert reaches(spent=Decimal("30.00"), budget=Decimal("90.00"), limit=100, clock=TENTH_OF_JUNE)
    assert not reaches(
        spent=Decimal("29.99"), budget=Decimal("90.00"), limit=100, clock=TENTH_OF_JUNE
    )


def test_nothing_reaches_when_no_time_has_passed_or_the_budget_is_not_positive() -> None:
    first_instant = zone_clock(datetime(2020, 6, 1, tzinfo=UTC), "UTC")
    assert first_instant.elapsed_seconds == 0
    assert not reaches(spent=Decimal(5), budget=Decimal(10), limit=100, clock=first_instant)
    assert not reaches(spent=Decimal(5), budget=Decimal(0), limit=100, clock=TENTH_OF_JUNE)
    assert not reaches(spent=Decimal(0), budget=Decimal(10), limit=100, clock=TENTH_OF_JUNE)


def test_the_limit_scales_the_pace_needed() -> None:
    # 80 % by the month's end needs 80/3 % by the 10th: 24.00 of 90.00 is exactly that.
    assert reaches(spent=Decimal("24.00"), budget=Decimal("90.00"), limit=80, clock=TENTH_OF_JUNE)
    assert not reaches(
        spent=Decimal("23.99"), budget=Decimal("90.00"), limit=80, clock=TENTH_OF_JUNE
    )


def test_a_forecast_is_not_due_before_the_minimum_days() -> None:
    third = zone_clock(datetime(2020, 6, 3, 23, 59, 59, tzinfo=UTC), "UTC")
    fourth = zone_clock(datetime(2020, 6, 4, tzinfo=UTC), "UTC")
    assert third.elapsed_seconds == 3 * DAY_SECONDS - 1
    args = {"spent": Decimal(50), "budget": Decimal(100), "limit": 100, "min_days": 3}
    assert not is_due(clock=third, **args)
    assert is_due(clock=fourth, **args)


def test_a_forecast_is_not_due_once_the_limit_is_crossed() -> None:
    args = {"budget": Decimal(100), "limit": 80, "clock": TENTH_OF_JUNE, "min_days": 3}
    assert is_due(spent=Decimal("79.99"), **args)
    assert not is_due(spent=Decimal("80.00"), **args)


def test_a_slow_pace_is_not_due() -> None:
    assert not is_due(
        spent=Decimal(10), budget=Decimal(100), limit=100, clock=TENTH_OF_JUNE, min_days=3
    )


def test_the_projection_states_the_run_out_day_and_the_month_end_percentage() -> None:
    # Half the budget in a third of June: 150 % by the month's end; 100 % during the 20th.
    projection = project(spent=Decimal(60), budget=Decimal(100), limit=100, clock=TENTH_OF_JUNE)
    assert projection.limit == 100
    assert projection.month_end_percent == Decimal("180.00")
    assert projection.runs_out_on == date(2020, 6, 17)  # 16.67 days


def test_a_limit_reached_exactly_at_midnight_runs_out_on_the_day_before() -> None:
    # At this pace 100 % is reached at 2020-06-21 00:00 exactly: the budget ran out on the 20th;
    # a hair slower, and it runs out on the 21st.
    assert TENTH_OF_JUNE.elapsed_seconds == 10 * DAY_SECONDS
    exactly = project(spent=Decimal(50), budget=Decimal(100), limit=100, clock=TENTH_OF_JUNE)
    slower = project(spent=Decimal("49.99"), budget=Decimal(100), limit=100, clock=TENTH_OF_JUNE)
    assert exactly.runs_out_on == date(2020, 6, 20)
    assert slower.runs_out_on == date(2020, 6, 21)


def test_a_pace_that_reaches_the_limit_at_the_months_end_runs_out_on_its_last_day() -> None:
    projection = project(
        spent=Decimal("30.00"), budget=Decimal("90.00"), limit=100, clock=TENTH_OF_JUNE
    )
    assert projection.month_end_percent == Decimal("100.00")
    assert projection.runs_out_on == date(2020, 6, 30)


def test_the_run_out_day_is_on_the_shops_clock() -> None:
    # 2020-06-11 00:00 in Sydney (UTC+10) is 2020-06-10 14:00 UTC: 10 days of its June passed.
    # 61.73 % in 10 days reaches 100 % after 16.2 days: 2020-06-17 04:47 in Sydney, which is
    # still the 16th in UTC.
    sydney = zone_clock(datetime(2020, 6, 10, 14, tzinfo=UTC), "Australia/Sydney")
    assert sydney.elapsed_seconds == 10 * DAY_SECONDS
    projection = project(spent=Decimal("61.73"), budget=Decimal(100), limit=100, clock=sydney)
    assert projection.runs_out_on == date(2020, 6, 17)


def test_the_month_end_percentage_is_cut_to_two_decimals() -> None:
    ninth = zone_clock(datetime(2020, 6, 10, tzinfo=UTC), "UTC")  # 9 days of 30
    projection = project(spent=Decimal(20), budget=Decimal(100), limit=100, clock=ninth)
    assert projection.month_end_percent == Decimal("66.66")  # 66.666…, cut (not rounded up)


def test_a_day_with_a_clock_change_counts_its_real_seconds() -> None:
    # Berlin's October 2020 lasts 31 days and one hour (clocks go back on the 25th).
    berlin = zone_clock(datetime(2020, 10, 25, 23, tzinfo=UTC), "Europe/Berlin")
    assert berlin.month_seconds == 31 * DAY_SECONDS + 3600
    assert berlin.elapsed_seconds == 25 * DAY_SECONDS + 3600


@pytest.mark.parametrize(
    ("spent", "budget", "clock"),
    [
        (Decimal(0), Decimal(100), TENTH_OF_JUNE),
        (Decimal(10), Decimal(0), TENTH_OF_JUNE),
        (Decimal(10), Decimal(100), zone_clock(datetime(2020, 6, 1, tzinfo=UTC), "UTC")),
    ],
)
def test_a_projection_needs_a_positive_spend_budget_and_elapsed_time(
    spent: Decimal, budget: Decimal, clock: object
) -> None:
    with pytest.raises(ValueError, match="positive"):
        project(spent=spent, budget=budget, limit=100, clock=clock)  # type: ignore[arg-type]
