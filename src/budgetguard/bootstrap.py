"""The one place that wires settings, the database engine and the clock together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from budgetguard.config import Settings
from budgetguard.db.engine import make_engine

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class App:
    """Everything a use case needs: settings, the engine, and the clock."""

    settings: Settings
    engine: Engine
    clock: Clock = field(default=utc_now)

    def close(self) -> None:
        self.engine.dispose()


def build_app(settings: Settings, *, clock: Clock = utc_now) -> App:
    """Wire an App for `settings`. Nothing connects until a use case runs."""
    return App(settings=settings, engine=make_engine(settings.database_url), clock=clock)
