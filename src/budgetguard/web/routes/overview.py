"""The overview: the month's shops and budgets at a glance, the outbox, the last evaluations.

Its figures come from the runtime's OverviewCache (services/overview_cache.py): the
month-independent ones counted once, each month's own apart, each at most once every
BUDGETGUARD_OVERVIEW_CACHE_SECONDS, stale ones recounted in the background; the page says when
they were counted.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from budgetguard.api.dependencies import Runtime
from budgetguard.services.overview import month_own_figures, shop_wide_figures
from budgetguard.services.overview_cache import OverviewCache
from budgetguard.web.auth import Viewer
from budgetguard.web.durations import duration
from budgetguard.web.months import ShownMonth, previous
from budgetguard.web.state import kept, runtime_of
from budgetguard.web.templating import page

router = APIRouter()
CACHE_KEY = "overview"


def overview_cache(runtime: Runtime) -> OverviewCache:
    """The runtime's cache of overviews (made at first use)."""
    context = runtime.context
    return kept(
        runtime,
        CACHE_KEY,
        OverviewCache,
        lambda: OverviewCache(
            shop_wide=lambda: shop_wide_figures(context=context),
            month_own=lambda month: month_own_figures(context=context, month=month),
            seconds=context.settings.overview_cache_seconds,
        ),
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def overview(request: Request, signed: Viewer, month: ShownMonth) -> HTMLResponse:
    shown = overview_cache(runtime_of(request)).get(month)
    return page(
        request, "overview.html", signed=signed, section="overview", title="Overview",
        month=month, previous=previous(month), next=month.next(), overview=shown,
        figures=shown.figures, outbox=shown.outbox, duration=duration,
    )  # fmt: skip
