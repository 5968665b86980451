"""How a long-running budgetguard logs: readable lines, or one JSON object per line.

Set up by `serve` (BUDGETGUARD_LOG_FORMAT); uvicorn's own loggers go through the same handler.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s budgetguard: %(levelname)s: %(name)s: %(message)s"
JSON_FIELDS = "{asctime}{levelname}{name}{message}"
_QUIET = {"alembic": logging.WARNING}
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


def configure_logging(*, level: str, fmt: Literal["text", "json"]) -> None:
    """Send every log record to stderr, as text or JSON Lines, from `level` up."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    for name in _UVICORN:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
