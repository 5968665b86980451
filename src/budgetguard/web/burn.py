"""This month's burn: the spend by day as the chart draws it, and where the pace leads.

The pace is issue 9's forecast (domain/forecast.py): the month's spend so far over the time
elapsed on the shop's clock, carried to the month's end; the day the budget runs out is the
forecast's `runs_out_on` for the limit of 100 %.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from budgetguard.domain.forecast import DAY_SECONDS, project
from budgetguard.domain.period import Month
from budgetguard.domain.shop_clock import zone_clock
from budgetguard.domain.standing import ShopStatus
from budgetguard.web.charts import BurnChart, Projected, burn_chart


@dataclass(frozen=True, slots=True)
class Burn:
    chart: BurnChart
    days: list[tuple[date, Decimal]]
    """The figures drawn: spend at each recorded day's end (today's: so far)."""
    outlook: str
    """What the pace says, in a sentence."""
    runs_out_on: date | None
    month_end: Decimal | None
    """The month's spend at its end at this pace (None: no projection)."""


def burn_of(
    standing: ShopStatus, spend: Sequence[tuple[date, Decimal]], *, now: datetime, zone: str,
    money: str = "{}",
) -> Burn:  # fmt: skip
    """The burn of `standing`'s month, as it stands at `now` on the clock of `zone`."""
    month = standing.month
    clock = zone_clock(now, zone)
    current = clock.month == month
    days = dict(spend)
    if current and standing.spent is not None and standing.problem is None:
        days[clock.today] = standing.spent  # the latest spend is newer than the day's record
    ordered = sorted(days.items())
    elapsed_days = Decimal(clock.elapsed_seconds) / DAY_SECONDS
    projected, runs_out, month_end = None, None, None
    outlook = _past_outlook(standing, clock.month)
    budget, spent = standing.budget, standing.spent
    if current:
        outlook = _no_projection(standing, elapsed_seconds=clock.elapsed_seconds)
        if not outlook and budget is not None and spent is not None:
            projection = project(spent=spent, budget=budget, limit=100, clock=clock)
            month_end = spent * clock.month_seconds / clock.elapsed_seconds
            projected = Projected(elapsed_days, spent, month_end)
            runs_out = projection.runs_out_on
            outlook = _outlook(runs_out, projection.month_end_percent, month)
    chart = burn_chart(
        days_in_month=calendar.monthrange(month.year, month.month)[1],
        spend=[(_at(day, clock.today, elapsed_days), value) for day, value in ordered],
        budget=budget if standing.problem is None else None,
        thresholds=standing.policy.thresholds if standing.policy else (),
        projection=projected, money=money,
    )  # fmt: skip
    return Burn(chart, ordered, outlook, runs_out, month_end)


def _at(day: date, today: date, elapsed_days: Decimal) -> Decimal:
    """Where a day's figure is drawn, in days since the month began: at the day's end, today's
    at now."""
    return elapsed_days if day == today else Decimal(day.day)


def _no_projection(standing: ShopStatus, *, elapsed_seconds: int) -> str:
    """Why there is no projection this month, or "" when there is one."""
    if not standing.has_budget or standing.budget is None:
        return "No budget this month: nothing to project."
    if standing.problem is not None:
        return f"Nothing to project: {standing.problem}."
    if standing.spent is None or standing.spent <= 0:
        return "No spend yet this month."
    if standing.spent >= standing.budget:
        return "The budget is spent."
    if elapsed_seconds <= 0:  # the month's first second: no pace to carry yet
        return "The month has just begun: nothing to project yet."
    return ""


def _outlook(runs_out: date, month_end_percent: Decimal, month: Month) -> str:
    if Month.of(runs_out) == month:
        return f"At this pace the budget runs out on {runs_out.day} {runs_out:%B}."
    return f"At this pace the month ends at {month_end_percent:,.2f} % of the budget."


def _past_outlook(standing: ShopStatus, current: Month) -> str:
    month = standing.month
    if standing.percent is None or (month.year, month.month) >= (current.year, current.month):
        return ""
    return f"The month ended at {standing.percent:,.2f} % of its budget."
