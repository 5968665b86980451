"""Issue 8 §4: each budget's spend by day (bg_spend_days) and latest usage (bg_usage), written by
evaluations and spend events and pruned after their retention, on real SQLite, MariaDB and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, union, update

from budgetguard.db.catalog import policies
from budgetguard.db.schema.console_tables import spend_days, usage
from budgetguard.db.schema.tables import budgets
from budgetguard.domain.period import Month
from budgetguard.domain.policy import ShopPolicy
from budgetguard.domain.spend import SpendEvent
from budgetguard.services.history import spend_history
from budgetguard.services.maintenance import prune_old_rows
from budgetguard.services.shops import put_budget
from budgetguard.services.spend import Located, record_spend
from support.world import World

JUNE = date(2020, 6, 1)
JULY = date(2020, 7, 1)
Day = tuple[int, date, date, Decimal]  # shop, month, day, spent


def _days(world: World) -> list[Day]:
    """Every budget's spend by day as the console reads it (`spend_history`)."""
    with world.context.engine.connect() as connection:
        keys = connection.execute(
            union(
                select(usage.c.shop_id, usage.c.month),
                select(spend_days.c.shop_id, spend_days.c.month),
            )
        ).all()
    return [
        (shop, month, point.day, point.spent)
        for shop, month in sorted(keys)
        for point in spend_history(context=world.context, shop_id=shop, month=Month.of(month))
    ]


def _closed_days(world: World) -> list[Day]:
    """The rows of bg_spend_days: the days before each budget's latest change."""
    query = select(spend_days).order_by(spend_days.c.shop_id, spend_days.c.month, spend_days.c.day)
    with world.context.engine.connect() as connection:
        return [(r.shop_id, r.month, r.day, r.spent) for r in connection.execute(query)]


def _usage(world: World) -> dict[tuple[int, date], tuple[object, ...]]:
    """(shop, month) -> (budget, spent, usage_bp, updated_at)."""
    with world.context.engine.connect() as connection:
        rows = connection.execute(select(usage)).all()
    return {(r.shop_id, r.month): (r.budget, r.spent, r.usage_bp, r.updated_at) for r in rows}


def _basis_points(world: World) -> dict[int, int | None]:
    return {shop: row[2] for (shop, _), row in _usage(world).items()}  # type: ignore[misc]


def _shops_with_budgets(world: World, *rows: tuple[int, str, str]) -> None:
    for shop_id, budget, spent in rows:
        world.platform.add_shop(shop_id)
        world.platform.set_budget(shop_id, "2020-06", budget, spent)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_an_evaluation_records_every_budget_once_and_nothing_when_nothing_changed(
    world: World,
) -> None:
    _shops_with_budgets(world, (1, "100.00", "10.00"), (2, "200.00", "30.00"))

    world.evaluate("2020-06-10T08:00:00+00:00")
    recorded = _usage(world)
    world.evaluate("2020-06-10T09:00:00+00:00")

    assert _days(world) == [
        (1, JUNE, date(2020, 6, 10), Decimal("10.00")),
        (2, JUNE, date(2020, 6, 10), Decimal("30.00")),
    ]
    first = _instant("2020-06-10T08:00:00")
    assert recorded == {
        (1, JUNE): (Decimal("100.00"), Decimal("10.00"), 1000, first),
        (2, JUNE): (Decimal("200.00"), Decimal("30.00"), 1500, first),
    }
    assert _usage(world) == recorded, "the second evaluation changed nothing, and wrote nothing"


def test_two_evaluations_the_same_day_keep_the_days_last_spend(world: World) -> None:
    _shops_with_budgets(world, (1, "100.00", "10.00"), (2, "100.00", "20.00"))
    world.evaluate("2020-06-10T08:00:00+00:00")

    world.platform.set_spent(1, "2020-06", "25.50")
    world.evaluate("2020-06-10T22:00:00+00:00")

    assert _days(world) == [
        (1, JUNE, date(2020, 6, 10), Decimal("25.50")),
        (2, JUNE, date(2020, 6, 10), Decimal("20.00")),
    ]
    stamps = {shop: row[3] for (shop, _), row in _usage(world).items()}
    assert stamps == {1: _instant("2020-06-10T22:00:00"), 2: _instant("2020-06-10T08:00:00")}
    assert _closed_days(world) == [], "a change on the same day writes bg_usage alone"


def test_a_new_day_adds_a_row_for_the_budgets_that_changed(world: World) -> None:
    _shops_with_budgets(world, (1, "100.00", "10.00"), (2, "100.00", "20.00"))
    world.evaluate("2020-06-10T08:00:00+00:00")

    world.platform.set_spent(1, "2020-06", "40.00")
    world.evaluate("2020-06-11T08:00:00+00:00")
    world.platform.set_budget_amount(2, "2020-06", "300.00")  # a budget change: a row too
    world.evaluate("2020-06-12T08:00:00+00:00")

    assert _days(world) == [
        (1, JUNE, date(2020, 6, 10), Decimal("10.00")),
        (1, JUNE, date(2020, 6, 11), Decimal("40.00")),
        (2, JUNE, date(2020, 6, 10), Decimal("20.00")),
        (2, JUNE, date(2020, 6, 12), Decimal("20.00")),
    ]
    assert _basis_points(world) == {1: 4000, 2: 666}
    assert _closed_days(world) == [
        (1, JUNE, date(2020, 6, 10), Decimal("10.00")),
        (2, JUNE, date(2020, 6, 10), Decimal("20.00")),
    ], "the day before each budget's latest change, closed once"


def test_spend_events_write_the_history_of_their_budgets(world: World) -> None:
    _shops_with_budgets(world, (1, "100.00", "0.00"), (2, "100.00", "0.00"))
    world.clock.now = _instant("2020-06-20T09:00:00")

    for event_id, amount in (("a", "12.34"), ("b", "0.66")):
        event = SpendEvent(event_id, 1, Decimal(amount), world.clock())
        record_spend(context=world.context, events=[Located(event, "")], source="test")
        world.clock.advance(timedelta(hours=1))

    assert _days(world) == [(1, JUNE, date(2020, 6, 20), Decimal("13.00"))]
    assert _usage(world) == {
        (1, JUNE): (Decimal("100.00"), Decimal("13.00"), 1300, _instant("2020-06-20T10:00:00"))
    }, "shop 2 had no event: its budget was not evaluated"


def test_a_batch_of_events_writes_the_history_of_its_shops_only(world: World) -> None:
    """Several shops in one request: the statements' scope is narrowed to their ids."""
    _shops_with_budgets(world, *((shop, "100.00", "1.00") for shop in (1, 2, 3)))
    world.clock.now = _instant("2020-06-20T09:00:00")
    events = [
        Located(SpendEvent(f"e{shop}", shop, Decimal("2.00"), world.clock()), f"events[{i}].")
        for i, shop in enumerate((1, 3))
    ]

    record_spend(context=world.context, events=events, source="test")

    assert _days(world) == [
        (1, JUNE, date(2020, 6, 20), Decimal("3.00")),
        (3, JUNE, date(2020, 6, 20), Decimal("3.00")),
    ]
    assert _basis_points(world) == {1: 300, 3: 300}


def test_a_budget_set_through_the_service_records_its_usage(world: World) -> None:
    _shops_with_budgets(world, (1, "100.00", "30.00"))
    world.clock.now = _instant("2020-06-20T09:00:00")

    put_budget(
        context=world.context, shop_id=1, month=Month(2020, 6), amount=Decimal("90.00"), actor="t"
    )

    assert _basis_points(world) == {1: 3333}
    assert _days(world) == [(1, JUNE, date(2020, 6, 20), Decimal("30.00"))]


def test_a_shop_with_its_own_zone_gets_the_day_of_its_own_clock(world: World) -> None:
    _shops_with_budgets(world, (1, "100.00", "10.00"), (2, "100.00", "10.00"))
    with world.context.engine.begin() as connection:
        policy = ShopPolicy(timezone="Pacific/Auckland")
        settings = world.context.settings.policy_defaults.thresholds
        policies.write(connection, 1, policy, now=world.clock(), settings=settings)

    world.evaluate("2020-06-15T20:00:00+00:00")  # 16 June, 08:00 in Auckland
    for shop in (1, 2):
        world.platform.set_budget(shop, "2020-07", "100.00", "5.00")
    world.evaluate("2020-06-30T20:00:00+00:00")  # 1 July in Auckland: two passes

    assert _days(world) == [
        (1, JUNE, date(2020, 6, 16), Decimal("10.00")),
        (1, JULY, date(2020, 7, 1), Decimal("5.00")),
        (2, JUNE, date(2020, 6, 15), Decimal("10.00")),
    ]


def test_usage_is_exact_basis_points_and_null_without_a_usable_budget(world: World) -> None:
    _shops_with_budgets(
        world,
        (1, "3.00", "1.00"),  # a third: 3333, not 3333.33 rounded
        (2, "3.00", "2.00"),  # two thirds: 6666, floored, not rounded
        (3, "99999999.99", "99999999.98"),  # 9999.999999...: MySQL's `/` would round it up
        (4, "50.00", "75.00"),  # past the budget
        (5, "0.00", "10.00"),  # no usable budget
        (6, "0.01", "99999999.99"),  # beyond an INT of basis points: the most it holds
        (7, "100.00", "0.00"),
        (8, "-5.00", "1.00"),  # unusable amounts (a NULL is refused by the column)
        (9, "100.00", "-1.00"),
    )

    world.evaluate("2020-06-10T08:00:00+00:00")

    assert _basis_points(world) == {
        1: 3333, 2: 6666, 3: 9999, 4: 15000, 5: None, 6: 2_147_480_000, 7: 0, 8: None, 9: None
    }  # fmt: skip
    assert _usage(world)[8, JUNE][:2] == (Decimal("-5.00"), Decimal("1.00"))


def test_an_unusable_budget_is_recorded_once_as_it_is(world: World) -> None:
    _shops_with_budgets(world, (1, "-5.00", "-1.00"))

    world.evaluate("2020-06-10T08:00:00+00:00")
    world.evaluate("2020-06-11T08:00:00+00:00")

    first = _instant("2020-06-10T08:00:00")
    assert _usage(world) == {(1, JUNE): (Decimal("-5.00"), Decimal("-1.00"), None, first)}
    assert _days(world) == [(1, JUNE, date(2020, 6, 10), Decimal("-1.00"))]


def test_the_spend_history_of_a_month_is_read_by_day(world: World) -> None:
    _shops_with_budgets(world, (1, "100.00", "10.00"), (2, "100.00", "99.00"))
    for day, spent in ((12, "30.00"), (11, "20.00")):  # the day is the evaluation's
        world.platform.set_spent(1, "2020-06", spent)
        world.evaluate(f"2020-06-{day}T08:00:00+00:00")

    history = spend_history(context=world.context, shop_id=1, month=Month(2020, 6))

    assert history == [(date(2020, 6, 11), Decimal("20.00")), (date(2020, 6, 12), Decimal("30.00"))]
    assert [(point.day, point.spent) for point in history] == history
    assert spend_history(context=world.context, shop_id=1, month=Month(2020, 7)) == []


def test_prune_removes_the_history_past_its_retention_only(world: World) -> None:
    _shops_with_budgets(world, (1, "100.00", "10.00"))
    world.platform.set_budget(1, "2020-07", "100.00", "1.00")
    world.evaluate("2020-06-29T08:00:00+00:00")
    world.platform.set_spent(1, "2020-06", "20.00")
    world.evaluate("2020-06-30T08:00:00+00:00")
    world.evaluate("2020-07-01T08:00:00+00:00")
    # 400 days before: 30 June 2020, 12:00 (the default retention).
    world.clock.now = _instant("2021-08-04T12:00:00")

    report = prune_old_rows(context=world.context)

    # 29 June was closed in bg_spend_days; 30 June and 1 July are their budgets' latest days.
    assert (report.removed["spend_days"], report.removed["usage"]) == (1, 0)
    assert (report.cutoffs.spend_days, report.cutoffs.usage) == (date(2020, 6, 30), JUNE)
    assert [row[2] for row in _days(world)] == [date(2020, 6, 30), date(2020, 7, 1)]
    assert set(_usage(world)) == {(1, JUNE), (1, JULY)}, "June ended less than 400 days ago"

    world.clock.advance(timedelta(days=1))
    report = prune_old_rows(context=world.context)

    assert (report.removed["spend_days"], report.removed["usage"]) == (0, 1)
    assert [row[2] for row in _days(world)] == [date(2020, 7, 1)]
    assert set(_usage(world)) == {(1, JULY)}


def test_history_kept_forever_is_never_pruned(world: World) -> None:
    _shops_with_budgets(world, (1, "100.00", "10.00"))
    world.evaluate("2020-06-29T08:00:00+00:00")
    world.clock.now = _instant("2030-01-01T00:00:00")

    report = prune_old_rows(context=world.with_settings(retain_history_days=0).context)

    assert (report.removed["spend_days"], report.removed["usage"]) == (0, 0)
    assert report.cutoffs.spend_days is None
    assert len(_days(world)) == 1


def test_a_platform_write_of_the_same_spend_changes_nothing(world: World) -> None:
    """Only a difference counts: the platform rewriting the same amount writes no history."""
    _shops_with_budgets(world, (1, "100.00", "10.00"))
    world.evaluate("2020-06-10T08:00:00+00:00")
    with world.context.engine.begin() as connection:
        connection.execute(update(budgets).values(a_amount_spent=Decimal("10.00")))

    world.evaluate("2020-06-11T08:00:00+00:00")

    assert [row[2] for row in _days(world)] == [date(2020, 6, 10)]
