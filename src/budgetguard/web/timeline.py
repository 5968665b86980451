"""A shop's timeline: its notifications and its audit entries, newest first, as one list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from budgetguard.domain.audit import AuditEntry
from budgetguard.domain.delivery import DeliveryRecord
from budgetguard.domain.notification import Notification

_ACTIONS = {
    "budget.set": "Budget set", "shop.created": "Shop created", "shop.changed": "Shop changed",
    "contact.added": "Contact added", "contact.enabled": "Contact enabled again",
    "contact.removed": "Contact removed", "contacts.replaced": "Contacts replaced",
    "contacts.removed": "Contacts removed", "delivery.retried": "Delivery retried",
    "policy.set": "Policy set", "policy.cleared": "Policy cleared",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the timeline: a notification (with its delivery records) or an audit entry."""

    at: datetime
    notification: Notification | None = None
    records: tuple[DeliveryRecord, ...] = ()
    entry: AuditEntry | None = None


def merged(
    notifications: list[Notification],
    records: dict[int, list[DeliveryRecord]],
    entries: list[AuditEntry],
) -> list[Event]:
    """Both lists as one, newest first (a notification before the change that caused it)."""
    events = [Event(n.created_at, n, tuple(records.get(n.id, ()))) for n in notifications]
    events += [Event(e.at, entry=e) for e in entries]
    return sorted(events, key=lambda e: (e.at, e.notification is not None), reverse=True)


def action_label(entry: AuditEntry) -> str:
    return _ACTIONS.get(entry.action, entry.action)


def described(entry: AuditEntry) -> str:
    """What changed, in words: `from → to` for each field, the rest as `name: value`."""
    detail = entry.detail or {}
    if entry.action == "budget.set":
        was = detail.get("from")
        change = f"{was} → {detail.get('to')}" if was is not None else f"{detail.get('to')}"
        return f"{detail.get('month')}: {change}"
    parts = [_part(name, value) for name, value in sorted(detail.items())]
    return "; ".join(parts)


def _part(name: str, value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return f"{name}: {_shown(value['from'])} → {_shown(value['to'])}"
    return f"{name}: {_shown(value)}"


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)
