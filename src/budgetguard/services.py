"""budgetguard's use cases, one function each; the CLI and the HTTP API call these."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from budgetguard.bootstrap import App, delivery_setup
from budgetguard.db import schema
from budgetguard.db.engine import check_connection
from budgetguard.db.evaluator import EvaluationReport, Progress, evaluate
from budgetguard.db.sample import SeedReport, seed_sample
from budgetguard.db.status import ShopStatus, iter_status
from budgetguard.domain.period import Month
from budgetguard.notify.channel import Channel
from budgetguard.notify.delivery import DeliveryReport, deliver_due


@dataclass(frozen=True, slots=True)
class CheckReport:
    evaluation: EvaluationReport
    delivery: DeliveryReport


def open_database(app: App) -> None:
    """Fail with one clear error unless the database answers and its schema is current."""
    check_connection(app.engine)
    schema.ensure_current(app.engine)


def upgrade_database(*, app: App) -> tuple[str | None, str]:
    """Create or upgrade the schema; return the revisions before and after."""
    check_connection(app.engine)
    return schema.upgrade(app.engine)


def seed_sample_data(*, app: App) -> SeedReport:
    """Load the sample shops and budgets where they are missing."""
    open_database(app)
    return seed_sample(app.engine)


def run_check(
    *, app: App, at: datetime, channel: Channel, on_progress: Progress | None = None
) -> CheckReport:
    """Evaluate every budget of the month containing `at`, then deliver what is due."""
    open_database(app)
    evaluation = evaluate_month(app=app, at=at, on_progress=on_progress)
    return CheckReport(evaluation, deliver(app=app, channel=channel))


def evaluate_month(
    *,
    app: App,
    at: datetime,
    on_progress: Progress | None = None,
    lock_timeout: float | None = None,
) -> EvaluationReport:
    """Evaluate every budget of the month containing `at`; queue, pause and resume (SPEC §3).

    `lock_timeout` overrides BUDGETGUARD_LOCK_TIMEOUT (the service waits less than cron).
    """
    settings = app.settings
    return evaluate(
        engine=app.engine,
        policy=settings.policy,
        at=at,
        zone=settings.zone,
        clock=app.clock,
        chunk_size=settings.chunk_size,
        lock_timeout=settings.lock_timeout if lock_timeout is None else lock_timeout,
        workers=settings.evaluation_workers,
        on_progress=on_progress,
    )


def deliver(*, app: App, channel: Channel) -> DeliveryReport:
    """Dispatch every due notification to its recipients and deliver what is due, once.

    `channel` is the console: it takes the notifications that have no other recipient.
    """
    return deliver_due(delivery_setup(app, channel))


def shop_status(*, app: App, at: datetime, shop_ids: Sequence[int] = ()) -> Iterator[ShopStatus]:
    """Yield each shop's standing for the month containing `at`."""
    open_database(app)
    month = Month.containing(at, app.settings.zone)
    return iter_status(app.engine, month=month, shop_ids=shop_ids)
