"""Run a delivery worker with its transports open: once (what is due now), or until stopped.

A long-running worker (`budgetguard deliver`, the delivery thread of `serve`) is stopped and
woken through a `Control`, from any thread or from a signal handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable

from budgetguard.domain.delivery import DeliveryReport
from budgetguard.notify.channels.base import Channel
from budgetguard.notify.recipients import RecipientConfig, open_recipients
from budgetguard.notify.worker import DeliveryStore, DeliveryWorker, WorkerOptions


class Control:
    """Stops or wakes a running worker from any thread (asyncio's events are not thread-safe:
    they are set in the worker's own loop)."""

    def __init__(self) -> None:
        self.stopped = asyncio.Event()
        self.woken = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_asked = False
        self._guard = threading.Lock()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the worker's loop (a stop asked before it started takes effect at once)."""
        with self._guard:
            self._loop = loop
            if self._stop_asked:
                self.stopped.set()

    def stop(self) -> None:
        """Stop claiming; the worker finishes what is in flight, records it and returns."""
        with self._guard:
            self._stop_asked = True
            self._call(self.stopped.set)

    def wake(self) -> None:
        """Look for due work now rather than at the next poll."""
        with self._guard:
            self._call(self.woken.set)

    def _call(self, action: Callable[[], None]) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: the worker is done
            self._loop.call_soon_threadsafe(action)


async def run_worker(
    store: DeliveryStore,
    recipients: RecipientConfig,
    console: Channel,
    options: WorkerOptions,
    *,
    once: bool,
    control: Control,
    on_flush: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Run one worker with its transports open, in the running loop."""
    control.attach(asyncio.get_running_loop())
    async with open_recipients(recipients, console) as resolved:
        worker = DeliveryWorker(
            store=store, recipients=resolved, options=options, on_flush=on_flush
        )
        return await worker.run(once=once, stop=control.stopped, wake=control.woken)


def deliver(
    store: DeliveryStore,
    recipients: RecipientConfig,
    console: Channel,
    options: WorkerOptions,
    *,
    once: bool,
    control: Control | None = None,
    on_signals: bool = False,
    on_flush: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Run a worker in an event loop of this thread's own; `on_signals`: SIGINT and SIGTERM
    stop it (the main thread only)."""
    control = control or Control()

    async def main() -> DeliveryReport:
        loop = asyncio.get_running_loop()
        stops = (signal.SIGINT, signal.SIGTERM) if on_signals else ()
        for signum in stops:
            loop.add_signal_handler(signum, control.stop)
        try:
            return await run_worker(
                store, recipients, console, options,
                once=once, control=control, on_flush=on_flush,
            )  # fmt: skip
        finally:
            for signum in stops:
                loop.remove_signal_handler(signum)

    with asyncio.Runner(loop_factory=_fast_loop()) as runner:
        return runner.run(main())


def _fast_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it exists (not on Windows): the HTTP client's work per request is mostly
    the event loop's, and uvloop does it in a fraction of the CPU; asyncio's own otherwise."""
    try:
        import uvloop  # noqa: PLC0415 - only a delivery loop needs it
    except ImportError:
        return None
    return uvloop.new_event_loop
