"""How repeated failed sign-ins are slowed down (README "Signing in, users and roles").

Failures are counted per subject: the name tried (`name:<name lowercased>`) and the client it
came from (`client:<address>`, an IPv6 address by its /64, which one host usually holds whole).
A subject's first few failures are free; after them each attempt must wait a delay that doubles
with every further failure, up to a longest one, counted from the subject's last failure. A
subject whose last failure is older than the window is forgotten. An attempt that arrives too
soon is refused without its password being checked, and does not count.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

SUBJECT_LIMIT = 160
"""Longest subject stored (`bg_sign_in_failures.subject`); a longer one is cut."""
IPV6_PREFIX = 64


@dataclass(frozen=True, slots=True)
class Throttle:
    """The rule for one kind of subject."""

    free_failures: int
    first_delay: timedelta
    longest_delay: timedelta
    window: timedelta

    def delay(self, failures: int) -> timedelta:
        """How long after the last of `failures` failures the next attempt must wait."""
        beyond = failures - self.free_failures
        if beyond < 0:
            return timedelta(0)
        # Capped before doubling too far: 2**beyond grows without bound.
        doubled: timedelta = self.first_delay * 2 ** min(beyond, 32)
        return min(doubled, self.longest_delay)


WINDOW = timedelta(minutes=15)
BY_NAME = Throttle(5, timedelta(seconds=1), timedelta(seconds=60), WINDOW)
"""A name: five free failures, then 1, 2, 4 … 60 s."""
# Higher for a client: one office behind one address holds many people who mistype.
BY_CLIENT = Throttle(20, timedelta(seconds=1), timedelta(seconds=60), WINDOW)
"""A client: twenty free failures (many people may share an address), then 1, 2, 4 … 60 s."""


@dataclass(frozen=True, slots=True)
class Failures:
    """A subject's failures within the window, and when the last one happened."""

    subject: str
    failures: int
    last_failed_at: datetime


def throttle_of(subject: str) -> Throttle:
    return BY_NAME if subject.startswith("name:") else BY_CLIENT


def counted(found: Failures | None, now: datetime) -> int:
    """The failures still counted at `now` (0 once the last is older than the window)."""
    if found is None or now - found.last_failed_at >= throttle_of(found.subject).window:
        return 0
    return found.failures


def wait_for(found: Failures | None, now: datetime) -> timedelta:
    """How long an attempt at `now` must still wait because of `found` (zero: it may try)."""
    if found is None:
        return timedelta(0)
    delay = throttle_of(found.subject).delay(counted(found, now))
    return max(found.last_failed_at + delay - now, timedelta(0))


def subjects(name: str, client: str | None) -> tuple[str, str]:
    """The subjects an attempt counts against: its name's and its client's."""
    return (
        f"name:{name.strip().lower()}"[:SUBJECT_LIMIT],
        f"client:{client_key(client)}"[:SUBJECT_LIMIT],
    )


def client_key(address: str | None) -> str:
    """A client's address as counted: IPv4 whole, IPv6 by its /64, anything else as given."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def seconds_to_wait(wait: timedelta) -> int:
    """A wait as whole seconds, rounded up (what `Retry-After` and the page say)."""
    whole = int(wait.total_seconds())
    return whole + 1 if wait.total_seconds() > whole else whole
