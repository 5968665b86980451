"""An operator's actions on a shop, from the shop page's forms: each goes through the use case
the API and the CLI call, audited as `web:<user>`, and answers with a redirect back to the page
and a notice; a refused value shows the page again (422) with the error beside its field."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from budgetguard.api.schemas.fields import BudgetAmount
from budgetguard.domain.errors import NotFound, Refusal
from budgetguard.domain.period import Month
from budgetguard.domain.recipients import ChannelKind
from budgetguard.services.contacts import ContactSpec, add_contact, remove_contact
from budgetguard.services.deliveries import retry_deliveries
from budgetguard.services.shops import put_budget
from budgetguard.services.shops import set_online as change_online
from budgetguard.web.auth import Operator, Posted, SignedIn
from budgetguard.web.months import month_of
from budgetguard.web.routes.shop import render_shop
from budgetguard.web.state import runtime_of

router = APIRouter()
_BUDGET = TypeAdapter(BudgetAmount)
KINDS = (ChannelKind.EMAIL, ChannelKind.WEBHOOK, ChannelKind.SLACK)


def _back(shop_id: int, month: Month, done: str) -> Response:
    return RedirectResponse(f"/shops/{shop_id}?month={month}&done={done}", status_code=303)


def _month(post: Posted) -> Month:
    return month_of(post.form.get("month"))


def _field(post: Posted, name: str) -> str:
    value = post.form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/shops/{shop_id}/budget", include_in_schema=False)
async def change_budget(request: Request, shop_id: int, post: Operator) -> Response:
    month, text = _month(post), _field(post, "amount")
    try:
        amount = _BUDGET.validate_python(text)
    except ValidationError as error:
        reason = error.errors()[0]["msg"].removeprefix("Value error, ")
        return await _refused(
            request, post, shop_id, month, field="amount", message=f"The budget {reason}."
        )
    context = runtime_of(request).context
    try:
        saved = await run_in_threadpool(
            put_budget, context=context, shop_id=shop_id, month=month, amount=amount,
            actor=post.actor,
        )  # fmt: skip
    except NotFound:
        raise HTTPException(404) from None
    runtime_of(request).evaluated(saved.queued)
    return _back(shop_id, month, "budget")


@router.post("/shops/{shop_id}/online", include_in_schema=False)
async def set_online(request: Request, shop_id: int, post: Operator) -> Response:
    month, online = _month(post), _field(post, "online") == "1"
    context = runtime_of(request).context
    try:
        saved = await run_in_threadpool(
            change_online, context=context, shop_id=shop_id, online=online, actor=post.actor
        )
    except NotFound:
        raise HTTPException(404) from None
    runtime_of(request).evaluated(saved.queued)
    return _back(shop_id, month, "online" if online else "offline")


@router.post("/shops/{shop_id}/contacts", include_in_schema=False)
async def add(request: Request, shop_id: int, post: Operator) -> Response:
    month, kind, address = _month(post), _field(post, "kind"), _field(post, "address")
    if kind not in {k.value for k in KINDS}:
        return await _refused(
            request, post, shop_id, month, field="kind", message="Choose a kind of contact."
        )
    if not address:
        return await _refused(
            request, post, shop_id, month, field="address", message="Enter an address."
        )
    runtime = runtime_of(request)
    try:
        added = await run_in_threadpool(
            add_contact, context=runtime.context, shop_id=shop_id,
            spec=ContactSpec(ChannelKind(kind), address), actor=post.actor,
            resolver=runtime.resolver,
        )  # fmt: skip
    except NotFound:
        raise HTTPException(404) from None
    except Refusal as refusal:
        return await _refused(request, post, shop_id, month, field="address", message=str(refusal))
    if added.new_secret is not None:  # shown once, here: never put in a URL
        return await render_shop(
            request, SignedIn(post.user, post.csrf), shop_id, month, secret=added.new_secret,
            notice="The contact is added.",
        )  # fmt: skip
    return _back(shop_id, month, "contact-added")


@router.post("/shops/{shop_id}/contacts/{contact_id}/remove", include_in_schema=False)
async def remove(request: Request, shop_id: int, contact_id: int, post: Operator) -> Response:
    month = _month(post)
    try:
        await run_in_threadpool(
            remove_contact, context=runtime_of(request).context, shop_id=shop_id,
            contact_id=contact_id, actor=post.actor,
        )  # fmt: skip
    except NotFound:
        raise HTTPException(404) from None
    return _back(shop_id, month, "contact-removed")


@router.post("/shops/{shop_id}/deliveries/{delivery_id}/retry", include_in_schema=False)
async def retry(request: Request, shop_id: int, delivery_id: int, post: Operator) -> Response:
    month = _month(post)
    report = await run_in_threadpool(
        retry_deliveries, context=runtime_of(request).context, ids=[delivery_id],
        actor=post.actor, shop_id=shop_id,
    )  # fmt: skip
    if delivery_id in report.unknown:
        raise HTTPException(404)
    if report.retried:
        runtime_of(request).wake_delivery()
    return _back(shop_id, month, "retried" if report.retried else "not-retried")


async def _refused(
    request: Request, post: Posted, shop_id: int, month: Month, *, field: str, message: str
) -> Response:
    form = {k: v for k, v in post.form.items() if isinstance(v, str) and k != "csrf"}
    signed = SignedIn(post.user, post.csrf)
    return await render_shop(
        request, signed, shop_id, month, status=422, errors={field: message}, form=form
    )
