"""Spend events in the database: find them, record them, add them to their budgets.

Every function runs inside the caller's transaction; none commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.engine import Connection

from budgetguard.db.parts import in_parts
from budgetguard.db.tables import budgets, shops, spend_events
from budgetguard.domain.spend import SpendEvent

# Rows per statement where a statement names many keys (SQLite allows 32,766 parameters).
KEYS_PER_STATEMENT = 1000


@dataclass(frozen=True, slots=True)
class LockedBudget:
    """A budget row read under lock: nobody else changes it until the transaction ends."""

    shop_id: int
    budget: Decimal | None
    spent: Decimal | None


# Built once: a request runs these with its own parameters (`ids` expands to a list).
_LOCK = (
    select(budgets.c.a_shop_id, budgets.c.a_budget_amount, budgets.c.a_amount_spent)
    .join(shops, shops.c.a_id == budgets.c.a_shop_id)
    .where(
        budgets.c.a_month == bindparam("month"),
        budgets.c.a_shop_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(budgets.c.a_shop_id)
    .with_for_update()
)
_SHOPS = select(shops.c.a_id).where(shops.c.a_id.in_(bindparam("ids", expanding=True)))
_EVENTS = select(
    spend_events.c.event_id,
    spend_events.c.shop_id,
    spend_events.c.amount,
    spend_events.c.occurred_at,
).where(spend_events.c.event_id.in_(bindparam("ids", expanding=True)))
_SET_SPENT = (
    update(budgets)
    .where(budgets.c.a_shop_id == bindparam("shop_id"), budgets.c.a_month == bindparam("month"))
    .values(a_amount_spent=bindparam("spent", type_=budgets.c.a_amount_spent.type))
)


def lock_budgets(
    connection: Connection, month: date, shop_ids: Iterable[int]
) -> dict[int, LockedBudget]:
    """Lock the shops and their budget rows of `month`, in shop order; return what exists."""
    found: dict[int, LockedBudget] = {}
    for part in in_parts(sorted(set(shop_ids)), KEYS_PER_STATEMENT):
        rows = connection.execute(_LOCK, {"month": month, "ids": list(part)})
        for shop_id, budget, spent in rows:
            found[shop_id] = LockedBudget(shop_id, budget, spent)
    return found


def existing_shops(connection: Connection, shop_ids: Iterable[int]) -> set[int]:
    """Return which of `shop_ids` exist."""
    found: set[int] = set()
    for part in in_parts(sorted(set(shop_ids)), KEYS_PER_STATEMENT):
        found.update(connection.execute(_SHOPS, {"ids": list(part)}).scalars())
    return found


def find_events(connection: Connection, event_ids: Iterable[str]) -> dict[str, SpendEvent]:
    """Return the stored events among `event_ids`, by id."""
    found: dict[str, SpendEvent] = {}
    for part in in_parts(event_ids, KEYS_PER_STATEMENT):
        rows = connection.execute(_EVENTS, {"ids": list(part)})
        for event_id, shop_id, amount, occurred_at in rows:
            found[event_id] = SpendEvent(event_id, shop_id, amount, occurred_at)
    return found


def record_events(
    connection: Connection,
    events: Sequence[SpendEvent],
    *,
    months: Mapping[str, date],
    received_at: datetime,
    source: str,
) -> None:
    """Store `events` (their ids are new); `months` gives each event's budget month."""
    rows = [
        {
            "event_id": e.event_id,
            "shop_id": e.shop_id,
            "month": months[e.event_id],
            "amount": e.amount,
            "occurred_at": e.occurred_at,
            "received_at": received_at,
            "source": source,
        }
        for e in events
    ]
    for part in in_parts(rows, KEYS_PER_STATEMENT):
        connection.execute(spend_events.insert(), list(part))


def write_spent(connection: Connection, month: date, spent: Mapping[int, Decimal]) -> None:
    """Set the spend of each locked budget of `month` to its new total."""
    for part in _parts(spent):
        if len(part) == 1:
            ((shop_id, value),) = part.items()
            connection.execute(_SET_SPENT, {"shop_id": shop_id, "month": month, "spent": value})
            continue
        # One statement for many budgets: a CASE over the shop id.
        connection.execute(
            update(budgets)
            .where(budgets.c.a_month == month, budgets.c.a_shop_id.in_(list(part)))
            .values(a_amount_spent=case(part, value=budgets.c.a_shop_id))
        )


def _parts(values: Mapping[int, Decimal]) -> Iterator[dict[int, Decimal]]:
    for part in in_parts(sorted(values.items()), KEYS_PER_STATEMENT // 2):
        yield dict(part)
