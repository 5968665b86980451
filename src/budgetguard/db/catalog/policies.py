"""Shops' policies (`bg_policies`) and the bits of their thresholds, in the caller's transaction.

A policy row keeps, beside what people set, its thresholds and pause threshold as bit masks
over `bg_threshold_bits`, so the evaluation reads a shop's policy with one join and tests a
threshold with one `&`. A threshold value gets its bit the first time a policy or the settings
name it, and keeps it: masks written earlier stay true. Two writers giving out the same bit at
once break the bit's unique key; the unit of work runs the loser again (services/uow.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from budgetguard.db.schema.tables import policies, threshold_bits
from budgetguard.domain.errors import ConcurrentChange, ConfigError, Unacceptable
from budgetguard.domain.policy import SOFT_LIMIT, PauseAt, ShopPolicy

log = logging.getLogger(__name__)

MAX_BITS = 63
"""Bits 0-62 of a signed BIGINT: at most 63 distinct threshold values across every policy."""

SOFT_LIMIT_MASK = 0
"""`pause_mask` of a soft limit: no threshold pauses the shop."""


def threshold_bits_of(connection: Connection) -> dict[int, int]:
    """Every threshold with a bit, and its bit, ascending by threshold: the universe of
    thresholds, as the caller's transaction sees it (read it in the transaction that reads the
    masks: `same_universe` says why)."""
    return _bits(connection, select(threshold_bits.c.threshold, threshold_bits.c.bit))


def _bits(connection: Connection, query: Select[Any]) -> dict[int, int]:
    rows = connection.execute(query.order_by(threshold_bits.c.threshold))
    return {int(threshold): int(bit) for threshold, bit in rows}


def same_universe(connection: Connection, bits: Mapping[int, int]) -> None:
    """Raise ConcurrentChange (the unit of work runs the transaction again) when the universe
    changed since the caller's transaction read `bits`; call it last, before the commit.

    A reclaimed bit may name another threshold once the reclaim commits (`ensure_bits`); masks
    written since use it so. An evaluation that read the universe before and such a mask after
    would take one threshold for another. PostgreSQL reads both in the transaction's snapshot,
    SQLite has one writer at a time; MySQL/MariaDB read current rows in INSERT … SELECT and
    joined UPDATEs, so there the universe is read again, as current rows, after the last of
    them: unchanged, no reclaim committed before any mask was read.
    """
    if connection.dialect.name not in LOCKING_READS:
        return
    query = select(threshold_bits.c.threshold, threshold_bits.c.bit).with_for_update(read=True)
    if _bits(connection, query) != dict(bits):
        raise ConcurrentChange("the thresholds' bits changed during the evaluation")


LOCKING_READS = frozenset({"mysql", "mariadb"})
"""The databases whose writes read current rows, not the transaction's snapshot."""


def ensure_bits(
    connection: Connection,
    thresholds: Iterable[int],
    *,
    settings: Iterable[int],
    shop_id: int | None = None,
) -> dict[int, int]:
    """Give each of `thresholds` a bit if it has none; return every threshold's bit.

    `shop_id`: `thresholds` are the policy of that shop about to be written (None: they are the
    settings', `settings`). When the 63 bits are all given, the bits of thresholds that no
    policy uses and the settings do not name are reclaimed; the settings' come first.

    A writer of a policy touches the bit rows it uses (`write`), and a reclaim locks every bit
    row before it reads which are in use: whichever comes second waits for the other's commit
    and then runs again (a serialisation failure on PostgreSQL, a ConcurrentChange from
    `_touch`), so a reclaim never frees a bit a policy committed meanwhile uses.
    """
    wanted, named = set(thresholds), set(settings)
    known = threshold_bits_of(connection)
    if not wanted - set(known):
        return known
    # Give bits one writer at a time: every bit row locked, the universe read as it is now.
    every_row = select(threshold_bits.c.threshold, threshold_bits.c.bit)
    known = _bits(connection, every_row.with_for_update())
    missing = sorted(wanted - set(known))
    if not missing:  # given by a writer that committed meanwhile
        return known
    free = sorted(set(range(MAX_BITS)) - set(known.values()))
    if len(free) < len(missing):
        keep = wanted | named
        known = _reclaim(connection, known, keep=keep, shop_id=shop_id)
        free = sorted(set(range(MAX_BITS)) - set(known.values()))
    if len(free) < len(missing):
        raise _too_many(connection, missing, known, settings=named, shop_id=shop_id)
    rows = [{"threshold": t, "bit": bit} for t, bit in zip(missing, free, strict=False)]
    connection.execute(insert(threshold_bits), rows)
    return {**known, **{row["threshold"]: row["bit"] for row in rows}}


def _touch(connection: Connection, thresholds: set[int]) -> None:
    """Update the bit rows of `thresholds` to what they hold (an UPDATE that changes nothing):
    a reclaim running meanwhile then either waits for this transaction or makes it run again
    (`ensure_bits`). Done after the policy row is written: on MySQL/MariaDB an evaluation holds
    a share lock on that row and then, at its end, on the bit rows (`same_universe`)."""
    if not thresholds:
        return
    touched = connection.execute(
        update(threshold_bits)
        .where(threshold_bits.c.threshold.in_(sorted(thresholds)))
        .values(bit=threshold_bits.c.bit)
    ).rowcount
    if touched != len(thresholds):
        raise ConcurrentChange("a threshold's bit was reclaimed meanwhile")


def _reclaim(
    connection: Connection, known: dict[int, int], *, keep: set[int], shop_id: int | None
) -> dict[int, int]:
    """Free the bits of the thresholds in `known` no policy uses (the policy of `shop_id`, about
    to be replaced, aside) and not in `keep`; return the bits left."""
    used = used_bits(connection, except_shop=shop_id)
    freed = sorted(t for t, bit in known.items() if t not in keep and not used >> bit & 1)
    if freed:
        connection.execute(delete(threshold_bits).where(threshold_bits.c.threshold.in_(freed)))
        log.info("reclaimed the bits of thresholds no policy uses: %s", freed)
    return {t: bit for t, bit in known.items() if t not in freed}


def used_bits(connection: Connection, *, except_shop: int | None = None) -> int:
    """Every bit any policy's thresholds or pause threshold uses, as one integer (read as
    current rows where writes read them: a reclaim must see every committed policy)."""
    each = func.coalesce(policies.c.threshold_mask, 0).op("|")(
        func.coalesce(policies.c.pause_mask, 0)
    )
    dialect = connection.dialect.name
    # SQLite has no BIT_OR aggregate: the distinct masks, few on SQLite's scale.
    query = select(each).distinct() if dialect == "sqlite" else select(func.bit_or(each))
    if except_shop is not None:
        query = query.where(policies.c.shop_id != except_shop)
    if dialect in LOCKING_READS:
        query = query.with_for_update(read=True)
    used = 0
    for (value,) in connection.execute(query):
        used |= int(value or 0)
    return used


def _too_many(
    connection: Connection,
    missing: list[int],
    known: Mapping[int, int],
    *,
    settings: set[int],
    shop_id: int | None,
) -> Unacceptable | ConfigError:
    listed = ", ".join(map(str, missing))
    by_settings = sorted(set(known) & settings)
    by_policies = len(set(known) - settings)
    reason = (
        f"at most {MAX_BITS} distinct threshold values can be in use across all policies and "
        f"the settings: {len(by_settings)} named by the settings, {by_policies} more by "
        f"policies; {listed} would be too many"
    )
    if shop_id is not None:
        return Unacceptable.of_field("thresholds", reason)
    return ConfigError(f"BUDGETGUARD_THRESHOLDS: {reason} (clear or change policies first)")


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


def write(
    connection: Connection,
    shop_id: int,
    policy: ShopPolicy,
    *,
    now: datetime,
    settings: Iterable[int],
) -> None:
    """Store `policy` as the shop's own (an empty one removes the row); `settings`: the
    settings' thresholds, whose bits are never reclaimed for it."""
    if policy.is_empty():
        remove(connection, shop_id)
        return
    needed = [
        *(policy.thresholds or ()),
        *([policy.pause_at] if isinstance(policy.pause_at, int) else []),
    ]
    bits = ensure_bits(connection, needed, settings=settings, shop_id=shop_id)
    values = to_values(policy, bits) | {"updated_at": now}
    changed = connection.execute(
        update(policies).where(policies.c.shop_id == shop_id).values(**values)
    ).rowcount
    if not changed:
        connection.execute(insert(policies).values(shop_id=shop_id, **values))
    _touch(connection, set(needed))


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
