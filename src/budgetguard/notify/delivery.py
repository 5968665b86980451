"""Run the delivery worker: once (what is due now) or until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from budgetguard.notify.channel import Channel
from budgetguard.notify.routes import RouteConfig, open_routes
from budgetguard.notify.store import DeliveryReport, DeliveryStore
from budgetguard.notify.worker import DeliveryWorker, WorkerOptions

__all__ = ["DeliveryReport", "DeliverySetup", "deliver_due", "deliver_until_signalled"]


@dataclass(frozen=True)
class DeliverySetup:
    """Everything a delivery run needs."""

    engine: Engine
    routes: RouteConfig
    console: Channel
    clock: Callable[[], datetime]
    options: WorkerOptions
    lease: timedelta
    max_attempts: int
    rng: random.Random | None = None


def deliver_due(setup: DeliverySetup) -> DeliveryReport:
    """Dispatch and deliver everything due now; return when nothing due is left in flight."""
    return asyncio.run(run_delivery(setup, once=True, stop=asyncio.Event()))


def deliver_until_signalled(setup: DeliverySetup) -> DeliveryReport:
    """Deliver as work comes due until SIGINT or SIGTERM, then finish what is in flight."""

    async def main() -> DeliveryReport:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            return await run_delivery(setup, once=False, stop=stop)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    return asyncio.run(main())


async def run_delivery(setup: DeliverySetup, *, once: bool, stop: asyncio.Event) -> DeliveryReport:
    """Run one worker with its transports open."""
    store = DeliveryStore(
        setup.engine,
        operators=setup.routes.dispatch_routes,
        clock=setup.clock,
        lease=setup.lease,
        max_attempts=setup.max_attempts,
        rng=setup.rng or random.Random(),  # noqa: S311 - retry jitter, not secrets
    )
    async with open_routes(setup.routes, setup.console) as routes:
        worker = DeliveryWorker(store=store, routes=routes, options=setup.options)
        return await worker.run(once=once, stop=stop)
