"""Shops' policies (`bg_policies`) and the bits of their thresholds, in the caller's transaction.

A policy row keeps, beside what people set, its thresholds and pause threshold as bit masks
over `bg_threshold_bits`, so the evaluation reads a shop's policy with one join and tests a
threshold with one `&`. A threshold value gets its bit the first time a policy or the settings
name it, and keeps it: masks written earlier stay true. Two writers giving out the same bit at
once break the bit's unique key; the unit of work runs the loser again (services/uow.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from budgetguard.db.schema.tables import policies, threshold_bits
from budgetguard.domain.errors import Unacceptable
from budgetguard.domain.policy import SOFT_LIMIT, PauseAt, ShopPolicy

MAX_BITS = 63
"""Bits 0-62 of a signed BIGINT: at most 63 distinct threshold values across every policy."""

SOFT_LIMIT_MASK = 0
"""`pause_mask` of a soft limit: no threshold pauses the shop."""


def threshold_bits_of(connection: Connection) -> dict[int, int]:
    """Every threshold with a bit, and its bit, ascending by threshold."""
    rows = connection.execute(
        select(threshold_bits.c.threshold, threshold_bits.c.bit).order_by(
            threshold_bits.c.threshold
        )
    )
    return {int(threshold): int(bit) for threshold, bit in rows}


def ensure_bits(connection: Connection, thresholds: Iterable[int]) -> dict[int, int]:
    """Give each of `thresholds` a bit if it has none; return every threshold's bit."""
    known = threshold_bits_of(connection)
    missing = sorted(set(thresholds) - set(known))
    if not missing:
        return known
    taken = connection.execute(select(func.max(threshold_bits.c.bit))).scalar()
    first = 0 if taken is None else int(taken) + 1
    if first + len(missing) > MAX_BITS:
        raise Unacceptable(
            f"thresholds: at most {MAX_BITS} distinct threshold values can be in use across all "
            f"policies and the settings; {', '.join(map(str, missing))} would be too many"
        )
    rows = [{"threshold": t, "bit": first + i} for i, t in enumerate(missing)]
    connection.execute(insert(threshold_bits), rows)
    return {**known, **{row["threshold"]: row["bit"] for row in rows}}


def mask(bits: Mapping[int, int], thresholds: Iterable[int]) -> int:
    """The thresholds as one integer: the sum of their bits."""
    return sum(1 << bits[t] for t in set(thresholds))


def pause_mask(bits: Mapping[int, int], pause_at: PauseAt) -> int:
    """The pause threshold's bit, or 0 for a soft limit."""
    return SOFT_LIMIT_MASK if pause_at == SOFT_LIMIT else 1 << bits[int(pause_at)]


def zones_in_use(connection: Connection) -> list[str]:
    """Every time zone a policy names (by the index on bg_policies.timezone)."""
    query = select(policies.c.timezone).where(policies.c.timezone.is_not(None)).distinct()
    return sorted(str(zone) for zone in connection.execute(query).scalars())


def zones_of(connection: Connection, shop_ids: Iterable[int]) -> dict[int, str]:
    """The time zones the policies of those of `shop_ids` name (the others: the settings')."""
    ids = sorted(set(shop_ids))
    if not ids:
        return {}
    query = select(policies.c.shop_id, policies.c.timezone).where(
        policies.c.shop_id.in_(ids), policies.c.timezone.is_not(None)
    )
    return {int(shop_id): str(zone) for shop_id, zone in connection.execute(query)}


def read(connection: Connection, shop_id: int) -> ShopPolicy | None:
    """The shop's own policy, or None when it has none."""
    row = connection.execute(select(policies).where(policies.c.shop_id == shop_id)).first()
    return None if row is None else from_row(row)


def read_many(connection: Connection, shop_ids: Iterable[int]) -> dict[int, ShopPolicy]:
    """The own policies of those of `shop_ids` that have one."""
    ids = sorted(set(shop_ids))
    if not ids:
        return {}
    rows = connection.execute(select(policies).where(policies.c.shop_id.in_(ids)))
    return {int(row.shop_id): from_row(row) for row in rows}


def write(connection: Connection, shop_id: int, policy: ShopPolicy, *, now: datetime) -> None:
    """Store `policy` as the shop's own (an empty one removes the row)."""
    if policy.is_empty():
        remove(connection, shop_id)
        return
    needed = [
        *(policy.thresholds or ()),
        *([policy.pause_at] if isinstance(policy.pause_at, int) else []),
    ]
    bits = ensure_bits(connection, needed)
    values = to_values(policy, bits) | {"updated_at": now}
    changed = connection.execute(
        update(policies).where(policies.c.shop_id == shop_id).values(**values)
    ).rowcount
    if not changed:
        connection.execute(insert(policies).values(shop_id=shop_id, **values))


def remove(connection: Connection, shop_id: int) -> bool:
    """Remove the shop's own policy; return whether it had one."""
    result = connection.execute(delete(policies).where(policies.c.shop_id == shop_id))
    return bool(result.rowcount)


def to_values(policy: ShopPolicy, bits: Mapping[int, int]) -> dict[str, Any]:
    """The row's columns for `policy` (its masks from `bits`, which hold its thresholds)."""
    pause = policy.pause_at
    return {
        "thresholds": None
        if policy.thresholds is None
        else ",".join(str(t) for t in sorted(policy.thresholds)),
        "pause_at": None if pause is None else (0 if pause == SOFT_LIMIT else int(pause)),
        "timezone": policy.timezone,
        "language": policy.language,
        "currency": policy.currency,
        "forecast": policy.forecast,
        "recurring_budget": policy.recurring_budget,
        "threshold_mask": None if policy.thresholds is None else mask(bits, policy.thresholds),
        "pause_mask": None if pause is None else pause_mask(bits, pause),
    }


def from_row(row: Any) -> ShopPolicy:
    """The policy a `bg_policies` row holds."""
    pause: PauseAt | None = None
    if row.pause_at is not None:
        pause = SOFT_LIMIT if int(row.pause_at) == 0 else int(row.pause_at)
    thresholds = (
        None if row.thresholds is None else tuple(int(t) for t in row.thresholds.split(","))
    )
    return ShopPolicy(
        thresholds=thresholds,
        pause_at=pause,
        timezone=row.timezone,
        language=row.language,
        currency=row.currency,
        forecast=None if row.forecast is None else bool(row.forecast),
        recurring_budget=row.recurring_budget,
    )
