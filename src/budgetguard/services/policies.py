"""Use cases of shops' own policies (issue 9): show, set (merge), replace, clear.

The CLI (`budgetguard policy …`) and the HTTP API (`/v1/shops/{id}/policy`) call these. Each
change is one transaction: it locks the shop, checks the whole resulting policy against the
settings, stores it and writes an audit entry (`bg_audit`) naming who changed what. A refused
change stores nothing. A change that changes nothing (the same values again) writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from budgetguard.db.catalog import audit
from budgetguard.db.catalog import policies as stored
from budgetguard.db.catalog.shops import existing_shops, lock_shops
from budgetguard.domain.audit import POLICY_CLEARED, POLICY_SET, policy_changes
from budgetguard.domain.errors import FieldProblem, NotFound, Unacceptable
from budgetguard.domain.policy import (
    FIELDS,
    EffectivePolicy,
    PolicyDefaults,
    PolicyError,
    ShopPolicy,
    check,
    parse_currency,
    parse_forecast,
    parse_language,
    parse_pause_at,
    parse_recurring_budget,
    parse_thresholds,
    parse_timezone,
    resolve,
)
from budgetguard.services.database import open_database
from budgetguard.services.uow import Context, reading, write


def _thresholds(value: str | tuple[int, ...]) -> tuple[int, ...]:
    return parse_thresholds(value if isinstance(value, str) else ",".join(map(str, value)))


# Each field's parser: what people type (or a value already typed) to the field's value.
PARSERS: dict[str, Callable[[Any], Any]] = {
    "thresholds": _thresholds,
    "pause_at": parse_pause_at,
    "timezone": parse_timezone,
    "language": parse_language,
    "currency": parse_currency,
    "forecast": parse_forecast,
    "recurring_budget": parse_recurring_budget,
}


@dataclass(frozen=True, slots=True)
class ShownPolicy:
    """A shop's own policy (None: it has none) and its effective policy."""

    shop_id: int
    own: ShopPolicy | None
    effective: EffectivePolicy


def show_policy(*, context: Context, shop_id: int) -> ShownPolicy:
    """Return the shop's own and effective policy; refuse an unknown shop."""
    open_database(context=context)
    with reading(context) as connection:
        if not existing_shops(connection, [shop_id]):
            raise _no_shop(shop_id)
        own = stored.read(connection, shop_id)
    return ShownPolicy(shop_id, own, resolve(own, context.settings.policy_defaults))


def set_policy(
    *,
    context: Context,
    shop_id: int,
    changes: ShopPolicy,
    cleared: Collection[str] = (),
    actor: str,
) -> ShownPolicy:
    """Merge `changes` (its fields that are set) into the shop's policy and unset `cleared`."""
    names = field_names(cleared)
    if both := [name for name in names if getattr(changes, name) is not None]:
        raise Unacceptable.of_field(both[0], "is both set and cleared")
    return _change(context, shop_id, actor, POLICY_SET, lambda own: own.merged(changes, names))


def replace_policy(
    *, context: Context, shop_id: int, policy: ShopPolicy, actor: str
) -> ShownPolicy:
    """Make the shop's policy exactly `policy` (its unset fields fall back to the settings)."""
    return _change(context, shop_id, actor, POLICY_SET, lambda _own: policy)


def clear_policy(
    *, context: Context, shop_id: int, fields: Collection[str] = (), actor: str
) -> ShownPolicy:
    """Unset `fields` of the shop's policy (every field when none is named)."""
    names = field_names(fields)
    if not names:
        return _change(context, shop_id, actor, POLICY_CLEARED, lambda _own: ShopPolicy())
    return _change(
        context, shop_id, actor, POLICY_CLEARED, lambda own: own.merged(ShopPolicy(), names)
    )


def _change(
    context: Context,
    shop_id: int,
    actor: str,
    action: str,
    new_policy: Callable[[ShopPolicy], ShopPolicy],
) -> ShownPolicy:
    open_database(context=context)
    defaults = context.settings.policy_defaults

    def work(connection: Connection) -> ShownPolicy:
        if not lock_shops(connection, [shop_id]):
            raise _no_shop(shop_id)
        before = stored.read(connection, shop_id)
        after = checked(new_policy(before or ShopPolicy()), defaults)
        if changed := policy_changes(before, after):
            now = context.clock()
            stored.write(connection, shop_id, after, now=now, settings=defaults.thresholds)
            audit.record(
                connection, at=now, actor=actor, action=action, shop_id=shop_id, detail=changed
            )
        own = None if after.is_empty() else after
        return ShownPolicy(shop_id, own, resolve(own, defaults))

    return write(context, work, what="policy", shops=[shop_id])


def checked(policy: ShopPolicy, defaults: PolicyDefaults) -> ShopPolicy:
    """`policy` with each field it sets checked and normalised, and the pause threshold among
    the thresholds; else Unacceptable naming every field at fault."""
    values: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name in FIELDS:
        value = getattr(policy, name)
        if value is None:
            continue
        try:
            values[name] = PARSERS[name](value)
        except PolicyError as error:
            problems.append(FieldProblem(error.field, error.reason))
    if problems:
        raise Unacceptable.listing(problems, with_fields=True)
    normalised = ShopPolicy(**values)
    try:
        return check(normalised, defaults)
    except PolicyError as error:
        raise Unacceptable.of_field(error.field, error.reason) from None


def parse_texts(texts: Mapping[str, str]) -> tuple[ShopPolicy, tuple[str, ...]]:
    """What people typed, by field (`pause_at: none`, `recurring_budget: 500.00`), as the
    changes and the fields cleared (`recurring_budget: none`: no recurring budget); else
    Unacceptable naming every field at fault."""
    values: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, text in texts.items():
        try:
            values[field_name(name)] = PARSERS[field_name(name)](text)
        except PolicyError as error:
            problems.append(FieldProblem(error.field, error.reason))
    if problems:
        raise Unacceptable.listing(problems, with_fields=True)
    cleared = tuple(name for name, value in values.items() if value is None)
    return ShopPolicy(**{k: v for k, v in values.items() if v is not None}), cleared


def field_names(names: Collection[str]) -> tuple[str, ...]:
    """The policy fields `names` name (`pause-at` or `pause_at`), in FIELDS order."""
    wanted = {field_name(name) for name in names}
    return tuple(name for name in FIELDS if name in wanted)


def field_name(text: str) -> str:
    """The policy field `text` names (`pause-at` or `pause_at`); else Unacceptable."""
    name = text.strip().lower().replace("-", "_")
    if name not in FIELDS:
        reason = f"unknown policy field {text!r} (one of {', '.join(FIELDS)})"
        raise Unacceptable.of_field("field", reason)
    return name


def _no_shop(shop_id: int) -> NotFound:
    return NotFound(f"shop {shop_id} does not exist")
