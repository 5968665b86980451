"""How a long-running budgetguard logs: readable lines, or one JSON object per line.

Set up by `serve` (BUDGETGUARD_LOG_FORMAT); uvicorn's own loggers go through the same handler.
The access log shows each request's path without its query string: a query may carry what
must not be kept (a key sent there by mistake, shop data).
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

from budgetguard.domain.text import readable

TEXT_FORMAT = "%(asctime)s budgetguard: %(levelname)s: %(name)s: %(message)s"
JSON_FIELDS = "{asctime}{levelname}{name}{message}"
_QUIET = {"alembic": logging.WARNING}
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")
_ACCESS = "uvicorn.access"
# uvicorn's access record: (client, method, path with query, HTTP version, status).
_TARGET = 2


class WithoutQueryStrings(logging.Filter):
    """Cuts the query string off the request target of uvicorn's access records."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _TARGET:
            target = args[_TARGET]
            if isinstance(target, str):
                path = target.partition("?")[0]
                record.args = (*args[:_TARGET], path, *args[_TARGET + 1 :])
        return True


class ReadableFormatter(logging.Formatter):
    """Text lines whose message shows control characters escaped (domain/text.py): a shop's
    name or a receiver's answer in a message cannot forge a log line or drive the terminal.
    (JSON lines need nothing: json.dumps escapes them, ensure_ascii included.)"""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        message = record.message
        record.message = readable(message)
        try:
            return super().formatMessage(record)
        finally:
            record.message = message


def configure_logging(*, level: str, fmt: Literal["text", "json"]) -> None:
    """Send every log record to stderr, as text or JSON Lines, from `level` up."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        # Imported here: every command's start-up uses ReadableFormatter, only serve JSON logs.
        from pythonjsonlogger.json import JsonFormatter  # noqa: PLC0415

        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(ReadableFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    for name in _UVICORN:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    access = logging.getLogger(_ACCESS)
    access.filters[:] = [WithoutQueryStrings()]
