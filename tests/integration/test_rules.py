"""Every rule of SPEC §3, on real SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from support.world import World


def test_half_alert_fires_at_exactly_half_the_budget(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.add_shop(2)
    world.platform.set_budget(1, "2020-06", "100.00", "50.00")
    world.platform.set_budget(2, "2020-06", "100.00", "49.99")

    world.check("2020-06-15")

    assert world.sent == [(1, "threshold", (50,), None)]


def test_an_alert_fires_once_however_often_budgetguard_runs(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "60.00")

    for day in ("2020-06-10", "2020-06-11", "2020-06-12"):
        world.check(day)

    assert world.sent == [(1, "threshold", (50,), None)]


def test_a_jump_past_several_thresholds_sends_one_notification_listing_all(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "40.00")
    world.check("2020-06-10")
    world.platform.set_spent(1, "2020-06", "110.00")

    world.check("2020-06-11")

    assert world.sent == [(1, "threshold", (50, 100), "paused")]
    assert world.platform.fired(1, "2020-06") == (50, 100)


def test_the_pause_threshold_takes_an_online_shop_offline(world: World) -> None:
    world.platform.add_shop(1, online=True)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")

    world.check("2020-06-30")

    assert not world.platform.online(1)
    assert world.platform.paused_by_budgetguard() == {1}


def test_a_shop_already_offline_is_notified_but_not_claimed(world: World) -> None:
    world.platform.add_shop(1, online=False)
    world.platform.set_budget(1, "2020-06", "100.00", "120.00")

    world.check("2020-06-30")

    assert world.sent == [(1, "threshold", (50, 100), None)]
    assert world.platform.paused_by_budgetguard() == set()
    world.platform.set_budget(1, "2020-07", "100.00", "0.00")
    world.check("2020-07-01")
    assert not world.platform.online(1), "budgetguard never sets online a shop it did not pause"


def test_a_budget_raise_rearms_the_alerts_and_resumes_the_shop(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-20")
    world.platform.set_budget_amount(1, "2020-06", "150.00")

    world.check("2020-06-21")

    assert world.sent[-1] == (1, "resumed", (), "resumed")
    assert world.platform.online(1)
    assert world.platform.fired(1, "2020-06") == (50,), "66 % still crosses 50 %; 100 re-armed"
    assert world.platform.paused_by_budgetguard() == set()


def test_a_rearmed_alert_fires_again_on_the_next_crossing(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-20")
    world.platform.set_budget_amount(1, "2020-06", "200.00")
    world.check("2020-06-21")
    world.platform.set_spent(1, "2020-06", "200.00")

    world.check("2020-06-22")

    assert world.sent == [
        (1, "threshold", (50, 100), "paused"),
        (1, "resumed", (), "resumed"),
        (1, "threshold", (100,), "paused"),
    ]
    assert not world.platform.online(1)


def test_a_spend_correction_rearms_and_resumes(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "105.00")
    world.check("2020-06-20")
    world.platform.set_spent(1, "2020-06", "40.00")

    world.check("2020-06-21")

    assert world.sent[-1] == (1, "resumed", (), "resumed")
    assert world.platform.fired(1, "2020-06") == ()
    assert world.platform.online(1)


def test_a_new_month_with_headroom_resumes_a_paused_shop(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-30")
    world.platform.set_budget(1, "2020-07", "100.00", "0.00")

    world.check("2020-07-01")

    assert world.sent[-1] == (1, "resumed", (), "resumed")
    assert world.platform.online(1)
    assert world.platform.fired(1, "2020-06") == (50, 100), "June's alerts belong to June"


def test_a_paused_shop_stays_paused_while_the_new_month_has_no_budget(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-30")

    world.check("2020-07-01")

    assert not world.platform.online(1)
    assert world.platform.paused_by_budgetguard() == {1}
    assert len(world.sent) == 1


def test_a_new_month_already_over_budget_keeps_the_shop_paused(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-30")
    world.platform.set_budget(1, "2020-07", "100.00", "100.00")

    world.check("2020-07-01")

    assert world.sent[-1] == (1, "threshold", (50, 100), None)
    assert not world.platform.online(1)
    assert world.platform.paused_by_budgetguard() == {1}, "budgetguard still holds the pause"
    world.platform.set_budget_amount(1, "2020-07", "300.00")
    world.check("2020-07-02")
    assert world.sent[-1] == (1, "resumed", (), "resumed")


def test_a_shop_set_online_by_hand_ends_budgetguards_claim(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-29")
    world.platform.set_online(1, True)
    world.check("2020-06-30")
    assert world.platform.online(1), "the alert already fired: no second pause this arming"
    world.platform.set_online(1, False)  # someone else takes it offline
    world.platform.set_budget(1, "2020-07", "100.00", "0.00")

    world.check("2020-07-01")

    assert not world.platform.online(1)
    assert world.platform.paused_by_budgetguard() == set()
    assert [kind for _, kind, _, _ in world.sent] == ["threshold"]


def test_a_shop_someone_else_set_offline_is_never_resumed(world: World) -> None:
    world.platform.add_shop(1, online=True)
    world.platform.set_budget(1, "2020-06", "100.00", "10.00")
    world.check("2020-06-10")
    world.platform.set_online(1, False)

    world.check("2020-06-11")

    assert not world.platform.online(1)
    assert world.sent == []


def test_thresholds_fire_whatever_the_shops_online_state(world: World) -> None:
    world.platform.add_shop(1, online=True)
    world.platform.add_shop(2, online=False)
    world.platform.set_budget(1, "2020-06", "100.00", "70.00")
    world.platform.set_budget(2, "2020-06", "100.00", "70.00")

    world.check("2020-06-10")

    assert sorted(world.sent) == [(1, "threshold", (50,), None), (2, "threshold", (50,), None)]


def test_the_month_is_the_one_on_the_platforms_clock(world: World) -> None:
    berlin = world.with_settings(timezone="Europe/Berlin")
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "10.00")
    world.platform.set_budget(1, "2020-07", "100.00", "90.00")

    berlin.check("2020-06-30T22:30:00+00:00")  # 00:30 on 1 July in Berlin

    assert [n.month.label for n in world.channel.sent] == ["July 2020"]


def test_a_bad_budget_row_is_skipped_with_a_warning_and_the_rest_go_on(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    for shop in (1, 2, 3, 4):
        world.platform.add_shop(shop)
    world.platform.set_budget(1, "2020-06", "-5.00", "10.00")
    world.platform.set_budget(2, "2020-06", "0.00", "10.00")
    world.platform.set_budget(3, "2020-06", "100.00", "-1.00")
    world.platform.set_budget(4, "2020-06", "100.00", "100.00")

    with caplog.at_level(logging.WARNING):
        report = world.check("2020-06-10")

    assert world.sent == [(4, "threshold", (50, 100), "paused")]
    assert [(s.shop_id, str(s.month)) for s in report.evaluation.skipped] == [
        (1, "2020-06"),
        (2, "2020-06"),
        (3, "2020-06"),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "skipping the budget of shop 1 for 2020-06: the budget amount is negative" in warnings[0]
    assert "shop 2 for 2020-06: the budget amount is zero" in warnings[1]
    assert "shop 3 for 2020-06: the spent amount is negative" in warnings[2]


def test_a_bad_row_keeps_the_state_it_had(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "100.00", "100.00")
    world.check("2020-06-10")
    world.platform.set_budget_amount(1, "2020-06", "-100.00")

    world.check("2020-06-11")

    assert world.platform.fired(1, "2020-06") == (50, 100)
    assert not world.platform.online(1), "no resume on a row that cannot be read"


def test_the_notification_says_what_happened(world: World) -> None:
    world.platform.add_shop(3, "As Seen On Sale")
    world.platform.set_budget(3, "2020-06", "650.00", "685.91")

    world.check("2020-06-30T10:00:00+00:00")

    (note,) = world.channel.sent
    assert (note.shop_id, note.shop_name, str(note.month)) == (3, "As Seen On Sale", "2020-06")
    assert (note.budget, note.spent, note.percent) == (
        Decimal("650.00"),
        Decimal("685.91"),
        Decimal("105.52"),
    )
    assert note.thresholds == (50, 100)
    assert note.action is not None
    assert note.action.value == "paused"
    assert note.evaluated_on.isoformat() == "2020-06-30"


def test_custom_thresholds_and_pause_point_are_honoured(world: World) -> None:
    custom = world.with_settings(thresholds="25,75,90", pause_at=90)
    world.platform.add_shop(1)
    world.platform.set_budget(1, "2020-06", "200.00", "160.00")

    custom.check("2020-06-10")
    world.platform.set_spent(1, "2020-06", "180.00")
    custom.check("2020-06-11")

    assert world.sent == [(1, "threshold", (25, 75), None), (1, "threshold", (90,), "paused")]


def test_small_chunks_decide_exactly_what_one_big_chunk_does(world: World) -> None:
    for shop in range(1, 31):
        world.platform.add_shop(shop, online=shop % 3 != 0)
        world.platform.set_budget(shop, "2020-06", "100.00", f"{shop * 4}.00")
    chunked = world.with_settings(chunk_size=4)

    report = chunked.check("2020-06-10")

    assert report.evaluation.budgets == 30
    expected = []
    for shop in range(1, 31):
        crossed = tuple(t for t in (50, 100) if shop * 4 >= t)
        if crossed:
            paused = "paused" if 100 in crossed and shop % 3 != 0 else None
            expected.append((shop, "threshold", crossed, paused))
    assert sorted(world.sent) == expected


def test_shops_without_a_budget_row_are_left_alone(world: World) -> None:
    world.platform.add_shop(1)
    world.platform.add_shop(2)
    world.platform.set_budget(2, "2020-06", "100.00", "100.00")

    world.check("2020-06-10")

    assert world.platform.online(1)
    assert [shop for shop, *_ in world.sent] == [2]
