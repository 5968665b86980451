"""The one place that wires settings, the database engine and the clock together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from budgetguard.config import Settings
from budgetguard.db.engine import make_engine
from budgetguard.notify.channel import Channel
from budgetguard.notify.delivery import DeliverySetup
from budgetguard.notify.routes import RouteConfig
from budgetguard.notify.templates import Templates
from budgetguard.notify.worker import WorkerOptions

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


def delivery_setup(app: App, console: Channel) -> DeliverySetup:
    """Wire the delivery worker: operator channels, SMTP, templates, limits, from the settings."""
    settings = app.settings
    routes = RouteConfig(
        operators=settings.operator_recipients,
        smtp=settings.smtp_server,
        sender=settings.smtp_from,
        templates=Templates(settings.template_dir),
        timeout=settings.delivery_timeout,
        connections=settings.delivery_concurrency,
        allow_private=settings.webhook_allow_private,
    )
    options = WorkerOptions(
        batch_size=settings.delivery_batch_size,
        concurrency=settings.delivery_concurrency,
        per_recipient=max(1, settings.delivery_concurrency // 4),
        poll_interval=settings.delivery_poll_interval,
        send_limit=2 * settings.delivery_timeout,
    )
    return DeliverySetup(
        engine=app.engine,
        routes=routes,
        console=console,
        clock=app.clock,
        options=options,
        lease=settings.lease,
        max_attempts=settings.delivery_max_attempts,
    )
