"""Issue 9 §2-3: each shop evaluated with its own thresholds, pause threshold and clock, on real
SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from budgetguard.db.catalog import policies
from budgetguard.db.schema.tables import pauses, threshold_bits
from budgetguard.domain.errors import ConcurrentChange, ConfigError, Unacceptable
from budgetguard.domain.evaluation import ChunkResult
from budgetguard.domain.period import Month
from budgetguard.domain.policy import SOFT_LIMIT, PauseAt, ShopPolicy
from budgetguard.domain.spend import SpendEvent
from budgetguard.services.shops import put_budget
from budgetguard.services.spend import Located, SpendReport, record_spend
from support.world import World


def set_policy(world: World, shop_id: int, **fields: object) -> None:
    """Store the shop's own policy, as `budgetguard policy set` does."""
    with world.context.engine.begin() as connection:
        policy = ShopPolicy(**fields)  # type: ignore[arg-type]
        settings = world.context.settings.policy_defaults.thresholds
        policies.write(connection, shop_id, policy, now=world.clock(), settings=settings)


def claim_threshold(world: World, shop_id: int) -> int | None:
    query = select(pauses.c.threshold).where(pauses.c.shop_id == shop_id)
    with world.context.engine.connect() as connection:
        return connection.execute(query).scalar_one()  # type: ignore[no-any-return]


def soft(thresholds: tuple[int, ...] | None = None) -> dict[str, object]:
    pause: PauseAt = SOFT_LIMIT
    return {"thresholds": thresholds, "pause_at": pause}


def test_a_shop_at_80_percent_with_its_own_thresholds_gets_one_notification_of_50_and_80(
    world: World,
) -> None:
    world.platform.add_shop(1)
    world.platform.add_shop(2)
    set_policy(world, 1, thresholds=(50, 80, 100))
    world.platform.set_budget(1, "2020-06", "100.00", "80.00")
    world.platform.set_budget(2, "2020-06", "100.00", "80.00")

    world.check("2020-06-15")

    assert sorted(world.sent) == [(1, "threshold", (50, 80), None), (2, "threshold", (50,), None)]
    assert world.platform.fired(1, "2020-06") == (50, 80)


def test_a_soft_limit_shop_past_its_budget_is_notified_and_stays_online(world: World) -> None:
    world.platform.add_shop(1)
    set_policy(world, 1, **soft())
    world.platform.set_budget(1, "2020-06", "100.00", "130.00")

    world.check("2020-06-15")

    assert world.sent == [(1, "threshold", (50, 100), None)]
    assert world.platform.online(1)
    assert world.platform.paused_by_budgetguard() == set()


def test_a_shop_pauses_at_its_own_pause_threshold(world: World) -> None:
    world.platform.add_shop(1)
    set_policy(world, 1, thresholds=(50, 80, 100), pause_at=80)
    world.platform.set_budget(1, "2020-06", "100.00", "85.00")

    world.check("2020-06-15")
    world.platform.set_spent(1, "2020-06", "100.00")
    world.check("2020-06-16")

    assert world.sent == [(1, "threshold", (50, 80), "paused"), (1, "threshold", (100,), None)]
    assert not world.platform.online(1)
    assert claim_threshold(world, 1) == 80


def test_switching_a_paused_shop_to_a_soft_limit_neither_resumes_nor_pauses_it(
    world: World,
) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-15")
    set_policy(world, 1, **soft())

    world.check("2020-06-16")

    assert world.sent == [(1, "threshold", (50, 100), "paused")]
    assert not world.platform.online(1)
    assert world.platform.paused_by_budgetguard() == {1}


def test_a_soft_limit_shop_resumes_once_below_the_threshold_its_claim_paused_at(
    world: World,
) -> None:
    world.platform.add_shop(1)
    set_policy(world, 1, thresholds=(50, 80, 100), pause_at=80)
    world.platform.set_budget(1, "2020-06", "100.00", "90.00")
    world.check("2020-06-15")
    set_policy(world, 1, **soft((50, 80, 100)))
    world.platform.set_spent(1, "2020-06", "82.00")
    world.check("2020-06-16")
    assert not world.platform.online(1), "82 % still crosses the claim's 80 %"

    world.platform.set_spent(1, "2020-06", "79.00")
    world.check("2020-06-17")

    assert world.sent[-1] == (1, "resumed", (), "resumed")
    assert world.platform.online(1)
    assert world.platform.paused_by_budgetguard() == set()
    world.platform.set_spent(1, "2020-06", "120.00")
    world.check("2020-06-18")
    assert world.sent[-1] == (1, "threshold", (80, 100), None), "a soft limit never pauses"
    assert world.platform.online(1)


def test_a_claim_older_than_policies_resumes_below_the_settings_pause_threshold(
    world: World,
) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-15")
    with world.context.engine.begin() as connection:
        connection.execute(pauses.update().values(threshold=None))  # as before migration 0008
    set_policy(world, 1, **soft())
    world.platform.set_spent(1, "2020-06", "99.00")

    world.check("2020-06-16")

    assert world.sent[-1] == (1, "resumed", (), "resumed")


def test_a_threshold_removed_from_a_shop_stays_recorded_and_is_ignored(world: World) -> None:
    world.platform.add_shop(1)
    set_policy(world, 1, thresholds=(50, 80, 100))
    world.platform.set_budget(1, "2020-06", "100.00", "85.00")
    world.check("2020-06-15")
    set_policy(world, 1, thresholds=(50, 100))

    world.check("2020-06-16")
    world.platform.set_spent(1, "2020-06", "90.00")
    world.check("2020-06-17")

    assert world.sent == [(1, "threshold", (50, 80), None)]
    assert world.platform.fired(1, "2020-06") == (50, 80)


def test_a_new_threshold_already_crossed_fires_at_the_next_evaluation(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "85.00")
    world.check("2020-06-15")
    set_policy(world, 1, thresholds=(50, 80, 100))

    world.check("2020-06-16")

    assert world.sent == [(1, "threshold", (50,), None), (1, "threshold", (80,), None)]


def test_a_policy_cleared_mid_month_brings_back_the_settings(world: World) -> None:
    world.platform.add_shop(1)
    set_policy(world, 1, **soft())
    world.platform.set_budget(1, "2020-06", "100.00", "120.00")
    world.check("2020-06-15")
    with world.context.engine.begin() as connection:
        policies.remove(connection, 1)

    world.check("2020-06-16")

    assert world.sent == [(1, "threshold", (50, 100), None)], "100 fired already: no pause now"
    assert world.platform.online(1)


def _two_zones(world: World) -> None:
    for shop_id, zone in ((1, "Pacific/Auckland"), (2, "America/Los_Angeles")):
        world.platform.add_shop(shop_id)
        set_policy(world, shop_id, timezone=zone)
        world.platform.set_budget(shop_id, "2020-06", "100.00", "60.00")
        world.platform.set_budget(shop_id, "2020-07", "100.00", "70.00")


def test_between_two_midnights_each_shop_is_evaluated_for_the_month_on_its_clock(
    world: World,
) -> None:
    _two_zones(world)

    report = world.evaluate("2020-06-30T13:00:00Z")  # Auckland: July 1st 01:00; LA: June 30th

    rows = {
        (n.shop_id, n.month.isoformat(), n.evaluated_on.isoformat(), n.timezone)
        for n in _rows(world)
    }
    assert rows == {
        (1, "2020-07-01", "2020-07-01", "Pacific/Auckland"),
        (2, "2020-06-01", "2020-06-30", "America/Los_Angeles"),
    }
    assert [str(p.month) for p in report.passes] == ["2020-06", "2020-07"]
    assert report.notifications == 2
    assert report.budgets == 2, "each pass counts only its own shops' budgets"


def test_a_paused_shop_resumes_at_its_own_midnight_with_its_new_months_budget(
    world: World,
) -> None:
    for shop_id, zone in ((1, "Pacific/Auckland"), (2, "America/Los_Angeles")):
        world.platform.add_shop(shop_id)
        set_policy(world, shop_id, timezone=zone)
        world.platform.set_budget(shop_id, "2020-06", "100.00", "100.00")
        world.platform.set_budget(shop_id, "2020-07", "100.00", "0.00")
    world.check("2020-06-29T00:00:00Z")
    assert world.platform.paused_by_budgetguard() == {1, 2}

    world.check("2020-06-30T12:30:00Z")  # Auckland's midnight was at 12:00 UTC

    assert world.platform.online(1)
    assert not world.platform.online(2)
    world.check("2020-07-01T07:30:00Z")  # Los Angeles' midnight was at 07:00 UTC
    assert world.platform.online(2)
    resumed = [
        (n.shop_id, n.month.isoformat(), n.evaluated_on.isoformat())
        for n in _rows(world)
        if n.kind == "resumed"
    ]
    assert resumed == [(1, "2020-07-01", "2020-07-01"), (2, "2020-07-01", "2020-07-01")]


def test_one_pass_evaluations_keep_the_platform_month_and_date(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "60.00")

    report = world.evaluate("2020-06-30T23:30:00Z")

    (row,) = _rows(world)
    assert (row.evaluated_on.isoformat(), row.timezone, row.language) == ("2020-06-30", "UTC", "en")
    assert row.evaluated_at == datetime(2020, 6, 30, 23, 30, tzinfo=UTC)
    assert report.passes == []


def _rows(world: World) -> list:  # type: ignore[type-arg]
    return [_Row(**dict(r)) for r in world.platform.notifications()]


class _Row:
    def __init__(self, **values: object) -> None:
        self.__dict__.update(values)


def _spend(world: World, event_id: str, shop_id: int, amount: str) -> SpendReport:
    event = SpendEvent(event_id, shop_id, Decimal(amount), world.clock())
    return record_spend(context=world.context, events=[Located(event, "")], source="test")


def test_a_spend_event_counts_in_the_month_on_its_shops_clock_and_is_evaluated_there(
    world: World,
) -> None:
    for shop_id in (1, 2):
        world.platform.add_shop(shop_id)
        world.platform.set_budget(shop_id, "2020-06", "100.00", "0.00")
        world.platform.set_budget(shop_id, "2020-07", "100.00", "0.00")
    set_policy(world, 1, timezone="Pacific/Auckland", thresholds=(50, 80, 100), pause_at=80)
    world.clock.now = datetime(2020, 6, 30, 13, 0, tzinfo=UTC)  # July 1st in Auckland

    report = _spend(world, "a-1", 1, "85.00")
    _spend(world, "u-1", 2, "85.00")

    assert [(s.shop_id, str(s.month)) for s in report.standings] == [(1, "2020-07")]
    assert not world.platform.online(1), "paused at its own 80 %, in its own July"
    rows = {
        (n.shop_id, n.month.isoformat(), n.evaluated_on.isoformat(), n.thresholds, n.action)
        for n in _rows(world)
    }
    assert rows == {
        (1, "2020-07-01", "2020-07-01", "50,80", "paused"),
        (2, "2020-06-01", "2020-06-30", "50", None),
    }


def test_a_budget_raise_by_request_resumes_a_soft_limit_shop_below_its_claims_threshold(
    world: World,
) -> None:
    world.platform.add_shop(1)
    set_policy(world, 1, thresholds=(50, 80, 100), pause_at=80)
    world.platform.set_budget(1, "2020-06", "100.00", "90.00")
    world.check("2020-06-15")
    set_policy(world, 1, **soft((50, 80, 100)))
    world.clock.now = datetime(2020, 6, 16, tzinfo=UTC)

    saved = put_budget(
        actor="tests",
        context=world.context,
        shop_id=1,
        month=Month(2020, 6),
        amount=Decimal("100.00"),
    )
    assert saved.queued == ChunkResult(), "90 % still crosses the claim's 80 %"
    saved = put_budget(
        actor="tests",
        context=world.context,
        shop_id=1,
        month=Month(2020, 6),
        amount=Decimal("120.00"),
    )

    assert saved.queued == ChunkResult(notifications=1, resumed=1), "75 % is below 80 %"
    assert world.platform.online(1)


def test_a_shops_own_pause_threshold_the_settings_dropped_still_fires_and_pauses(
    world: World,
) -> None:
    world = world.with_settings(thresholds=(50, 80, 100), pause_at=100)
    world.platform.add_shop(1)
    set_policy(world, 1, pause_at=80)  # its thresholds: the settings'
    world.platform.set_budget(1, "2020-06", "100.00", "85.00")
    world = world.with_settings(thresholds=(50, 100), pause_at=100)

    world.check("2020-06-15")

    assert world.sent == [(1, "threshold", (50, 80), "paused")]
    assert not world.platform.online(1)
    assert claim_threshold(world, 1) == 80


def test_a_request_pauses_at_a_shops_own_pause_threshold_the_settings_dropped(
    world: World,
) -> None:
    world = world.with_settings(thresholds=(50, 80, 100), pause_at=100)
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "0.00")
    set_policy(world, 1, pause_at=80)
    world = world.with_settings(thresholds=(50, 100), pause_at=100)
    world.clock.now = datetime(2020, 6, 15, tzinfo=UTC)

    _spend(world, "e-1", 1, "85.00")

    assert not world.platform.online(1), "paused at its own 80 %"
    assert [(n.thresholds, n.action) for n in _rows(world)] == [("50,80", "paused")]


def _every_bit_given(world: World) -> None:
    """The settings name 50 and 100; three shops name the 61 other values up to 62."""
    world.check("2020-06-01")  # the settings' values get their bits
    values = [t for t in range(1, 63) if t != 50]
    for shop_id, part in enumerate((values[:20], values[20:40], values[40:]), start=1):
        world.platform.add_shop(shop_id)
        set_policy(world, shop_id, thresholds=(*part, 100))
    with world.context.engine.connect() as connection:
        assert len(policies.threshold_bits_of(connection)) == policies.MAX_BITS


def test_bits_no_policy_uses_any_more_are_given_to_new_threshold_values(world: World) -> None:
    _every_bit_given(world)
    world.platform.add_shop(4)
    with pytest.raises(Unacceptable) as refused:
        set_policy(world, 4, thresholds=(63, 100))
    assert [p.field for p in refused.value.problems] == ["thresholds"]

    set_policy(world, 2)  # cleared: its 20 values are used by no policy now
    set_policy(world, 4, thresholds=(63, 100))
    world.platform.set_budget(3, "2020-06", "100.00", "45.00")
    world.platform.set_budget(4, "2020-06", "100.00", "64.00")
    world.check("2020-06-15")

    assert sorted(world.sent) == [
        (3, "threshold", (41, 42, 43, 44, 45), None),
        (4, "threshold", (63,), None),
    ]
    with world.context.engine.connect() as connection:
        bits = policies.threshold_bits_of(connection)
    assert 63 in bits
    assert 21 not in bits, "a value no policy names any more was reclaimed"
    assert {1, 50, 62, 100} <= set(bits), "the values still named keep their bits"


def test_the_settings_thresholds_take_the_bits_no_policy_uses(world: World) -> None:
    _every_bit_given(world)
    world.platform.set_budget(1, "2020-06", "100.00", "0.00")
    wider = world.with_settings(thresholds=(50, 70, 100), pause_at=100)
    with pytest.raises(ConfigError, match="BUDGETGUARD_THRESHOLDS"):
        wider.check("2020-06-15")

    set_policy(world, 3)
    world.platform.add_shop(5)
    world.platform.set_budget(5, "2020-06", "100.00", "75.00")
    wider.check("2020-06-15")

    assert wider.sent == [(5, "threshold", (50, 70), None)]


def test_a_transaction_that_read_the_universe_before_a_reclaim_sees_it_whole_or_runs_again(
    world: World,
) -> None:
    """A bit reclaimed while an evaluation's transaction runs: PostgreSQL's snapshot keeps the
    old universe with the old masks; MySQL/MariaDB's current reads would not, so the end check
    makes the transaction run again."""
    engine = world.context.engine
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no reclaim runs beside an evaluation")
    world.platform.add_shop(1)
    set_policy(world, 1, thresholds=(30, 100))
    set_policy(world, 1)  # 30 is used by no policy now
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as evaluation:
        evaluation.begin()
        bits = policies.threshold_bits_of(evaluation)
        assert 30 in bits
        with engine.begin() as reclaim:
            reclaim.execute(delete(threshold_bits).where(threshold_bits.c.threshold == 30))
        if engine.dialect.name == "postgresql":
            policies.same_universe(evaluation, bits)
            assert policies.threshold_bits_of(evaluation) == bits, "one snapshot"
        else:
            with pytest.raises(ConcurrentChange):
                policies.same_universe(evaluation, bits)
        evaluation.rollback()
