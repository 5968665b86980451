"""The charts' geometry: from Decimals to SVG coordinates, inside the picture, in order."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgetguard.domain.period import Month
from budgetguard.domain.standing import ShopStatus
from budgetguard.web.burn import burn_of
from budgetguard.web.charts import (
    HEIGHT,
    WIDTH,
    Projected,
    bar_chart,
    burn_chart,
    coordinate,
    nice_top,
)

_POINT = re.compile(r"[ML](-?[0-9]+\.[0-9]) (-?[0-9]+\.[0-9])")
amounts = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)


def points(path: str) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(x), Decimal(y)) for x, y in _POINT.findall(path)]


def inside(x: Decimal, y: Decimal) -> bool:
    return 0 <= x <= WIDTH and 0 <= y <= HEIGHT


@given(st.lists(amounts, min_size=1, max_size=31), st.one_of(st.none(), amounts))
def test_a_cumulative_spend_is_drawn_rising_left_to_right_inside_the_picture(
    increments: list[Decimal], budget: Decimal | None
) -> None:
    running, spend = Decimal(0), []
    for day, step in enumerate(increments, start=1):
        running += step
        spend.append((Decimal(day), running))

    chart = burn_chart(days_in_month=31, spend=spend, budget=budget, thresholds=(50, 80, 100))

    drawn = points(chart.spend_path)
    assert len(drawn) == len(spend) + 1  # from the month's start at 0
    assert all(inside(x, y) for x, y in drawn)
    assert [x for x, _ in drawn] == sorted(x for x, _ in drawn)
    # Higher spend is higher up: y never grows along a cumulative series.
    assert [y for _, y in drawn] == sorted((y for _, y in drawn), reverse=True)


@given(amounts.filter(lambda a: a > 0), amounts)
def test_the_budget_and_threshold_lines_sit_at_their_share_of_the_budget(
    budget: Decimal, spent: Decimal
) -> None:
    chart = burn_chart(
        days_in_month=30, spend=[(Decimal(3), spent)], budget=budget, thresholds=(50, 100)
    )

    by_label = {line.label: Decimal(line.y) for line in chart.lines}
    assert set(by_label) == {"budget", "50 %"}
    bottom = Decimal(chart.plot[3])
    # The 50 % line is half as far above the bottom as the budget's (to the rounding of 0.1).
    assert abs((bottom - by_label["50 %"]) * 2 - (bottom - by_label["budget"])) <= Decimal("0.2")
    assert all(inside(Decimal(50), y) for y in by_label.values())


def test_an_empty_month_draws_no_spend_and_no_projection() -> None:
    chart = burn_chart(days_in_month=30, spend=[], budget=Decimal("100.00"), thresholds=(50,))

    assert chart.spend_path == ""
    assert chart.projection_path == ""
    assert [t.label for t in chart.x_ticks] == ["1", "8", "15", "22", "30"]


def test_a_budget_of_zero_draws_no_lines_and_stays_inside() -> None:
    chart = burn_chart(
        days_in_month=28, spend=[(Decimal(2), Decimal("0.00"))], budget=Decimal(0), thresholds=(50,)
    )

    assert chart.lines == []
    assert all(inside(x, y) for x, y in points(chart.spend_path))


def test_spend_over_the_budget_is_drawn_above_its_line_and_the_projection_ends_at_the_edge() -> (
    None
):
    chart = burn_chart(
        days_in_month=30, spend=[(Decimal(10), Decimal("150.00"))], budget=Decimal("100.00"),
        thresholds=(100,), projection=Projected(Decimal(10), Decimal("150.00"), Decimal("450.00")),
    )  # fmt: skip

    (_, spend_y) = points(chart.spend_path)[-1]
    budget_y = Decimal(chart.lines[0].y)
    assert spend_y < budget_y
    (start, end) = points(chart.projection_path)
    assert end[0] == Decimal(chart.plot[2])
    # The axis reaches 500 (450 and a tenth more, rounded up): 450 is 183.6 of 204 px up from 216.
    assert end[1] == Decimal("32.4")
    assert start == points(chart.spend_path)[-1]


def test_the_axis_tops_are_round_figures_above_the_highest_one() -> None:
    tops = [nice_top(Decimal(v)) for v in ("0", "0.40", "9", "95", "1012.40", "2300", "45000")]

    assert tops == [1, Decimal("0.5"), 10, 200, 2000, 4000, 50000]


def test_coordinates_are_written_with_one_decimal_and_no_exponent() -> None:
    assert coordinate(Decimal("1E+2")) == "100.0"
    assert coordinate(Decimal("12.345")) == "12.3"
    assert coordinate(Decimal("0.05")) == "0.1"


@given(st.lists(st.tuples(st.one_of(st.none(), amounts), st.one_of(st.none(), amounts)),
                max_size=12))  # fmt: skip
def test_bars_stand_on_the_axis_inside_the_picture(months: list[tuple[Any, Any]]) -> None:
    chart = bar_chart([(f"m{i}", b, s) for i, (b, s) in enumerate(months)])

    bottom = Decimal(chart.plot[3])
    for bar in chart.bars:
        assert Decimal(bar.y) + Decimal(bar.height) - bottom <= Decimal("0.1")
        assert inside(Decimal(bar.x), Decimal(bar.y))
        assert Decimal(bar.height) >= 0
    assert len(chart.bars) == sum((b is not None) + (s is not None) for b, s in months)


JULY = Month(2020, 7)


def standing(budget: str | None, spent: str | None, month: Month = JULY) -> ShopStatus:
    return ShopStatus(
        shop_id=1, shop_name="Alpha", month=month,
        budget=None if budget is None else Decimal(budget),
        spent=None if spent is None else Decimal(spent), online=True,
        paused_by_budgetguard=False, thresholds_fired=(), has_budget=budget is not None,
        policy=None,
    )  # fmt: skip


def test_the_burn_says_the_day_the_budget_runs_out_at_the_current_pace() -> None:
    # 40 of 100 spent in the first 10 days of July: 100 is reached after 25 days.
    now = datetime(2020, 7, 11, 0, 0, tzinfo=UTC)

    burn = burn_of(standing("100.00", "40.00"), [(date(2020, 7, 5), Decimal("20.00"))],
                   now=now, zone="UTC")  # fmt: skip

    assert burn.runs_out_on == date(2020, 7, 25)
    assert burn.outlook == "At this pace the budget runs out on 25 July."
    assert burn.month_end == Decimal("124.00")
    assert burn.days == [
        (date(2020, 7, 5), Decimal("20.00")),
        (date(2020, 7, 11), Decimal("40.00")),
    ]


def test_the_burn_of_a_spent_budget_or_a_past_month_projects_nothing() -> None:
    now = datetime(2020, 7, 11, tzinfo=UTC)

    spent = burn_of(standing("100.00", "100.00"), [], now=now, zone="UTC")
    past = burn_of(standing("100.00", "80.00", Month(2020, 6)), [], now=now, zone="UTC")
    zero = burn_of(standing("0.00", "0.00"), [], now=now, zone="UTC")

    assert (spent.runs_out_on, spent.outlook) == (None, "The budget is spent.")
    assert past.chart.projection_path == ""
    assert past.outlook == "The month ended at 80.00 % of its budget."
    assert zero.outlook == "Nothing to project: the budget amount is zero."


@pytest.mark.parametrize(
    ("now", "zone"),
    [(datetime(2020, 7, 1, 0, 0, 0, tzinfo=UTC), "UTC"),
     (datetime(2020, 7, 1, 0, 0, 0, 900_000, tzinfo=UTC), "UTC"),
     (datetime(2020, 6, 30, 22, 0, 0, tzinfo=UTC), "Europe/Berlin")],
)  # fmt: skip
def test_in_the_first_second_of_the_shops_month_spend_projects_nothing_yet(
    now: datetime, zone: str
) -> None:
    burn = burn_of(standing("100.00", "5.00"), [], now=now, zone=zone)

    assert (burn.runs_out_on, burn.month_end) == (None, None)
    assert burn.outlook == "The month has just begun: nothing to project yet."
    assert burn.chart.projection_path == ""
