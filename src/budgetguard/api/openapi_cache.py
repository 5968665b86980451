"""`/openapi.json` from bytes built once: FastAPI's own route serialises the whole schema again
at every request, which makes an open endpoint cheap to flood."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.routing import Route


def serve_openapi_from_cache(api: FastAPI) -> None:
    """Replace the route of `api.openapi_url` by one answering the bytes of its first answer."""
    built: list[bytes] = []

    async def openapi(_request: Request) -> Response:
        if not built:  # no await between the test and the append: one build, even under load
            built.append(bytes(JSONResponse(api.openapi()).body))
        return Response(built[0], media_type="application/json")

    path = api.openapi_url
    routes = api.router.routes
    for index, route in enumerate(routes):
        if isinstance(route, Route) and route.path == path:
            routes[index] = Route(path, openapi, include_in_schema=False)
