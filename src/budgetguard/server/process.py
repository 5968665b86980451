"""`budgetguard serve`: the HTTP API, an evaluation every interval, and continuous delivery.

One process: uvicorn serves the FastAPI app in the main thread; the evaluation and delivery
threads (workers.py) start with the app and stop with it. On SIGTERM (or Ctrl-C) uvicorn stops
accepting connections and lets the requests in flight finish; then the workers finish their
chunk or batch, and the process exits with status 0 (130 after Ctrl-C).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType

import anyio.to_thread
import uvicorn
from fastapi import FastAPI

from budgetguard.api.dependencies import KeyRing, Runtime
from budgetguard.api.metrics import Metrics
from budgetguard.bootstrap import build_context, console_channel, delivery_setup
from budgetguard.config import Settings
from budgetguard.domain.errors import ConfigError, DatabaseUnavailable
from budgetguard.server.http import server_config, warn_if_few_files
from budgetguard.server.logs import configure_logging
from budgetguard.server.workers import Workers
from budgetguard.services.database import open_database
from budgetguard.services.secrets import seal_clear_contacts
from budgetguard.services.uow import Context
from budgetguard.web.app import create_app

log = logging.getLogger(__name__)

# Requests run their database work in this many threads (FastAPI's default is 40): more would
# only queue on the GIL and on the database's locks, and stretch every transaction.
REQUEST_THREADS = 8


def build_service(context: Context) -> tuple[FastAPI, Workers]:
    """Wire the HTTP app and its workers around `context`; nothing runs until the app starts."""
    settings = context.settings
    metrics = Metrics(context)
    # The console takes the notifications nobody else receives (no contact, no operator channel):
    # JSON Lines when the logs are JSON, readable lines otherwise.
    console = console_channel(settings, json_lines=settings.log_format == "json")
    delivery = delivery_setup(context, console, poll_interval=settings.delivery_interval)
    workers = Workers(context, metrics, delivery)
    runtime = Runtime(context, KeyRing(settings.api_key_table), metrics, workers.wake_delivery)

    @asynccontextmanager
    async def lifespan(_api: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        workers.start()
        try:
            yield
        finally:
            await runtime.spend_group.drain()  # every spend event waiting is applied, answered
            log.info("stopping: finishing the evaluation chunk and the deliveries in flight")
            workers.stop()
            if workers.alive():
                log.warning("stopped waiting for: %s", ", ".join(workers.alive()))

    return create_app(runtime, lifespan=lifespan), workers


def run_server(settings: Settings, *, host: str, port: int) -> None:
    """Serve until SIGTERM or Ctrl-C."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if not settings.api_key_table:
        raise ConfigError("BUDGETGUARD_API_KEYS: serve needs at least one key (name:key,…)")
    context = build_context(settings)
    try:
        _check_database(context)
        seal_clear_contacts(context=context)
        api, _ = build_service(context)
        warn_if_few_files(settings)
        server = uvicorn.Server(server_config(api, settings, host=host, port=port))
        # uvicorn raises the signal it caught again once it has shut down: let SIGTERM end
        # the process through a normal return (status 0) instead of the default handler.
        signal.signal(signal.SIGTERM, _after_shutdown)
        log.info("budgetguard serving on http://%s:%s (API documentation at /docs)", host, port)
        server.run()
    finally:
        context.close()


def _check_database(context: Context) -> None:
    """Refuse to start on a schema that is not current; start anyway on an unreachable database
    (readiness fails until it answers, and every request answers 503)."""
    try:
        open_database(context=context)
    except DatabaseUnavailable as error:
        log.warning("%s; serving anyway, /readyz fails until it answers", error)


def _after_shutdown(_signal: int, _frame: FrameType | None) -> None:
    log.info("stopped after SIGTERM")
