"""A budget row's shop policy in SQL: bg_policies outer-joined on the shop, each field falling
back to the settings (bind parameters), and the shop's clock in a month pass.

Every statement of an evaluation that needs a shop's own terms joins `bg_policies` once
(`join`) and reads them through these expressions. The settings' values and the pass's clocks
are parameters (`pass_params`), so a statement is built once per process for each shape: the
number of zones a pass tells apart, and whether it tells shops apart by zone at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    FromClause,
    String,
    and_,
    bindparam,
    case,
    func,
    select,
    true,
)

from budgetguard.db.catalog.policies import mask, pause_mask
from budgetguard.db.schema.tables import budgets, policies
from budgetguard.domain.policy import PolicyDefaults
from budgetguard.domain.shop_clock import MonthPass, ZoneClock


class ShopTerms:
    """The policy terms of the shop of each budget row, for a pass telling `zones` zones apart
    beside its default (`every_zone`: the pass holds every zone in use; no filter)."""

    def __init__(
        self,
        zones: int,
        *,
        every_zone: bool,
        shop_id: ColumnElement[int] | None = None,
        source: FromClause | None = None,
    ) -> None:
        self.zones = zones
        self.every_zone = every_zone
        self._shop_id = shop_id
        self._source = source

    @staticmethod
    def join(
        source: FromClause,
        covers: Callable[[ColumnElement[int]], ColumnElement[bool]] | None = None,
    ) -> FromClause:
        """`source` (which holds t_budgets) with the shop's policy row outer-joined; `covers`:
        the statement's scope (a range of shop ids), which the join then reads of bg_policies.

        A chunk's statement must pass its scope: PostgreSQL does not carry a range on
        t_budgets' shop id over the join to bg_policies, so it hash-joined every policy row
        (800,000 at 1M shops) to each chunk's 20,000 budget rows, per statement: the first
        evaluation cost grew with the square of the shops (EXPLAIN ANALYZE; README).
        """
        on = policies.c.shop_id == budgets.c.a_shop_id
        if covers is not None:
            on = and_(on, covers(policies.c.shop_id))
        return source.outerjoin(policies, on)

    def zoned(
        self, source: FromClause, covers: Callable[[ColumnElement[int]], ColumnElement[bool]]
    ) -> FromClause:
        """`source` with the policy joined (`join`) when the pass tells shops apart by zone (a
        statement that reads no other field of the policy than its zone); else `source` alone."""
        return source if self.every_zone else self.join(source, covers)

    def looked_up(self, shop_id: ColumnElement[int]) -> ShopTerms:
        """The same terms read by a key lookup of `shop_id`'s policy per field, not a join: for
        a joined UPDATE, which cannot outer-join (the resumes)."""
        return ShopTerms(self.zones, every_zone=self.every_zone, shop_id=shop_id)

    def read_from(self, source: FromClause) -> ShopTerms:
        """The same terms read from `source`'s columns of the policy's names (a subquery that
        carries them, already joined by the statement)."""
        return ShopTerms(self.zones, every_zone=self.every_zone, source=source)

    def _field(self, name: str) -> ColumnElement[Any]:
        if self._source is not None:
            return self._source.c[name]
        column = policies.c[name]
        if self._shop_id is None:
            return column
        return select(column).where(policies.c.shop_id == self._shop_id).scalar_subquery()

    # --- the policy's fields, the settings where the shop sets none ---------------------------

    def zone(self) -> ColumnElement[str]:
        return func.coalesce(self._field("timezone"), bindparam("default_zone", type_=String()))

    def threshold_mask(self) -> ColumnElement[int]:
        """The bits of the shop's thresholds (bg_threshold_bits), its pause threshold's always
        among them: a shop's own pause threshold the settings' thresholds do not name (they
        changed since) still fires, and pauses (domain/policy.resolve shows the same)."""
        default = bindparam("default_mask", type_=BigInteger())
        own = func.coalesce(self._field("threshold_mask"), default)
        return own.op("|")(self.pause_mask()).self_group()

    def pause_mask(self) -> ColumnElement[int]:
        """The bit of the shop's pause threshold; 0 for a soft limit."""
        default = bindparam("default_pause_mask", type_=BigInteger())
        return func.coalesce(self._field("pause_mask"), default)

    def language(self) -> ColumnElement[str]:
        return func.coalesce(self._field("language"), bindparam("default_language", type_=String()))

    def currency(self) -> ColumnElement[str]:
        return func.coalesce(self._field("currency"), bindparam("default_currency", type_=String()))

    def forecast(self) -> ColumnElement[bool]:
        default = bindparam("default_forecast", type_=Boolean())
        return func.coalesce(self._field("forecast"), default)

    def recurring_budget(self) -> ColumnElement[Any]:
        return self._field("recurring_budget")

    # --- the shop's clock in the pass ---------------------------------------------------------

    def in_pass(self) -> ColumnElement[bool]:
        """The shop's zone is one of the pass's (always, when the pass holds every zone)."""
        if self.every_zone:
            return true()
        names = [bindparam(f"zone_{i}", type_=String()) for i in range(self.zones + 1)]
        return self.zone().in_(names)

    def _per_zone(self, name: str, type_: Any) -> ColumnElement[Any]:
        fallback = bindparam(f"{name}_0", type_=type_)
        if not self.zones:
            return fallback
        whens = [
            (bindparam(f"zone_{i}", type_=String()), bindparam(f"{name}_{i}", type_=type_))
            for i in range(1, self.zones + 1)
        ]
        return case(*((self.zone() == z, v) for z, v in whens), else_=fallback)

    def today(self) -> ColumnElement[Any]:
        """The date on the shop's clock."""
        return self._per_zone("today", Date())

    def elapsed_seconds(self) -> ColumnElement[int]:
        """Seconds of the month elapsed on the shop's clock."""
        return self._per_zone("elapsed", BigInteger())

    def month_seconds(self) -> ColumnElement[int]:
        """Seconds the whole month lasts on the shop's clock."""
        return self._per_zone("month_seconds", BigInteger())


def shape(month_pass: MonthPass) -> tuple[int, bool]:
    """The `ShopTerms` arguments for `month_pass` (statements are cached by them)."""
    return len(month_pass.others), month_pass.every_zone


def mask_params(defaults: PolicyDefaults, bits: Mapping[int, int]) -> dict[str, Any]:
    """The settings' thresholds and pause threshold as masks over `bits`: the universe the
    transaction read (db/catalog/policies.ensure_bits), which must hold the settings'."""
    return {
        "default_mask": mask(bits, defaults.thresholds),
        "default_pause_mask": pause_mask(bits, defaults.pause_at),
    }


def pass_params(month_pass: MonthPass, defaults: PolicyDefaults) -> dict[str, Any]:
    """The parameters of every statement of a pass: the settings and the pass's clocks (the
    settings' masks aside: `mask_params`, per transaction)."""
    params: dict[str, Any] = {
        "month": month_pass.month.first_day,
        "default_zone": month_pass.default_zone,
        # The resume point of a soft-limit shop's claim made before claims kept theirs.
        "default_pause_at": defaults.pause_at if isinstance(defaults.pause_at, int) else 100,
        "default_language": defaults.language,
        "default_currency": defaults.currency,
        "default_forecast": defaults.forecast,
    }
    clocks: list[ZoneClock] = [month_pass.default, *month_pass.others]
    for i, clock in enumerate(clocks):
        params |= {
            f"zone_{i}": clock.zone,
            f"today_{i}": clock.today,
            f"elapsed_{i}": clock.elapsed_seconds,
            f"month_seconds_{i}": clock.month_seconds,
        }
    return params
