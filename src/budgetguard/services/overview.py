"""The overview of a month, in two parts read apart: what does not depend on the month (the
shops' state, the outbox, the last evaluations) and the month's own counts (budgets, thresholds
passed, usage).

Their counts scan up to a million rows: pages read them through `OverviewCache`
(services/overview_cache.py), which counts the first part once and each month's own part once
every BUDGETGUARD_OVERVIEW_CACHE_SECONDS.
"""

from __future__ import annotations

from budgetguard.db.catalog import overview as sql
from budgetguard.domain.overview import MonthOwnFigures, Overview, ShopWideFigures
from budgetguard.domain.period import Month
from budgetguard.services.database import open_database
from budgetguard.services.uow import Context, reading

EVALUATIONS_SHOWN = 10


def month_overview(*, context: Context, month: Month) -> Overview:
    """Count everything the month's overview shows, now (no cache)."""
    return Overview.of(
        shop_wide_figures(context=context), month_own_figures(context=context, month=month)
    )


def shop_wide_figures(*, context: Context) -> ShopWideFigures:
    """Count the shops, those offline and paused, the outbox and the last evaluations, now."""
    open_database(context=context)
    with reading(context) as connection:
        paused, outbox = sql.outbox_figures(connection)
        shops, offline = sql.shop_counts(connection)
        evaluations = sql.last_evaluations(connection, EVALUATIONS_SHOWN)
    return ShopWideFigures(shops, offline, paused, outbox, tuple(evaluations), context.clock())


def month_own_figures(*, context: Context, month: Month) -> MonthOwnFigures:
    """Count the month's budgets, the thresholds they are past and their usage, now."""
    open_database(context=context)
    with reading(context) as connection:
        fired = sql.past_thresholds(connection, month)
        budgets = sql.budget_count(connection, month)
        histogram = sql.usage_histogram(connection, month)
    # The settings' thresholds are shown even when none fired; the shops' own, once they fire.
    past = tuple((t, fired.get(t, 0)) for t in sorted({*context.settings.thresholds, *fired}))
    return MonthOwnFigures(month, budgets, past, histogram, context.clock())
