"""Forecasts: where the month's spend ends if it goes on at the same pace (issue 9).

Pace is the spend of the month so far divided by the time elapsed since the month began on the
shop's clock; the projection carries it to the month's end. All in exact decimals and whole
seconds: the evaluation's SQL decides with the same comparison (`reaches`), in integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from budgetguard.domain.money import CENT
from budgetguard.domain.shop_clock import ZoneClock

DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class Projection:
    """The day the spend reaches `limit` % of the budget, and the month-end percentage."""

    limit: int
    runs_out_on: date
    month_end_percent: Decimal


def reaches(*, spent: Decimal, budget: Decimal, limit: int, clock: ZoneClock) -> bool:
    """Whether the spend, at its pace so far, reaches `limit` % of the budget by the month's
    end: `spent * 100 * month >= budget * limit * elapsed` (no division, so exact)."""
    if clock.elapsed_seconds <= 0 or budget <= 0:
        return False
    return spent * 100 * clock.month_seconds >= budget * limit * clock.elapsed_seconds


def is_due(*, spent: Decimal, budget: Decimal, limit: int, clock: ZoneClock, min_days: int) -> bool:
    """A forecast alert's rule, less its once-a-month record: `min_days` days of the month have
    passed, the limit is not crossed yet, and the pace reaches it before the month ends."""
    if clock.elapsed_seconds < min_days * DAY_SECONDS:
        return False
    if spent * 100 >= budget * limit:
        return False
    return reaches(spent=spent, budget=budget, limit=limit, clock=clock)


def project(*, spent: Decimal, budget: Decimal, limit: int, clock: ZoneClock) -> Projection:
    """The projection of a month whose spend so far is `spent` (positive) at `clock`."""
    if spent <= 0 or budget <= 0 or clock.elapsed_seconds <= 0:
        raise ValueError("a projection needs a positive spend, budget and elapsed time")
    elapsed = Decimal(clock.elapsed_seconds)
    month_end = (spent * 100 * clock.month_seconds / (budget * elapsed)).quantize(
        CENT, rounding=ROUND_DOWN
    )
    # Seconds from the month's start until the spend reaches the limit at this pace. The budget
    # runs out on the day that holds the last second before it: a limit reached exactly at
    # midnight ran out the day before (at the month's end: on its last day, not the next 1st).
    until_limit = math.ceil(elapsed * budget * limit / (spent * 100))
    instant = clock.month_start + timedelta(seconds=until_limit - 1)
    runs_out_on = instant.astimezone(ZoneInfo(clock.zone)).date()
    return Projection(limit=limit, runs_out_on=runs_out_on, month_end_percent=month_end)
