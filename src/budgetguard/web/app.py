"""The whole HTTP application `serve` runs: the API under /v1 and the console at /.

The console's errors are pages; the API's stay `application/problem+json`. A path outside /v1
that no route serves is the console's 404 page; so is a console path whose parameter is not what
the route takes (`/shops/abc`), and a console request with another value it cannot read
(`/deliveries?before=0`) is its 400 page, naming the field.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from budgetguard.api import problems
from budgetguard.api.app import Lifespan, create_api
from budgetguard.api.dependencies import Runtime
from budgetguard.api.static_files import static_app
from budgetguard.web.auth import Forbidden, SignInRequired
from budgetguard.web.routes import (
    deliveries,
    overview,
    shop,
    shop_actions,
    shop_link,
    shops,
    sign_in,
)
from budgetguard.web.templating import STATIC, error_page

API_PREFIXES = ("/v1/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc")
_TITLES = {404: "Not found", 405: "Not allowed", 410: "Gone"}


def create_app(runtime: Runtime, *, lifespan: Lifespan | None = None) -> FastAPI:
    """Return the API of `runtime` with the console beside it."""
    app = create_api(runtime, lifespan=lifespan)
    app.mount("/static", static_app(STATIC), name="static")
    for module in (sign_in, overview, shops, shop, shop_actions, shop_link, deliveries):
        app.include_router(module.router)
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    return app


def is_console(request: Request) -> bool:
    path = request.url.path
    return not any(path == p.rstrip("/") or path.startswith(p) for p in API_PREFIXES)


async def _sign_in_first(request: Request, _error: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/"
    return RedirectResponse(f"/sign-in?next={_quoted(target)}", status_code=303)


async def _forbidden(request: Request, error: Exception) -> Response:
    return error_page(request, 403, "Not allowed", str(error))


async def _http_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, HTTPException | FastAPIHTTPException) or not is_console(request):
        return await problems.http_problem(request, error)
    title = _TITLES.get(error.status_code, "Error")
    message = "There is no such page." if error.status_code == 404 else str(error.detail)
    return error_page(request, error.status_code, title, message)


async def _invalid(request: Request, error: Exception) -> Response:
    if not isinstance(error, RequestValidationError) or not is_console(request):
        return await problems.invalid_problem(request, error)
    if any(item.get("loc", ())[:1] == ("path",) for item in error.errors()):
        return error_page(request, 404, _TITLES[404], "There is no such page.")
    wrong = "; ".join(f"{p.field}: {p.reason}" for p in problems.field_problems(error)[:5])
    return error_page(request, 400, "Bad request", wrong)


def _quoted(target: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415

    return quote(target, safe="/")
