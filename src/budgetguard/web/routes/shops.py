"""The shops: a table of every shop's standing for the month, filtered, sorted and paged by keyset.

Query parameters (all optional): `month`; `sort` (percent, spend, id; default percent) and
`order` (asc, desc; default desc, asc by id); filters `past` (a percent), `paused`, `offline`
(any non-empty value), `q` (an id, or the start of a name); the page's place, `after` or
`before` (`<key>,<id>` as the links write it). A value that cannot be read is the page's 400.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from budgetguard.domain.shop_list import Filters, Listing, Position, Sort, search_terms
from budgetguard.services.shop_list import ShopListPage, shop_list_page
from budgetguard.web.auth import Viewer
from budgetguard.web.months import ShownMonth, previous
from budgetguard.web.state import runtime_of
from budgetguard.web.templating import page

router = APIRouter()
SORTS = (("percent", "Percent of budget"), ("spend", "Spend"), ("id", "Shop id"))


@dataclass(frozen=True, slots=True)
class Asked:
    """What the page was asked for, as its links and form write it back."""

    sort: str
    order: str
    past: str
    paused: str
    offline: str
    q: str

    def params(self) -> dict[str, str]:
        """The non-empty parameters (the month aside)."""
        return {name: value for name, value in asdict(self).items() if value}

    def listing(self) -> Listing:
        shop_id, name = search_terms(self.q)
        filters = Filters(
            past=_percent(self.past), paused=bool(self.paused), offline=bool(self.offline),
            name=name, shop_id=shop_id,
        )  # fmt: skip
        return Listing(Sort(self.sort), self.order == "desc", filters)


@router.get("/shops", response_class=HTMLResponse, include_in_schema=False)
def shop_list(
    request: Request,
    signed: Viewer,
    month: ShownMonth,
    *,
    sort: str = "percent",
    order: str = "",
    past: str = "",
    paused: str = "",
    offline: str = "",
    q: str = "",
    after: str = "",
    before: str = "",
) -> HTMLResponse:
    if sort not in {s for s, _ in SORTS}:
        raise HTTPException(400, f"sort: {sort!r} is not one of percent, spend, id")
    if order not in {"", "asc", "desc"}:
        raise HTTPException(400, f"order: {order!r} is not asc or desc")
    asked = Asked(sort, order or ("asc" if sort == "id" else "desc"), past.strip(),
                  paused and "1", offline and "1", q.strip()[:100])  # fmt: skip
    listing = asked.listing()
    found = shop_list_page(
        context=runtime_of(request).context, month=month, listing=listing,
        after=_place("after", after, listing.sort), before=_place("before", before, listing.sort),
    )  # fmt: skip
    keep = asked.params()
    return page(
        request, "shops.html", signed=signed, section="shops", title="Shops", month=month,
        previous=previous(month), next=month.next(), asked=asked, keep=keep, sorts=SORTS,
        found=found, links=_links(found, {"month": str(month), **keep}),
        searched=bool(after or before),
    )  # fmt: skip


def _links(found: ShopListPage, params: dict[str, str]) -> dict[str, str | None]:
    def to(name: str, place: Position | None) -> str | None:
        return None if place is None else f"/shops?{urlencode({**params, name: place.text()})}"

    return {"next": to("after", found.next), "previous": to("before", found.previous),
            "first": f"/shops?{urlencode(params)}"}  # fmt: skip


def _percent(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise HTTPException(400, f"past: {text!r} is not a percent (a whole number)")
    return int(text)


def _place(name: str, text: str, sort: Sort) -> Position | None:
    if not text:
        return None
    try:
        return Position.parse(text.strip()[:64], sort)
    except ValueError as error:
        raise HTTPException(400, f"{name}: {error}") from None
