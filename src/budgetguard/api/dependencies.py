"""What every route is handed: the runtime (the use cases' context, the API keys, the metrics,
the delivery's bell), and the caller, authenticated by API key.

API keys: `Authorization: Bearer <key>`, compared in constant time with every known key. The
`/v1` router depends on `caller` (routes/__init__.py), so no route under it can be added
without authentication.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from budgetguard.api.metrics import Metrics
from budgetguard.api.problems import Unauthorized
from budgetguard.api.readiness import Readiness
from budgetguard.domain.evaluation import ChunkResult
from budgetguard.services.contact_checks import Resolver, system_resolver
from budgetguard.services.spend_batcher import SpendBatcher
from budgetguard.services.uow import Context

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


def _nothing() -> None:
    return None


@dataclass
class Runtime:
    context: Context
    keys: KeyRing
    metrics: Metrics
    wake_delivery: Callable[[], None] = field(default=_nothing)
    resolver: Resolver = field(default=system_resolver)
    """Looks up the hosts of contacts being added (the system's; tests give a silent one)."""
    readiness: Readiness = field(default_factory=Readiness)
    caches: dict[str, object] = field(default_factory=dict)
    """What the web console keeps for this runtime's life (its signing secret, its counts)."""
    spend_group: SpendBatcher = field(init=False)
    """The group commit of single spend events, for this runtime's context as it is now."""

    def __post_init__(self) -> None:
        self.spend_group = SpendBatcher(lambda: self.context, on_group=self.metrics.grouped)

    def evaluated(self, queued: ChunkResult | None) -> None:
        """Count a request's evaluation, if it ran; ring the deliverer when it queued some."""
        if queued is None:
            return
        self.metrics.request_evaluated(queued)
        if queued.notifications:
            self.wake_delivery()


async def runtime(request: Request) -> Runtime:
    """The runtime of the app (async: a plain function would cost a worker-thread hop)."""
    found: Runtime = request.app.state.runtime
    return found


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


Wired = Annotated[Runtime, Depends(runtime)]
Caller = Annotated[str, Depends(caller)]
"""The name of the caller's API key (the /v1 router has checked it already)."""


async def actor(name: Caller) -> str:
    """The caller as the audit trail names it: `api:<key name>`."""
    return f"api:{name}"


Actor = Annotated[str, Depends(actor)]
"""Who acts through the API, for the audit trail."""
