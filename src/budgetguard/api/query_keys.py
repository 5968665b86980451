"""Refuse an API key sent in the query string, on every path, before any route sees it.

A URL travels further than a header: proxies, access logs and browser histories keep it, so
a key in the query is a key leaked. A parameter named like a key (`api_key`, `key`, `token`,
…) or a value equal to a configured key is answered 400, naming the parameter, never its value.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from budgetguard.api.dependencies import KeyRing
from budgetguard.api.problems import problem

KEY_PARAMETERS = frozenset({"api_key", "apikey", "api-key", "key", "token", "access_token"})


class QueryKeyRefusal:
    """ASGI middleware: a request carrying an API key in its query string gets 400."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        parameter = _key_parameter(scope) if scope["type"] == "http" else None
        if parameter is None:
            await self.app(scope, receive, send)
            return
        detail = (
            f"The query parameter {parameter!r} carries an API key: send keys only as "
            "`Authorization: Bearer <key>`, and replace this one (URLs are logged on the way)."
        )
        await problem(400, detail, kind="key-in-query")(scope, receive, send)


def _key_parameter(scope: Scope) -> str | None:
    """The name of the first query parameter that carries (or is named for) an API key."""
    query: bytes = scope.get("query_string", b"")
    if not query:
        return None
    keys: KeyRing = scope["app"].state.runtime.keys
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    for name, value in pairs:
        if name.lower() in KEY_PARAMETERS or (value and keys.name_of(value) is not None):
            return name
    return None
