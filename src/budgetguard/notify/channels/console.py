"""The console channel: one readable line, or one JSON object (JSON Lines), per notification.

A shop's name comes from the platform's table as it was written: the readable line shows its
control characters escaped (domain/text.py), so a name cannot clear the screen or forge a line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from budgetguard.domain.money import format_money
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.text import readable, safe_json


def as_json(notification: Notification) -> dict[str, Any]:
    """Return the notification as the JSON object of SPEC §5."""
    return {
        "id": notification.id,
        "kind": notification.kind.value,
        "shop_id": notification.shop_id,
        "shop_name": notification.shop_name,
        "month": str(notification.month),
        "thresholds": list(notification.thresholds),
        "budget": str(notification.budget),
        "spent": str(notification.spent),
        # A JSON number; two decimals survive the shortest float representation exactly.
        "percent": float(notification.percent),
        "action": notification.action.value if notification.action else None,
        "date": notification.evaluated_on.isoformat(),
        "created_at": notification.created_at.isoformat(),
    }


def as_line(notification: Notification) -> str:
    """Return the notification as one line for people."""
    n = notification
    head = (
        f"{n.evaluated_on.isoformat()}  #{n.id} {readable(n.shop_name)} (shop {n.shop_id}), "
        f"{n.month.label}: "
        f"spent {format_money(n.spent)} of {format_money(n.budget)} ({n.percent} %)"
    )
    if n.kind is Kind.RESUMED:
        return f"{head} — budget has headroom again — shop back online"
    crossed = ", ".join(f"{t} %" for t in n.thresholds)
    tail = " — shop paused" if n.action is Action.PAUSED else ""
    return f"{head} — reached {crossed}{tail}"


class ConsoleChannel:
    """Writes notifications to a text stream (standard output by default)."""

    name = "console"

    def __init__(self, stream: TextIO, *, json_lines: bool = False) -> None:
        self._stream = stream
        self._json_lines = json_lines

    def deliver(self, batch: Sequence[Notification]) -> Mapping[int, str]:
        render = self._render_json if self._json_lines else as_line
        try:
            self._stream.write("".join(render(n) + "\n" for n in batch))
            self._stream.flush()
        except (OSError, ValueError) as error:  # ValueError: unencodable text, a closed stream
            return {n.id: f"console: {type(error).__name__}: {error}"[:300] for n in batch}
        return {}

    @staticmethod
    def _render_json(notification: Notification) -> str:
        return safe_json(json.dumps(as_json(notification), ensure_ascii=False))
