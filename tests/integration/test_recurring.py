"""Recurring budgets (issue 9 §6) on real SQLite, MariaDB and PostgreSQL: an evaluation of a
month with no budget row for a shop with a recurring budget creates the row first, in the same
transaction, on the shop's own clock; the platform's own rows are never touched."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from budgetguard.db.catalog import policies
from budgetguard.db.schema.tables import audit, budgets, evaluations
from budgetguard.domain.policy import ShopPolicy
from support.world import World

# Auckland is UTC+12 in winter: its July begins at 2020-06-30 12:00 UTC.
BEFORE_AUCKLAND_JULY = "2020-06-30T11:30:00Z"
AUCKLAND_JULY = "2020-06-30T12:30:00Z"
AUCKLAND = "Pacific/Auckland"


def set_policy(world: World, shop_id: int, policy: ShopPolicy) -> None:
    with world.context.engine.begin() as connection:
        now, settings = datetime(2020, 6, 1, tzinfo=UTC), (50, 100)
        policies.write(connection, shop_id, policy, now=now, settings=settings)


def budget_row(world: World, shop_id: int, month: date) -> tuple[Decimal, Decimal] | None:
    query = select(budgets.c.a_budget_amount, budgets.c.a_amount_spent).where(
        budgets.c.a_shop_id == shop_id, budgets.c.a_month == month
    )
    with world.context.engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else (row[0], row[1])


def audit_rows(world: World) -> list[tuple[str, str, int, dict[str, str]]]:
    query = select(audit.c.actor, audit.c.action, audit.c.shop_id, audit.c.detail).order_by(
        audit.c.id
    )
    with world.context.engine.connect() as connection:
        return [(a, b, s, json.loads(d)) for a, b, s, d in connection.execute(query)]


def paused_in_june(world: World, shop_id: int, *, zone: str | None = None) -> None:
    world.platform.add_shop(shop_id)
    world.platform.set_budget(shop_id, "2020-06", "100.00", "100.00")
    set_policy(world, shop_id, ShopPolicy(timezone=zone, recurring_budget=Decimal("500.00")))
    world.check("2020-06-20")
    assert not world.platform.online(shop_id)


def test_a_recurring_budget_resumes_a_paused_shop_at_its_own_midnight(world: World) -> None:
    paused_in_june(world, 1, zone=AUCKLAND)
    paused_in_june(world, 2)  # the settings' zone: UTC, still in June at both instants

    world.check(BEFORE_AUCKLAND_JULY)
    assert budget_row(world, 1, date(2020, 7, 1)) is None
    assert not world.platform.online(1)
    world.check(AUCKLAND_JULY)

    assert budget_row(world, 1, date(2020, 7, 1)) == (Decimal("500.00"), Decimal("0.00"))
    assert world.platform.online(1)
    assert world.sent[-1] == (1, "resumed", (), "resumed")
    assert budget_row(world, 2, date(2020, 7, 1)) is None
    assert not world.platform.online(2)


def test_a_recurring_budget_resumes_a_shop_on_the_first_of_the_platforms_month(
    world: World,
) -> None:
    paused_in_june(world, 1)

    world.check("2020-07-01")

    assert budget_row(world, 1, date(2020, 7, 1)) == (Decimal("500.00"), Decimal("0.00"))
    assert world.platform.online(1)
    assert world.sent[-1] == (1, "resumed", (), "resumed")


def test_the_created_row_is_audited_as_budgetguards_once(world: World) -> None:
    paused_in_june(world, 1)

    world.check("2020-07-01")
    world.check("2020-07-02")

    assert audit_rows(world) == [
        ("budgetguard", "budget.created", 1, {"month": "2020-07", "amount": "500.00"})
    ]


def test_the_platforms_own_row_is_left_alone(world: World) -> None:
    paused_in_june(world, 1)
    world.platform.set_budget(1, "2020-07", "200.00", "250.00")  # written before the turn

    world.check("2020-07-01")

    assert budget_row(world, 1, date(2020, 7, 1)) == (Decimal("200.00"), Decimal("250.00"))
    assert audit_rows(world) == []
    assert not world.platform.online(1), "the platform's row has no headroom"


def test_a_shop_without_a_recurring_budget_waits_for_its_row(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-20")

    world.check("2020-07-01")

    assert budget_row(world, 1, date(2020, 7, 1)) is None
    assert not world.platform.online(1)
    assert audit_rows(world) == []


def test_a_recurring_budget_is_created_for_a_shop_with_no_budget_ever(world: World) -> None:
    world.platform.add_shop(1)
    set_policy(world, 1, ShopPolicy(recurring_budget=Decimal("99.99")))

    report = world.check("2020-07-01").evaluation

    assert report.created == 1
    assert report.budgets == 1, "the row created is evaluated, and counted"
    assert budget_row(world, 1, date(2020, 7, 1)) == (Decimal("99.99"), Decimal("0.00"))
    query = select(evaluations.c.budgets).where(evaluations.c.id == report.evaluation_id)
    with world.context.engine.connect() as connection:
        assert connection.execute(query).scalar_one() == 1
