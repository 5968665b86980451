"""Signing in and out.

The sign-in form carries a token of its own (a cookie set with the form, SameSite=Strict), so
that another site cannot sign a visitor in under its own account. A wrong name or a wrong
password is the same message, with the same status. Repeated failures for one name or from one
client are slowed down (services/sign_in.py): an attempt that comes too soon is answered 429,
the same page saying how long to wait, with `Retry-After`, its password unchecked. At most two
passwords are checked at once in a process (web/slots.py): an attempt that finds no free check
within two seconds is answered 503, the same page asking to try again shortly, with
`Retry-After`, its password unchecked and no failure counted.

`next`, where to go once signed in, is a path of this site or nothing: a browser reads
`//host`, `/\\host` and `/<TAB>/host` as another site, so any of them leads to the overview.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from budgetguard.domain.sign_in import seconds_to_wait
from budgetguard.services.sign_in import sign_in as attempt_sign_in
from budgetguard.services.sign_in import sign_out as end_session
from budgetguard.web import session, slots
from budgetguard.web.auth import Forbidden, SignedPost, session_of
from budgetguard.web.state import codec, runtime_of
from budgetguard.web.templating import page

router = APIRouter()
FORM_COOKIE = "bg_sign_in"
WRONG = "The name or the password is wrong."
BUSY = "Many sign-ins are being checked right now: try again in a few seconds."
BUSY_RETRY_SECONDS = 2


def local_path(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never `//host` or `http:`)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    # Browsers drop tabs and line breaks from URLs and read a backslash as a slash.
    if "\\" in target or any(ord(c) < 0x21 or 0x7F <= ord(c) <= 0x9F for c in target):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


@router.get("/sign-in", response_class=HTMLResponse, include_in_schema=False)
def sign_in_form(request: Request, next: str | None = None) -> Response:
    if session_of(request) is not None:
        return RedirectResponse(local_path(next), status_code=303)
    return _form(request, next=local_path(next))


@router.post("/sign-in", include_in_schema=False)
async def sign_in(
    request: Request,
    name: Annotated[str, Form(max_length=256)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    expected = request.cookies.get(FORM_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf, expected):
        raise Forbidden("This sign-in form has expired: reload the page and sign in again.")
    runtime = runtime_of(request)
    client = _client(request)
    async with slots.PASSWORD_CHECKS.held(within=slots.PASSWORD_CHECK_WAIT) as free:
        if not free:
            response = _form(request, next=local_path(next), name=name, error=BUSY, status=503)
            response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
            return response
        attempt = await run_in_threadpool(
            attempt_sign_in, context=runtime.context, name=name, password=password, client=client
        )
    if attempt.wait:
        seconds = seconds_to_wait(attempt.wait)
        response = _form(
            request, next=local_path(next), name=name, error=_wait(seconds), status=429
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    if attempt.user is None:
        return _form(request, next=local_path(next), name=name, error=WRONG, status=401)
    response = RedirectResponse(local_path(next), status_code=303)
    codec(runtime).begin(response, request, attempt.user)
    response.delete_cookie(FORM_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, post: SignedPost) -> Response:
    """End the session on the server (a copy of the cookie is refused too), then remove it."""
    end_session(
        context=runtime_of(request).context, user=post.user, session_token=post.csrf,
        client=_client(request),
    )  # fmt: skip
    response = RedirectResponse("/sign-in", status_code=303)
    session.end(response)
    return response


def _client(request: Request) -> str | None:
    """The client's address (or the one a trusted proxy reports)."""
    return request.client.host if request.client else None


def _wait(seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many failed sign-ins: wait {seconds} {unit}, then try again."


def _form(
    request: Request, *, next: str, name: str = "", error: str | None = None, status: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request, "sign_in.html", signed=None, status=status, form_token=token, next=next,
        name=name, error=error,
    )  # fmt: skip
    response.set_cookie(
        FORM_COOKIE, token, max_age=3600, path="/sign-in", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response
