"""How long budgetguard keeps what grows forever, and what a prune removed.

Each kind has its own retention in days (0: keep forever). Some rows are never pruned whatever
their age, because something still depends on them: an undelivered record (pending, delivering,
failed, dead), a notification not yet dispatched or with any record left, an evaluation still
running, an alert of a month that ended less than its retention ago. The statements in
db/maintenance/prune.py say it row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from budgetguard.domain.period import Month

# The order a prune goes in: delivery records before their notifications (a notification goes
# only once it has no record left).
# Forecasts go with the alerts, by month: both say what a month's evaluation already sent.
# The spend history goes by day (bg_spend_days) and by whole month (bg_usage).
KINDS = (
    "deliveries",
    "notifications",
    "spend_events",
    "alerts",
    "forecasts",
    "evaluations",
    "spend_days",
    "usage",
)

PruneProgress = Callable[[str, int], None]
"""Called after each batch with (kind, rows of that kind removed so far); may raise to stop."""


@dataclass(frozen=True, slots=True)
class Retention:
    """Days each kind of row is kept (0: forever)."""

    spend_events_days: int
    delivered_days: int
    alerts_days: int
    evaluations_days: int
    history_days: int

    def all_older_than(self, days: int) -> Retention:
        """The same kinds, each kept `days` days (`db prune --older-than`); 0 still means
        forever for a kind kept forever."""

        def keep(current: int) -> int:
            return 0 if current == 0 else days

        return replace(
            self,
            spend_events_days=keep(self.spend_events_days),
            delivered_days=keep(self.delivered_days),
            alerts_days=keep(self.alerts_days),
            evaluations_days=keep(self.evaluations_days),
            history_days=keep(self.history_days),
        )

    def cutoffs(self, now: datetime, zone: ZoneInfo) -> Cutoffs:
        """What is old enough to go at `now` (None: nothing of that kind)."""

        def before(days: int) -> datetime | None:
            return None if days == 0 else now - timedelta(days=days)

        alerts_instant = before(self.alerts_days)
        # Alerts go by month: only months that had ended `alerts_days` days ago.
        alerts = None if alerts_instant is None else Month.containing(alerts_instant, zone)
        # History: the days before the cutoff's date, and the months that ended before it.
        history = before(self.history_days)
        history_day = None if history is None else history.astimezone(zone).date()
        history_month = None if history is None else Month.containing(history, zone).first_day
        return Cutoffs(
            spend_events=before(self.spend_events_days),
            delivered=before(self.delivered_days),
            alerts=None if alerts is None else alerts.first_day,
            evaluations=before(self.evaluations_days),
            spend_days=history_day,
            usage=history_month,
        )


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """The instants (for alerts and usage, the month; for spend days, the day) before which
    rows may go; None: keep all."""

    spend_events: datetime | None
    delivered: datetime | None
    alerts: date | None
    evaluations: datetime | None
    spend_days: date | None
    usage: date | None

    def of(self, kind: str) -> datetime | date | None:
        """The cutoff of `kind` (one of KINDS); notifications go with their delivered records."""
        return {
            "deliveries": self.delivered,
            "notifications": self.delivered,
            "spend_events": self.spend_events,
            "alerts": self.alerts,
            "forecasts": self.alerts,
            "evaluations": self.evaluations,
            "spend_days": self.spend_days,
            "usage": self.usage,
        }[kind]


@dataclass
class PruneReport:
    """Rows a prune removed (or, dry, would remove) per kind, and the cutoffs it used."""

    cutoffs: Cutoffs
    dry_run: bool = False
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def total(self) -> int:
        return sum(self.removed.values())
