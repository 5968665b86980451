"""The shop's own page, `/s/<token>`: no sign-in, read-only, that shop only.

The token (services/shop_links.py) names the shop; an altered one is a plain 404 and an expired
one a plain 410, the same for every token (nothing says which shop it named). The page shows the
shop's current month on its own clock: its standing, burn chart and projected end of budget, and
its notifications; never its contacts, delivery records or audit trail, and no link into the
console. It is never cached, indexed or sent on as a referrer (the token is in its URL).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from budgetguard.api.dependencies import Runtime
from budgetguard.domain.errors import NotFound
from budgetguard.services.shop_links import LinkExpired, LinkInvalid, ShopLinks
from budgetguard.services.shop_view import public_view
from budgetguard.web.burn import burn_of
from budgetguard.web.formats import amount_format
from budgetguard.web.state import kept, runtime_of
from budgetguard.web.templating import page

router = APIRouter()
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
GONE = "This link is not valid. Ask for a new one."
EXPIRED = "This link has expired. The next message about this shop's budget brings a new one."


def links(runtime: Runtime) -> ShopLinks:
    """The runtime's shop links; the first call reads (or makes) the console's secret."""
    return kept(runtime, "shop_links", ShopLinks, lambda: ShopLinks.of(runtime.context))


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
async def shop_link(request: Request, token: str) -> HTMLResponse:
    values = await run_in_threadpool(_values, request, token)
    if isinstance(values, int):
        title, message = ("Gone", EXPIRED) if values == 410 else ("Not found", GONE)
        response = page(
            request, "error.html", signed=None, status=values, title=title, message=message,
            public=True,
        )  # fmt: skip
    else:
        response = page(request, "shop_public.html", signed=None, public=True, **values)
    response.headers.update(HEADERS)
    return response


def _values(request: Request, token: str) -> dict[str, Any] | int:
    runtime = runtime_of(request)
    context = runtime.context
    now = context.clock()
    try:
        shop_id = links(runtime).shop_of(token[:512], now)
        view = public_view(context=context, shop_id=shop_id, now=now)
    except (LinkInvalid, NotFound):
        return 404
    except LinkExpired:
        return 410
    standing = view.standing
    zone, currency = view.policy.timezone, view.policy.currency
    return {
        "title": standing.shop_name, "standing": standing, "view": view,
        "currency": currency, "zone": zone,
        "burn": burn_of(standing, view.spend, now=now, zone=zone, money=amount_format(currency)),
    }  # fmt: skip
