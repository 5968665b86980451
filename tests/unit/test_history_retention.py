"""The spend history's retention (issue 8 §4): days by the platform's date, usage by whole month."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from budgetguard.domain.retention import Retention

NOW = datetime(2021, 8, 4, 3, 0, tzinfo=UTC)


def _retention(history_days: int) -> Retention:
    return Retention(
        spend_events_days=400,
        delivered_days=400,
        alerts_days=400,
        evaluations_days=90,
        history_days=history_days,
    )


def test_days_go_before_the_cutoffs_date_and_usage_before_its_month() -> None:
    cutoffs = _retention(400).cutoffs(NOW, ZoneInfo("UTC"))

    assert cutoffs.of("spend_days") == date(2020, 6, 30)
    assert cutoffs.of("usage") == date(2020, 6, 1)


def test_the_cutoffs_date_is_the_platforms() -> None:
    """03:00 UTC on 30 June 2020 is still the 29th in New York."""
    cutoffs = _retention(400).cutoffs(NOW, ZoneInfo("America/New_York"))

    assert cutoffs.of("spend_days") == date(2020, 6, 29)


def test_zero_keeps_the_history_forever_even_with_older_than() -> None:
    forever = _retention(0)

    assert forever.cutoffs(NOW, ZoneInfo("UTC")).of("spend_days") is None
    assert forever.all_older_than(1).cutoffs(NOW, ZoneInfo("UTC")).of("usage") is None
    assert _retention(400).all_older_than(1).history_days == 1
