"""Spend events: what another system reports a shop spent (or was refunded), exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

# The platform's money columns are DECIMAL(10,2).
LARGEST_AMOUNT = Decimal("99999999.99")


@dataclass(frozen=True, slots=True)
class SpendEvent:
    """One spend event; `amount` is negative for a refund or correction, never zero."""

    event_id: str
    shop_id: int
    amount: Decimal
    occurred_at: datetime

    def same_payload(self, other: SpendEvent) -> bool:
        """Whether `other` reports the same spend: same shop, amount and instant."""
        return (
            self.shop_id == other.shop_id
            and self.amount == other.amount
            and self.occurred_at.astimezone(UTC) == other.occurred_at.astimezone(UTC)
        )


def spend_out_of_range(spent: Decimal) -> str | None:
    """Return why a month's total spend cannot be stored, or None when it can."""
    if spent < 0:
        return f"it would make the month's spend negative ({spent})"
    if spent > LARGEST_AMOUNT:
        return f"the month's spend would exceed {LARGEST_AMOUNT} ({spent})"
    return None
