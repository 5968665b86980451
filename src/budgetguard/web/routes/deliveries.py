"""Deliveries: the failed and dead delivery records, newest first, paged by id; operators retry
one, the ones they tick, or all shown, through the same use case as the API and the CLI.

Records are not listed per month: a dead e-mail of last month is as much to retry as today's,
and filtering by the notification's month would walk every troubled record of other months.
The month selector is kept, as on every page, and each row names its notification's month.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from budgetguard.domain.delivery import Status
from budgetguard.domain.ids import LARGEST_BIG_ID
from budgetguard.domain.period import Month
from budgetguard.services.deliveries import RetryReport, retry_deliveries
from budgetguard.services.delivery_page import TROUBLED, troubled_deliveries
from budgetguard.web.auth import Operator, SignedIn, Viewer
from budgetguard.web.months import ShownMonth, month_of, previous
from budgetguard.web.state import runtime_of
from budgetguard.web.templating import page

router = APIRouter()
PAGE_SIZE = 50
MOST_AT_ONCE = 2 * PAGE_SIZE
NOTICE_KEYS = ("due", "delivered", "busy", "gone")
"""A retry's outcome, carried to the page it redirects to."""


@router.get("/deliveries", response_class=HTMLResponse, include_in_schema=False)
def deliveries(
    request: Request,
    signed: Viewer,
    *,
    month: ShownMonth,
    status: Annotated[str | None, Query(max_length=16)] = None,
    before: Annotated[int | None, Query(ge=1, le=LARGEST_BIG_ID)] = None,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    notice = _notice(request) if done == "retry" else None
    return _render(request, signed, month, _status(status), before, notice=notice)


@router.post("/deliveries/retry", include_in_schema=False)
def retry(request: Request, post: Operator) -> Response:
    form = post.form
    view = _view(form.get("status"), form.get("month"), form.get("before"))
    one, action = form.get("one"), form.get("action")
    chosen = [one] if one else form.getlist("shown" if action == "all" else "selected")
    ids = [int(i) for i in chosen if isinstance(i, str) and i.isdigit() and len(i) <= 19]
    error = None
    if not ids:
        error = "Tick at least one record to retry."
    elif len(ids) != len(chosen) or len(ids) > MOST_AT_ONCE:
        error = f"Choose up to {MOST_AT_ONCE} records of this page."
    if error is not None:
        signed = SignedIn(post.user, post.csrf)
        return _render(request, signed, *view, error=error, code=422)
    runtime = runtime_of(request)
    report = retry_deliveries(context=runtime.context, ids=ids, actor=post.actor)
    if report.retried:
        runtime.wake_delivery()
    return RedirectResponse(f"/deliveries?{_back(*view, report)}", status_code=303)


def _render(
    request: Request,
    signed: SignedIn,
    month: Month,
    status: Status | None,
    before: int | None,
    *,
    notice: str | None = None,
    error: str | None = None,
    code: int = 200,
) -> HTMLResponse:
    context = runtime_of(request).context
    found = troubled_deliveries(context=context, status=status, before_id=before, limit=PAGE_SIZE)
    keep = {"status": status.value} if status else {}
    return page(
        request, "deliveries.html", signed=signed, section="deliveries", title="Deliveries",
        status=code, month=month, previous=previous(month), next=month.next(), keep=keep,
        shown_status=status, statuses=TROUBLED, rows=found.rows, older=found.before,
        before=before, notice=notice, error=error,
    )  # fmt: skip


def _status(text: object) -> Status | None:
    if not text:
        return None
    if text in {s.value for s in TROUBLED}:
        return Status(str(text))
    raise HTTPException(400, f"status: {text!r} is neither failed nor dead")


def _view(status: object, month: object, before: object) -> tuple[Month, Status | None, int | None]:
    """The list the form was posted from (its hidden fields), to go back to."""
    shown = month_of(month)
    page_from = int(before) if isinstance(before, str) and before.isdigit() else None
    return shown, _status(status), page_from


def _back(month: Month, status: Status | None, before: int | None, report: RetryReport) -> str:
    left = list(report.left.values())
    counts = {
        "due": len(report.retried),
        "delivered": left.count(Status.DELIVERED),
        "busy": left.count(Status.DELIVERING),
        "gone": len(report.unknown),
    }
    query: dict[str, object] = {"month": str(month)}
    if status is not None:
        query["status"] = status.value
    if before is not None:
        query["before"] = before
    return urlencode({**query, "done": "retry", **counts})


def _notice(request: Request) -> str:
    """`3 records due again; 1 was delivered meanwhile`."""
    counts = {k: int(v) if (v := request.query_params.get(k, "0")).isdigit() else 0
              for k in NOTICE_KEYS}  # fmt: skip
    parts = [f"{_records(counts['due'])} due again"]
    if counts["delivered"]:
        parts.append(f"{counts['delivered']} {_was(counts['delivered'])} delivered meanwhile")
    if counts["busy"]:
        parts.append(f"{counts['busy']} {_was(counts['busy'])} being delivered, left alone")
    if counts["gone"]:
        parts.append(f"{counts['gone']} no longer {_exists(counts['gone'])}")
    return "; ".join(parts) + "."


def _records(count: int) -> str:
    return f"{count} record" if count == 1 else f"{count} records"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def _exists(count: int) -> str:
    return "exists" if count == 1 else "exist"
