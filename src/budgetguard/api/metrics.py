"""Prometheus metrics of a running service: evaluations, ingestion, the outbox, delivery.

Counters count what this process did (Prometheus adds replicas up): the routes count requests'
evaluations and spend events, `serve`'s workers the interval evaluations and deliveries. The
outbox gauges are read from the database at each scrape, so every replica reports the same.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import exc

from budgetguard.domain.delivery import DeliveryReport
from budgetguard.domain.evaluation import ChunkResult, EvaluationReport
from budgetguard.domain.notification import Kind
from budgetguard.services.notifications import OutboxStats, outbox_figures
from budgetguard.services.uow import Context

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TRIGGERS = ("interval", "check", "request")
KINDS = tuple(kind.value for kind in Kind)


class Metrics:
    """Every metric of one process, in its own registry."""

    def __init__(self, context: Context) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.evaluations = Counter(
            "budgetguard_evaluations", "Evaluations run, by trigger.", ["trigger"], registry=r
        )
        self.evaluation_seconds = Histogram(
            "budgetguard_evaluation_duration_seconds",
            "Duration of whole-month evaluations, by trigger.",
            ["trigger"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
            registry=r,
        )
        self.events = Counter(
            "budgetguard_spend_events", "Spend events, by outcome.", ["outcome"], registry=r
        )
        self.groups = Histogram(
            "budgetguard_spend_group_events",
            "Single spend events applied per group commit (one transaction each).",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
            registry=r,
        )
        self.queued = Counter(
            "budgetguard_notifications_queued", "Notifications queued.", ["kind"], registry=r
        )
        self.delivered = Counter(
            "budgetguard_notifications_delivered",
            "Deliveries made (one per notification and recipient).",
            ["kind"],
            registry=r,
        )
        self.failed = Counter(
            "budgetguard_notifications_failed", "Failed delivery attempts.", ["kind"], registry=r
        )
        for trigger in TRIGGERS:
            self.evaluations.labels(trigger)
        for outcome in ("applied", "duplicate"):
            self.events.labels(outcome)
        for kind in KINDS:
            self.queued.labels(kind)
            self.delivered.labels(kind)
            self.failed.labels(kind)
        r.register(OutboxCollector(context))

    def evaluated(self, trigger: str, report: EvaluationReport, seconds: float) -> None:
        self.evaluations.labels(trigger).inc()
        self.evaluation_seconds.labels(trigger).observe(seconds)
        self._queued(report.notifications, report.resumed, report.forecasts)

    def request_evaluated(self, queued: ChunkResult) -> None:
        self.evaluations.labels("request").inc()
        self._queued(queued.notifications, queued.resumed, queued.forecasts)

    def delivery(self, report: DeliveryReport) -> None:
        """Count a delivery run's attempts, delivered or failed, by notification kind (every
        recipient's: e-mail, webhooks, Slack and the console alike)."""
        for (kind, delivered), count in report.attempts.items():
            (self.delivered if delivered else self.failed).labels(kind).inc(count)

    def ingested(self, *, applied: int, duplicates: int) -> None:
        self.events.labels("applied").inc(applied)
        self.events.labels("duplicate").inc(duplicates)

    def grouped(self, events: int) -> None:
        """Count a group commit of `events` single spend events."""
        self.groups.observe(events)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def _queued(self, notifications: int, resumed: int, forecasts: int) -> None:
        self.queued.labels(Kind.THRESHOLD.value).inc(notifications - resumed - forecasts)
        self.queued.labels(Kind.RESUMED.value).inc(resumed)
        self.queued.labels(Kind.FORECAST.value).inc(forecasts)


class OutboxCollector(Collector):
    """Reads the shops paused and the delivery backlog from the database, at most once per
    BUDGETGUARD_METRICS_CACHE_SECONDS (a failed read too: an outage is not hammered)."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._max_age = context.settings.metrics_cache_seconds
        self._lock = threading.Lock()  # concurrent scrapes wait for the one read
        self._read_at: float | None = None
        self._stats: OutboxStats | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self._figures()
        if stats is None:
            return
        lag = 0.0
        if stats.oldest_waiting is not None:
            lag = max(0.0, (self._context.clock() - stats.oldest_waiting).total_seconds())
        yield GaugeMetricFamily(
            "budgetguard_shops_paused", "Shops budgetguard has paused.", value=stats.shops_paused
        )
        yield GaugeMetricFamily(
            "budgetguard_notifications_waiting",
            "Notifications not yet delivered (pending, being delivered, or to retry).",
            value=stats.waiting,
        )
        yield GaugeMetricFamily(
            "budgetguard_delivery_lag_seconds",
            "Age of the oldest notification not yet delivered (0 when none waits).",
            value=lag,
        )

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())

    def _figures(self) -> OutboxStats | None:
        """The figures of the last read, read again once they are older than the cache allows."""
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= self._max_age:
                self._read_at = now
                try:
                    self._stats = outbox_figures(context=self._context)
                except exc.SQLAlchemyError as error:  # the pool's own timeout too
                    log.debug("metrics: the database did not answer: %s", error)
                    self._stats = None
            return self._stats
