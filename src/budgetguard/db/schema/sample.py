"""The platform's sample data (shared/legacy/db.sql): 8 shops, budgets for June and July 2020."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from budgetguard.db.plumbing.dialects import shop_ids_taken_up_to
from budgetguard.db.schema.tables import budgets, shops

SHOPS: tuple[tuple[int, str, bool], ...] = (
    (1, "Steve McQueen", True),
    (2, "Fashion Quasar", False),
    (3, "As Seen On Sale", True),
    (4, "H&R", False),
    (5, "Meow Meow", True),
    (6, "Dole & Cabbage", False),
    (7, "George Manly", True),
    (8, "Harrison Ford", True),
)

_JUNE, _JULY = date(2020, 6, 1), date(2020, 7, 1)
BUDGETS: tuple[tuple[int, date, Decimal, Decimal], ...] = tuple(
    (shop_id, month, Decimal(budget), Decimal(spent))
    for shop_id, month, budget, spent in (
        (1, _JUNE, "930.00", "725.67"),
        (2, _JUNE, "990.00", "886.63"),
        (3, _JUNE, "650.00", "685.91"),
        (4, _JUNE, "740.00", "746.92"),
        (5, _JUNE, "630.00", "507.64"),
        (6, _JUNE, "640.00", "946.32"),
        (7, _JUNE, "980.00", "640.16"),
        (8, _JUNE, "790.00", "965.64"),
        (1, _JULY, "960.00", "803.67"),
        (2, _JULY, "670.00", "715.64"),
        (3, _JULY, "890.00", "580.81"),
        (4, _JULY, "590.00", "754.93"),
        (5, _JULY, "870.00", "505.12"),
        (6, _JULY, "700.00", "912.30"),
        (7, _JULY, "990.00", "805.15"),
        (8, _JULY, "720.00", "504.25"),
    )
)


@dataclass(frozen=True, slots=True)
class SeedReport:
    shops_added: int
    budgets_added: int
    rows_already_present: int


def seed_sample(connection: Connection) -> SeedReport:
    """Insert the sample rows that are missing; leave rows with the same keys as they are."""
    have_shops = set(connection.execute(select(shops.c.a_id)).scalars())
    keys = connection.execute(select(budgets.c.a_shop_id, budgets.c.a_month))
    have_budgets = {(shop_id, month) for shop_id, month in keys}
    missing = [(i, name, online) for i, name, online in SHOPS if i not in have_shops]
    new_shops = [{"a_id": i, "a_name": name, "a_online": online} for i, name, online in missing]
    new_budgets = [
        {"a_shop_id": i, "a_month": m, "a_budget_amount": b, "a_amount_spent": s}
        for i, m, b, s in BUDGETS
        if (i, m) not in have_budgets
    ]
    if new_shops:
        connection.execute(shops.insert(), new_shops)
        shop_ids_taken_up_to(connection, max(i for i, _, _ in missing))
    if new_budgets:
        connection.execute(budgets.insert(), new_budgets)
    present = len(SHOPS) - len(new_shops) + len(BUDGETS) - len(new_budgets)
    return SeedReport(len(new_shops), len(new_budgets), present)
