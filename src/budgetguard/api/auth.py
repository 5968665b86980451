"""API keys: `Authorization: Bearer <key>`, compared in constant time with every known key."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from budgetguard.api.problems import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="An API key of BUDGETGUARD_API_KEYS.")


class KeyRing:
    """The API keys by name; holds only their SHA-256 digests."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._digests = [(name, _digest(key)) for name, key in keys.items()]

    def name_of(self, presented: str) -> str | None:
        """Return the name of the key `presented`, or None; the time taken does not depend on
        which key matches or how much of one does."""
        digest = _digest(presented)
        found = None
        for name, known in self._digests:
            if hmac.compare_digest(digest, known):
                found = name
        return found


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Return the name of the caller's API key; refuse the request without a known one.

    Async, though it never waits: FastAPI runs a plain function dependency in a worker thread.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    keys: KeyRing = request.app.state.runtime.keys
    name = keys.name_of(credentials.credentials)
    if name is None:
        raise Unauthorized("The API key is not valid.")
    request.state.caller = name
    return name


Caller = Annotated[str, Depends(caller)]
