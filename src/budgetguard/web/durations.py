"""How long something took or has waited, as people say it: `0.4 s`, `3 min 4 s`, `2 h 5 min`."""

from __future__ import annotations

from datetime import timedelta

DASH = "—"
MINUTE = 60
HOUR = 3600
DAY = 86_400


def duration(span: timedelta | None) -> str:
    if span is None:
        return DASH
    seconds = max(span.total_seconds(), 0.0)
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < MINUTE:
        return f"{whole} s"
    if whole < HOUR:
        return f"{whole // MINUTE} min {whole % MINUTE} s"
    if whole < DAY:
        return f"{whole // HOUR} h {whole % HOUR // MINUTE} min"
    return f"{whole // DAY} d {whole % DAY // HOUR} h"
