"""Shops as the console lists them, written straight into the database: the platform's rows,
budgetguard's claims (bg_pauses) and its usage rows (bg_usage), in a few bulk inserts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.engine import Engine

from budgetguard.db.schema.console_tables import usage
from budgetguard.db.schema.tables import alerts, budgets, pauses, shops
from budgetguard.domain.period import Month

AT = datetime(2020, 7, 15, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Listed:
    """One shop: its budget of the month (None: no row), spend, states, and whether budgetguard
    has a usage row for it (`evaluated`)."""

    shop_id: int
    name: str
    budget: Decimal | None = None
    spent: Decimal = Decimal("0.00")
    online: bool = True
    paused: bool = False
    evaluated: bool = True
    fired: tuple[int, ...] = ()

    @property
    def usage_bp(self) -> int | None:
        """Basis points of the budget, cut (None: no usable budget)."""
        if self.budget is None or self.budget <= 0 or self.spent < 0:
            return None
        return int(self.spent * 10000 // self.budget)

    @property
    def has_usage(self) -> bool:
        return self.evaluated and self.budget is not None


def load(engine: Engine, month: Month, listed: list[Listed]) -> None:
    """Write the shops, their budgets of `month`, pauses and usage rows."""
    day = month.first_day
    if not listed:
        return
    with engine.begin() as c:
        c.execute(shops.insert(), [
            {"a_id": s.shop_id, "a_name": s.name, "a_online": s.online} for s in listed
        ])  # fmt: skip
        with_budget = [s for s in listed if s.budget is not None]
        if with_budget:
            c.execute(budgets.insert(), [
                {"a_shop_id": s.shop_id, "a_month": day, "a_budget_amount": s.budget,
                 "a_amount_spent": s.spent} for s in with_budget
            ])  # fmt: skip
        paused = [s for s in listed if s.paused]
        if paused:
            c.execute(pauses.insert(), [
                {"shop_id": s.shop_id, "month": day, "paused_at": AT, "evaluation_id": 1,
                 "threshold": 100} for s in paused
            ])  # fmt: skip
        fired = [(s.shop_id, t) for s in listed for t in s.fired]
        if fired:
            c.execute(alerts.insert(), [
                {"month": day, "shop_id": shop, "threshold": t, "fired_at": AT} for shop, t in fired
            ])  # fmt: skip
        used = [s for s in listed if s.has_usage]
        if used:
            c.execute(usage.insert(), [
                {"month": day, "shop_id": s.shop_id, "budget": s.budget, "spent": s.spent,
                 "usage_bp": s.usage_bp, "updated_at": AT, "day": AT.date()} for s in used
            ])  # fmt: skip
