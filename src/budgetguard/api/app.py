"""Build the FastAPI application: routes, problem responses, the body limit, the wired runtime."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from budgetguard import __version__
from budgetguard.api import problems, routes_notify, routes_ops, routes_shops, routes_spend
from budgetguard.api.body_limit import BodyLimit
from budgetguard.api.runtime import Runtime

DESCRIPTION = """\
budgetguard watches every shop's monthly advertising budget: it notifies a shop at each
threshold (50 %, 100 %), takes it offline at the pause threshold and brings it back when the
budget has headroom again, exactly once. Every `/v1` route needs an API key
(`Authorization: Bearer <key>`). Amounts are decimal strings; errors are
`application/problem+json` (RFC 9457).
"""

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_api(runtime: Runtime, *, lifespan: Lifespan | None = None) -> FastAPI:
    """Return the HTTP application serving `runtime`."""
    api = FastAPI(
        title="budgetguard",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    api.state.runtime = runtime
    problems.install(api)
    api.include_router(routes_ops.health)
    api.include_router(routes_spend.router)
    api.include_router(routes_shops.router)
    api.include_router(routes_notify.contacts)
    api.include_router(routes_notify.deliveries)
    api.include_router(routes_ops.router)
    api.add_middleware(BodyLimit, max_bytes=runtime.app.settings.max_body_bytes)
    return api
