"""What the console keeps per runtime (`Runtime.caches`): each piece made once, at first use —
the session codec (its secret read once from the settings or the database), the shop links, the
overview's cache."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

from budgetguard.api.dependencies import Runtime
from budgetguard.services.users import console_secret
from budgetguard.web.session import SessionCodec

T = TypeVar("T")
_lock = threading.Lock()


def runtime_of(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def kept(runtime: Runtime, key: str, kind: type[T], make: Callable[[], T]) -> T:
    """What the console keeps for `runtime` under `key`: made by `make` at the first call, once
    (under a lock: concurrent first requests do not make two)."""
    with _lock:
        found = runtime.caches.get(key)
        if not isinstance(found, kind):
            found = runtime.caches[key] = make()
        return found


def codec(runtime: Runtime) -> SessionCodec:
    """The runtime's session codec; the first call reads (or generates) the secret."""
    context = runtime.context
    return kept(
        runtime,
        "session_codec",
        SessionCodec,
        lambda: SessionCodec(
            console_secret(context=context),
            hours=context.settings.session_hours,
            clock=context.clock,
        ),
    )
