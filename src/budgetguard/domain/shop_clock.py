"""The shop's own clock: which month an instant falls in for each time zone in use, its date
there, and how far into that month it is.

An evaluation at instant T evaluates, for each shop, the month that contains T on the shop's
clock. The zones in use are few (the settings' and those the policies name), so the months
they give are one, or two around a turn of the month: the evaluation makes one pass per month
(`month_passes`), each over the shops whose zone is in that month at T. Which names are zones
at all: `known_zone`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from budgetguard.domain.period import Month


@dataclass(frozen=True, slots=True)
class ZoneClock:
    """An instant on one zone's clock: its month, its date, the seconds of the month elapsed
    and the seconds the whole month lasts there (23 or 25 hours on a day clocks change)."""

    zone: str
    month: Month
    today: date
    elapsed_seconds: int
    month_seconds: int

    @property
    def month_start(self) -> datetime:
        """The month's first instant on this clock, in UTC."""
        return month_start(self.month, self.zone)


def zone_clock(at: datetime, zone: str) -> ZoneClock:
    """Where `at` (aware) falls on the clock of `zone`."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the instant must be timezone-aware")
    local = at.astimezone(ZoneInfo(zone))
    month = Month(local.year, local.month)
    start = month_start(month, zone)
    end = month_start(month.next(), zone)
    # Aware datetimes in one tzinfo subtract as wall clocks: compare them in UTC.
    elapsed = at.astimezone(UTC) - start
    return ZoneClock(
        zone=zone,
        month=month,
        today=local.date(),
        elapsed_seconds=int(elapsed.total_seconds()),
        month_seconds=int((end - start).total_seconds()),
    )


@lru_cache(maxsize=4096)
def month_start(month: Month, zone: str) -> datetime:
    """Midnight of the month's first day on the clock of `zone`, in UTC."""
    local = datetime(month.year, month.month, 1, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class MonthPass:
    """The shops an evaluation at one instant evaluates for one month.

    `clocks` holds every zone in use whose month at the instant is `month` (the default
    zone's first when it is one of them). `every_zone` says that they are all the zones in use,
    so no shop needs to be told apart by its zone (the common case: one pass).
    """

    month: Month
    clocks: tuple[ZoneClock, ...]
    default_zone: str
    every_zone: bool

    @property
    def default(self) -> ZoneClock:
        """The clock of shops whose zone is the settings' (or, when that zone is in another
        pass, of the first zone listed: the pass then reads only the zones it lists)."""
        for clock in self.clocks:
            if clock.zone == self.default_zone:
                return clock
        return self.clocks[0]

    @property
    def holds_default(self) -> bool:
        """The settings' zone is one of the pass's: the pass of the platform's month."""
        return any(clock.zone == self.default_zone for clock in self.clocks)

    @property
    def others(self) -> tuple[ZoneClock, ...]:
        """The clocks other than `default`, each told apart in SQL by its zone name."""
        first = self.default
        return tuple(c for c in self.clocks if c is not first)


def month_passes(at: datetime, default_zone: str, zones_in_use: Iterable[str]) -> list[MonthPass]:
    """One pass per month that `at` falls in on the clocks in use, oldest month first."""
    zones = [default_zone, *sorted(set(zones_in_use) - {default_zone})]
    by_month: dict[Month, list[ZoneClock]] = {}
    for zone in zones:
        clock = zone_clock(at, zone)
        by_month.setdefault(clock.month, []).append(clock)
    single = len(by_month) == 1
    return [
        MonthPass(month, tuple(clocks), default_zone, every_zone=single)
        for month, clocks in sorted(by_month.items())
    ]


NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
"""Names the zone database holds that name no place, refused: `localtime` is the host's own zone
(a shop's month would follow whichever server evaluates it), `posixrules` the rules POSIX TZ
strings borrow, `Factory` the zone of a host whose zone was never set (`-00`)."""


def known_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone: one of `zoneinfo.available_timezones()` and not one
    of NOT_ZONES. A directory of the database (`America`), a path (`../etc/passwd`), a name
    differently written (`europe/berlin`) or a file beside the zones (`zone.tab`) is not.

    The tzdata package's list of zones is read first (at once); the host's zone directories are
    walked (tens of milliseconds, once a process) only for a name not in that list. Neither set
    of names grows with the names asked about."""
    if not name or name in NOT_ZONES:
        return False
    if name not in _packaged_zones() and name not in _available_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # listed, but unreadable here
        return False
    return True


@cache
def _packaged_zones() -> frozenset[str]:
    """The zones of the tzdata package (a part of `available_timezones()`)."""
    try:
        listed = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    except (ImportError, OSError):
        return frozenset()
    return frozenset(listed.split())


@cache
def _available_zones() -> frozenset[str]:
    return frozenset(available_timezones())
