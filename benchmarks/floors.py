"""What budgetguard's evaluation is measured against: the bare SQL floor, the first-check floor
(the floor, then one printed line per notification), and the naive per-shop loop.

Each takes the benchmark's data as evaluate.py builds it (month 2020-06, thresholds 50 and 100).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TextIO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

MONTH = "2020-06-01"
NOW = "2020-06-30 12:00:00"
TODAY = "2020-06-30"


def evaluation_floor(engine: Engine) -> float:
    """One INSERT ... SELECT of the crossings into bg_alerts and one UPDATE of the shops that
    reach 100 %, in one transaction: the least an evaluation must write."""
    crossed = "b.a_amount_spent * 100 >= b.a_budget_amount * t.t"
    started = time.perf_counter()
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO bg_alerts (shop_id, month, threshold, fired_at) "
                f"SELECT b.a_shop_id, b.a_month, t.t, '{NOW}' FROM t_budgets b "
                "CROSS JOIN (SELECT 50 AS t UNION ALL SELECT 100) t "
                f"WHERE b.a_month = '{MONTH}' AND {crossed}"
            )
        )
        c.execute(text(
            "UPDATE t_shops SET a_online = (1 = 0) WHERE a_online = (1 = 1) AND a_id IN ("
            f"SELECT a_shop_id FROM t_budgets WHERE a_month = '{MONTH}' "
            "AND a_amount_spent >= a_budget_amount)"
        ))  # fmt: skip
    return time.perf_counter() - started


def print_notifications(engine: Engine, out: TextIO) -> tuple[float, int]:
    """Fetch one row per notification an evaluation queues (a budget past 50 %) and print one
    line for each: what the first-check floor adds to the evaluation floor."""
    started = time.perf_counter()
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT b.a_shop_id, s.a_name, b.a_budget_amount, b.a_amount_spent "
            "FROM t_budgets b JOIN t_shops s ON s.a_id = b.a_shop_id "
            f"WHERE b.a_month = '{MONTH}' AND b.a_amount_spent * 2 >= b.a_budget_amount"
        ))  # fmt: skip
        printed = 0
        for shop, name, budget, spent in rows:
            out.write(_line(shop, name, Decimal(budget), Decimal(spent)) + "\n")
            printed += 1
    return time.perf_counter() - started, printed


def _line(shop: int, name: str, budget: Decimal, spent: Decimal) -> str:
    crossed = [t for t in (50, 100) if spent * 100 >= budget * t]
    percent = (spent * 100 / budget).quantize(Decimal("0.01"))
    tail = " — shop paused" if 100 in crossed else ""
    reached = ", ".join(f"{t} %" for t in crossed)
    return (
        f"{TODAY}  {name} (shop {shop}), June 2020: spent {spent:.2f} of {budget:.2f} "
        f"({percent} %) — reached {reached}{tail}"
    )


def naive(engine: Engine, out: TextIO) -> float:
    """The per-shop baseline: one SELECT, then per shop that needs it one transaction of its
    writes, and its notification printed (as budgetguard's first check prints its own)."""
    started = time.perf_counter()
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT b.a_shop_id, s.a_name, s.a_online, b.a_budget_amount, b.a_amount_spent "
            f"FROM t_budgets b JOIN t_shops s ON s.a_id = b.a_shop_id WHERE b.a_month = '{MONTH}'"
        )).all()  # fmt: skip
        c.commit()
        for shop, name, online, budget, spent in rows:
            crossed = [t for t in (50, 100) if spent * 100 >= budget * t]
            if not crossed:
                continue
            pause = 100 in crossed and bool(online)
            with c.begin():
                _naive_writes(c, (shop, name, budget, spent), crossed, pause=pause)
            out.write(_line(shop, name, Decimal(budget), Decimal(spent)) + "\n")
    return time.perf_counter() - started


def _naive_writes(
    c: Connection, row: tuple[int, str, Decimal, Decimal], crossed: list[int], *, pause: bool
) -> None:
    shop, name, budget, spent = row
    c.execute(
        text(
            "INSERT INTO bg_notifications (evaluation_id, kind, shop_id, shop_name, "
            "month, budget, spent, thresholds, action, evaluated_on, created_at, "
            "status, attempts, next_attempt_at) "
            "VALUES (0, 'threshold', :shop, :name, :month, "
            ":budget, :spent, :ts, :action, :month, :now, 'pending', 0, :now)"
        ),
        {"shop": shop, "name": name, "month": MONTH, "budget": budget, "spent": spent,
         "ts": ",".join(map(str, crossed)), "action": "paused" if pause else None, "now": NOW},
    )  # fmt: skip
    for t in crossed:
        c.execute(
            text(
                "INSERT INTO bg_alerts (shop_id, month, threshold, fired_at) "
                "VALUES (:shop, :month, :t, :now)"
            ),
            {"shop": shop, "month": MONTH, "t": t, "now": NOW},
        )
    if pause:
        c.execute(text("UPDATE t_shops SET a_online = (1 = 0) WHERE a_id = :shop"), {"shop": shop})
        c.execute(
            text(
                "INSERT INTO bg_pauses (shop_id, month, paused_at, evaluation_id) "
                "VALUES (:shop, :month, :now, 0)"
            ),
            {"shop": shop, "month": MONTH, "now": NOW},
        )
