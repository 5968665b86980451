"""The budget period: a calendar month in the platform time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month, written `YYYY-MM`; its budget row's `a_month` is its first day."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999 or not 1 <= self.month <= 12:
            raise ValueError(f"not a calendar month: {self.year:04d}-{self.month:02d}")

    @classmethod
    def containing(cls, instant: datetime, tz: ZoneInfo) -> Month:
        """Return the month that contains `instant` on the wall clock of `tz`."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("instant must be timezone-aware")
        local = instant.astimezone(tz)
        return cls(local.year, local.month)

    @classmethod
    def of(cls, day: date) -> Month:
        """Return the month that contains `day`."""
        return cls(day.year, day.month)

    @staticmethod
    @lru_cache(maxsize=1024)
    def of_cached(year: int, month: int) -> Month:
        """Return the month, shared: outbox rows repeat the same few months."""
        return Month(year, month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse `YYYY-MM`."""
        match = _MONTH_TEXT.match(text)
        if match is None:
            raise ValueError(f"not a month (expected YYYY-MM): {text!r}")
        return cls(int(match[1]), int(match[2]))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def label(self) -> str:
        """Return the month as people write it, e.g. `July 2020`."""
        return _label(self.year, self.month)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@lru_cache(maxsize=1024)
def _label(year: int, month: int) -> str:
    return date(year, month, 1).strftime("%B %Y")


def parse_instant(text: str, zone: ZoneInfo) -> datetime:
    """Parse an ISO-8601 date or date-time; one without a zone is read on the clock of `zone`."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"not an ISO-8601 date or date-time: {text!r} (e.g. 2020-07-31 or 2020-07-31T18:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone)
    return parsed
