"""Build the FastAPI application: routes, problem responses, the body limit, the wired runtime."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from budgetguard import __version__
from budgetguard.api import problems
from budgetguard.api.body_limit import BodyLimit
from budgetguard.api.dependencies import Runtime
from budgetguard.api.docs import install_docs
from budgetguard.api.openapi_cache import serve_openapi_from_cache
from budgetguard.api.query_keys import QueryKeyRefusal
from budgetguard.api.routes import health, v1

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
        # A path with a trailing slash is 404, not a redirect: Starlette builds the redirect's
        # Location from the client's Host header.
        redirect_slashes=False,
        # Served by install_docs from the package, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    api.state.runtime = runtime
    serve_openapi_from_cache(api)
    install_docs(api)
    problems.install(api)
    api.include_router(health)
    api.include_router(v1)
    api.add_middleware(BodyLimit, max_bytes=runtime.context.settings.max_body_bytes)
    api.add_middleware(QueryKeyRefusal)
    return api
