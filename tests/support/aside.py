"""Running set-up work beside a browser test: Playwright's sync API runs an event loop in the
test's thread, and work that runs one of its own (the contact checks, delivery) cannot share it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def aside(work: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Run `work` in a thread of its own and wait for it."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(work, *args, **kwargs).result(120)
