from decimal import Decimal

import pytest

from budgetguard.domain.money import percent_of, unusable_reason
from budgetguard.domain.thresholds import ThresholdPolicy, is_crossed

D = Decimal


def test_exactly_half_crosses_the_half_threshold() -> None:
    assert is_crossed(spent=D("50.00"), budget=D("100.00"), threshold=50)
    assert not is_crossed(spent=D("49.99"), budget=D("100.00"), threshold=50)


def test_crossing_is_exact_where_binary_floats_are_not() -> None:
    # 0.1 + 0.2 style amounts: 0.15 of 0.30 is exactly half.
    assert is_crossed(spent=D("0.15"), budget=D("0.30"), threshold=50)


def test_the_percent_is_cut_not_rounded_so_it_never_overstates() -> None:
    assert percent_of(spent=D("99.999"), budget=D("100")) == D("99.99")
    assert percent_of(spent=D("685.91"), budget=D("650.00")) == D("105.52")


def test_a_percent_of_a_zero_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="undefined"):
        percent_of(spent=D("1"), budget=D("0"))


@pytest.mark.parametrize(
    ("budget", "spent", "reason"),
    [
        (None, D("1"), "the budget amount is missing"),
        (D("1"), None, "the spent amount is missing"),
        (D("-1.00"), D("1"), "the budget amount is negative (-1.00)"),
        (D("0.00"), D("1"), "the budget amount is zero"),
        (D("10.00"), D("-0.01"), "the spent amount is negative (-0.01)"),
        (D("10.00"), D("0.00"), None),
    ],
)
def test_unusable_rows_are_named(budget: D | None, spent: D | None, reason: str | None) -> None:
    assert unusable_reason(budget=budget, spent=spent) == reason


def test_a_policy_lists_crossed_thresholds_in_order() -> None:
    policy = ThresholdPolicy.of([100, 50, 75], pause_at=100)
    assert policy.thresholds == (50, 75, 100)
    assert policy.crossed(spent=D("80"), budget=D("100")) == (50, 75)


@pytest.mark.parametrize(
    ("thresholds", "pause_at", "problem"),
    [
        ([], 100, "between 1 and 20 thresholds"),
        (list(range(1, 22)), 1, "between 1 and 20 thresholds"),
        ([50, 50, 100], 100, "repeat"),
        ([0, 100], 100, "whole percentages"),
        ([50, 100], 90, "pause threshold 90 is not one of"),
    ],
)
def test_a_bad_policy_is_refused(thresholds: list[int], pause_at: int, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ThresholdPolicy.of(thresholds, pause_at)
