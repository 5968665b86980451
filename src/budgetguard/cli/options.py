"""What the commands share: the invocation's settings and context, common options."""

from __future__ import annotations

import getpass
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import typer

from budgetguard.bootstrap import build_context
from budgetguard.config import Settings, load_settings
from budgetguard.domain.ids import LARGEST_ID
from budgetguard.domain.period import parse_instant
from budgetguard.services.uow import Context


@dataclass
class Invocation:
    """One run of the command: its global options (`ctx.obj` of every command)."""

    database_url: str | None

    def settings(self, **overrides: object) -> Settings:
        return load_settings(database_url=self.database_url, **overrides)

    @contextmanager
    def context(self) -> Iterator[Context]:
        """The use cases' context for this run's settings; its connections closed after."""
        settings = self.settings()
        logging.getLogger().setLevel(settings.log_level)
        built = build_context(settings)
        try:
            yield built
        finally:
            built.close()


AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Evaluation instant, ISO-8601 (e.g. 2020-07-31 or 2020-07-31T18:00:00+02:00); a date "
        "or a time without zone is read in BUDGETGUARD_TIMEZONE. Default: now.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
# Ids in the range the API takes (domain/ids.py): one outside it is a usage error naming the
# argument (exit 2), not the database's `integer out of range`.
ShopArgument = Annotated[
    int, typer.Argument(help="Shop id.", min=1, max=LARGEST_ID, show_default=False)
]


def instant(at: str | None, context: Context) -> datetime:
    """The instant `--at` names (default: now), or a usage error saying what is wrong."""
    if at is None:
        return context.clock()
    try:
        return parse_instant(at, context.settings.zone)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--at'") from None


def actor() -> str:
    """Who runs the command, for the audit trail: `cli:<os user>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in the environment or the password database
        return "cli:unknown"
