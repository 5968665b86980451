"""The month a console page shows: `?month=YYYY-MM`, by default the current month on the
platform's clock. A month that cannot be read, or lies outside 1970-01…2999-12 (whose
neighbours the pages link to), is the page's 400, naming the parameter."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from budgetguard.domain.period import Month
from budgetguard.services.shops import current_month
from budgetguard.web.state import runtime_of

FIRST = Month(1970, 1)
LAST = Month(2999, 12)


def month_of(text: object) -> Month:
    """The month `text` names, or a 400 naming `month` (unreadable, or out of range)."""
    try:
        month = Month.parse(text.strip()) if isinstance(text, str) else Month.parse("")
    except ValueError:
        raise HTTPException(400, f"month: {text!r} is not a month (YYYY-MM)") from None
    if not (FIRST.year, FIRST.month) <= (month.year, month.month) <= (LAST.year, LAST.month):
        raise HTTPException(400, f"month: {text!r} is not between {FIRST} and {LAST}")
    return month


def chosen_month(
    request: Request,
    month: Annotated[str | None, Query(max_length=16, description="YYYY-MM")] = None,
) -> Month:
    if not month:
        return current_month(context=runtime_of(request).context)
    return month_of(month)


ShownMonth = Annotated[Month, Depends(chosen_month)]


def previous(month: Month) -> Month:
    return Month(month.year - (month.month == 1), (month.month - 2) % 12 + 1)
