"""The shop page: a shop's standing, its budgets by month, this month's burn, its timeline and
contacts; an operator's forms to act on it (their handlers: shop_actions.py)."""

from __future__ import annotations

import calendar
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from budgetguard.domain.errors import NotFound
from budgetguard.domain.period import Month
from budgetguard.services.shop_view import shop_view
from budgetguard.web.auth import SignedIn, Viewer
from budgetguard.web.burn import burn_of
from budgetguard.web.charts import bar_chart
from budgetguard.web.formats import amount_format
from budgetguard.web.months import ShownMonth, previous
from budgetguard.web.state import runtime_of
from budgetguard.web.templating import page
from budgetguard.web.timeline import merged

router = APIRouter()

NOTICES = {
    "budget": "The budget is saved.", "online": "The shop is online.",
    "offline": "The shop is offline.", "contact-added": "The contact is added.",
    "contact-removed": "The contact is removed.", "retried": "The delivery will be tried again.",
    "not-retried": "That delivery is not waiting for a retry (delivered or in flight).",
}  # fmt: skip


@router.get("/shops/{shop_id}", response_class=HTMLResponse, include_in_schema=False)
async def shop(
    request: Request, shop_id: int, signed: Viewer, month: ShownMonth, done: str | None = None
) -> HTMLResponse:
    return await render_shop(request, signed, shop_id, month, notice=NOTICES.get(done or ""))


async def render_shop(
    request: Request,
    signed: SignedIn,
    shop_id: int,
    month: Month,
    *,
    status: int = 200,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    secret: str | None = None,
) -> HTMLResponse:
    """The page of `shop_id` for `month`; a refused form is shown again with `errors` by field."""
    values = await run_in_threadpool(_values, request, shop_id, month)
    return page(
        request, "shop.html", signed=signed, section="shops", status=status, notice=notice,
        errors=errors or {}, form=form or {}, secret=secret, **values,
    )  # fmt: skip


def _short(month: Month) -> str:
    return f"{calendar.month_abbr[month.month]} {month.year}"


def _values(request: Request, shop_id: int, month: Month) -> dict[str, Any]:
    context = runtime_of(request).context
    if shop_id <= 0 or shop_id > 2**31 - 1:
        raise HTTPException(404)
    try:
        view = shop_view(context=context, shop_id=shop_id, month=month)
    except NotFound:
        raise HTTPException(404) from None
    standing = view.standing
    zone, currency = view.policy.timezone, view.policy.currency
    money = amount_format(currency)
    budgets = bar_chart(
        [(_short(b.month), b.budget, b.spent) for b in view.budgets], money=money
    )  # fmt: skip
    return {
        "title": f"{standing.shop_name} (shop {shop_id})",
        "month": month, "previous": previous(month), "next": month.next(),
        "view": view, "standing": standing, "policy": standing.policy, "currency": currency,
        "burn": burn_of(standing, view.spend, now=context.clock(), zone=zone, money=money),
        "budgets_chart": budgets,
        "timeline": merged(view.notifications, view.deliveries, view.audit),
    }  # fmt: skip
