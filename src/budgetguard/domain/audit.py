"""The audit trail (`bg_audit`): who changed what about a shop, and when.

An entry's `detail` is JSON text; for a policy change it maps each field whose own value changed
to `{"from": …, "to": …}` (null: not set, the setting applies), as `policy_changes` gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from budgetguard.domain.policy import FIELDS, ShopPolicy

POLICY_SET = "policy.set"
POLICY_CLEARED = "policy.cleared"
SHOP_CREATED = "shop.created"
SHOP_CHANGED = "shop.changed"
BUDGET_SET = "budget.set"
CONTACT_ADDED = "contact.added"
CONTACT_ENABLED = "contact.enabled"
CONTACT_REMOVED = "contact.removed"
CONTACTS_REPLACED = "contacts.replaced"
CONTACTS_REMOVED = "contacts.removed"
DELIVERY_RETRIED = "delivery.retried"

ACTOR_LIMIT = 128
"""Longest actor stored (`bg_audit.actor`); a longer one is cut."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change: when, by whom (`cli:<os user>`, `api:<key name>`, `web:<user>`,
    `budgetguard`), what."""

    id: int
    at: datetime
    actor: str
    action: str
    shop_id: int | None
    detail: dict[str, Any] | None


def policy_changes(before: ShopPolicy | None, after: ShopPolicy) -> dict[str, dict[str, Any]]:
    """Each field whose own value differs, `{"from": old, "to": new}` as JSON values."""
    old = before or ShopPolicy()
    changed: dict[str, dict[str, Any]] = {}
    for name in FIELDS:
        was, now = getattr(old, name), getattr(after, name)
        if was != now:
            changed[name] = {"from": json_value(was), "to": json_value(now)}
    return changed


def json_value(value: object) -> Any:
    """A policy field's value as JSON: thresholds a list, amounts a decimal string."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        return str(value)
    return value
