"""Shops and their monthly budgets: read, list, create and change (each change evaluated)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from budgetguard.api.dependencies import Actor, Runtime, Wired
from budgetguard.api.responses import problems
from budgetguard.api.schemas.common import Page
from budgetguard.api.schemas.fields import EARLIEST_YEAR, LATEST_YEAR, cursor_id
from budgetguard.api.schemas.shops import BudgetIn, ShopIn, Standing
from budgetguard.domain.errors import Unacceptable
from budgetguard.domain.ids import LARGEST_ID
from budgetguard.domain.period import Month
from budgetguard.domain.standing import ShopStatus
from budgetguard.services import shops
from budgetguard.services.shops import Saved

router = APIRouter(prefix="/shops", tags=["shops and budgets"])

ShopPath = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The shop's id.")]
MONTH_PATTERN = r"^[0-9]{4}-[0-9]{2}$"
MonthPath = Annotated[str, Path(pattern=MONTH_PATTERN, description="YYYY-MM", examples=["2026-07"])]
MonthQuery = Annotated[
    str | None,
    Query(pattern=MONTH_PATTERN, description="YYYY-MM; default: the current month."),
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
IdCursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,10}$", description="From next_cursor.")]
MonthCursor = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="From next_cursor.")]


_CREATED: dict[int | str, dict[str, Any]] = {201: {"model": Standing, "description": "Created."}}


@router.get("", operation_id="shops-list", responses=problems())
def list_shops(
    *,
    wired: Wired,
    online: Annotated[bool | None, Query(description="Only shops online (or offline).")] = None,
    paused: Annotated[
        bool | None, Query(description="Only shops budgetguard paused (or not).")
    ] = None,
    month: MonthQuery = None,
    cursor: IdCursor = None,
    limit: Limit = 100,
) -> Page[Standing]:
    """List shops in id order, each with its budget standing for the month."""
    rows = shops.shop_page(
        context=wired.context,
        month=_month(wired, month),
        after=cursor_id(cursor, LARGEST_ID),
        limit=limit,
        online=online,
        paused=paused,
    )
    return _page(rows, limit, lambda last: str(last.shop_id))


@router.get("/{shop_id}", operation_id="shops-get", responses=problems(404))
def get_shop(shop_id: ShopPath, wired: Wired, month: MonthQuery = None) -> Standing:
    """A shop with its budget standing for the month (default: the current one)."""
    found = shops.shop_standing(context=wired.context, shop_id=shop_id, month=_month(wired, month))
    return Standing.of(found)


@router.put("/{shop_id}", operation_id="shops-put", responses=problems(400, 409, 413) | _CREATED)
def put_shop(
    shop_id: ShopPath, body: ShopIn, wired: Wired, actor: Actor, response: Response
) -> Standing:
    """Create (201) or replace (200) a shop; its current budget is evaluated at once.

    Setting a shop budgetguard paused online by hand ends budgetguard's claim on it (SPEC §3).
    """
    saved = shops.put_shop(
        context=wired.context, shop_id=shop_id, name=body.name, online=body.online, actor=actor
    )
    return _saved(wired, saved, response)


@router.get("/{shop_id}/budgets", operation_id="budgets-list", responses=problems(404))
def list_budgets(
    shop_id: ShopPath, wired: Wired, cursor: MonthCursor = None, limit: Limit = 100
) -> Page[Standing]:
    """The shop's budgets by month, each with its standing."""
    after = _parse_month(cursor, "cursor") if cursor else None
    rows = shops.budget_page(context=wired.context, shop_id=shop_id, after=after, limit=limit)
    return _page(rows, limit, lambda last: str(last.month))


@router.get("/{shop_id}/budgets/{month}", operation_id="budgets-get", responses=problems(404))
def get_budget(shop_id: ShopPath, month: MonthPath, wired: Wired) -> Standing:
    """The standing of the shop's budget for the month."""
    found = shops.budget_standing(
        context=wired.context, shop_id=shop_id, month=_parse_month(month, "month")
    )
    return Standing.of(found)


@router.put(
    "/{shop_id}/budgets/{month}",
    operation_id="budgets-put",
    responses=problems(400, 404, 409, 413) | _CREATED,
)
def put_budget(
    *,
    shop_id: ShopPath,
    month: MonthPath,
    body: BudgetIn,
    wired: Wired,
    actor: Actor,
    response: Response,
) -> Standing:
    """Create (201, no spend yet) or change (200) the shop's budget for the month.

    A budget of the current month is evaluated at once: raised, it re-arms thresholds and
    resumes a shop budgetguard paused; lowered, it fires thresholds and pauses.
    """
    saved = shops.put_budget(
        context=wired.context,
        shop_id=shop_id,
        month=_parse_month(month, "month"),
        amount=body.budget,
        actor=actor,
    )
    return _saved(wired, saved, response)


def _saved(wired: Runtime, saved: Saved, response: Response) -> Standing:
    wired.evaluated(saved.queued)
    response.status_code = 201 if saved.created else 200
    return Standing.of(saved.standing)


def _month(wired: Runtime, text: str | None) -> Month:
    if text is None:
        return shops.current_month(context=wired.context)
    return _parse_month(text, "month")


def _parse_month(text: str, field: str) -> Month:
    try:
        month = Month.parse(text)
    except ValueError as error:
        raise Unacceptable.of_field(field, str(error), message=str(error)) from None
    if not EARLIEST_YEAR <= month.year <= LATEST_YEAR:
        reason = f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
        raise Unacceptable.of_field(field, reason, message=reason)
    return month


def _page(
    rows: list[ShopStatus], limit: int, cursor_of: Callable[[ShopStatus], str]
) -> Page[Standing]:
    items = [Standing.of(row) for row in rows]
    following = cursor_of(rows[-1]) if len(rows) == limit else None
    return Page[Standing](items=items, next_cursor=following)
