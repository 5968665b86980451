"""The console channel: one readable line, or one JSON object (JSON Lines), per notification.

A shop's name comes from the platform's table as it was written: the readable line shows its
control characters escaped (domain/text.py), so a name cannot clear the screen or forge a line.

The console speaks the platform's language (BUDGETGUARD_LANGUAGE), whatever the shop's: it is the
operators' channel. JSON Lines stay language-neutral. With BUDGETGUARD_PUBLIC_URL, each line ends
with the shop's page in the console, and each JSON object has it as `shop_url`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from budgetguard.domain.links import console_link
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.text import readable, safe_json
from budgetguard.domain.wording import Voice, link_sentence, outcome, projection
from budgetguard.notify.channels.voice import voice


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
        **_forecast_fields(notification),
        **({"shop_url": notification.link.url} if notification.link else {}),
    }


def _forecast_fields(notification: Notification) -> dict[str, Any]:
    seen = projection(notification)
    if seen is None:
        return {}
    return {
        "runs_out_on": seen.runs_out_on.isoformat(),
        "month_end_percent": float(seen.month_end_percent),
    }


def as_line(notification: Notification, speaking: Voice | None = None) -> str:
    """Return the notification as one line for people (English unless `speaking` says else)."""
    n = notification
    speaking = speaking or voice("en", n.currency)
    _ = speaking.gettext
    head = _("%(shop)s (shop %(shop_id)s), %(month)s: spent %(spent)s of %(budget)s (%(percent)s)")
    head %= {
        "shop": readable(n.shop_name),
        "shop_id": n.shop_id,
        "month": speaking.month(n.month),
        "spent": speaking.money(n.spent),
        "budget": speaking.money(n.budget),
        "percent": speaking.percent(n.percent),
    }
    line = f"{n.evaluated_on.isoformat()}  #{n.id} {head} — {outcome(n, speaking)}"
    if n.kind is Kind.RESUMED:
        line += " — " + _("shop back online")
    elif n.action is Action.PAUSED:
        line += " — " + _("shop paused")
    link = link_sentence(n, speaking)
    return line if link is None else f"{line} — {link}"


class ConsoleChannel:
    """Writes notifications to a text stream (standard output by default)."""

    name = "console"

    def __init__(
        self,
        stream: TextIO,
        *,
        json_lines: bool = False,
        language: str = "en",
        zone: str = "UTC",
        currency: str | None = None,
        public_url: str | None = None,
    ) -> None:
        """`language`, `zone`, `currency`: the platform's (a notification queued before policies
        names no zone or currency: the platform's are its); `public_url`: the console's, whose
        page of the shop each line links (none: no link)."""
        self._stream = stream
        self._json_lines = json_lines
        self._language = language
        self._zone = zone
        self._currency = currency
        self._public_url = public_url

    def deliver(self, batch: Sequence[Notification]) -> Mapping[int, str]:
        render = self._render_json if self._json_lines else self._render_line
        try:
            self._stream.write("".join(render(n) + "\n" for n in batch))
            self._stream.flush()
        except (OSError, ValueError) as error:  # ValueError: unencodable text, a closed stream
            return {n.id: f"console: {type(error).__name__}: {error}"[:300] for n in batch}
        return {}

    def _render_line(self, notification: Notification) -> str:
        n = self._completed(notification)
        return as_line(n, voice(self._language, n.currency))

    def _render_json(self, notification: Notification) -> str:
        n = self._completed(notification)
        return safe_json(json.dumps(as_json(n), ensure_ascii=False))

    def _completed(self, notification: Notification) -> Notification:
        n = notification
        link = console_link(self._public_url, n.shop_id)
        if n.timezone is None or n.currency is None or link is not None:
            return n._replace(
                timezone=n.timezone or self._zone, currency=n.currency or self._currency, link=link
            )
        return n
