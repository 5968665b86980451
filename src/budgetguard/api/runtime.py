"""What the routes are handed: the wired App, the API keys, the metrics, the delivery's bell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from budgetguard.api.auth import KeyRing
from budgetguard.bootstrap import App
from budgetguard.db.evaluator import ChunkResult
from budgetguard.metrics import Metrics


def _nothing() -> None:
    return None


@dataclass
class Runtime:
    app: App
    keys: KeyRing
    metrics: Metrics
    wake_delivery: Callable[[], None] = field(default=_nothing)

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


Wired = Annotated[Runtime, Depends(runtime)]
