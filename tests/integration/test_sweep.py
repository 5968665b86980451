"""How the sweep reads and orders its chunks (issue 10): findings stops at the first changed row
but still reports every bad row; chunks run at once come from stripes far apart."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine

from budgetguard.db.plumbing.chunk_pool import ChunkPool
from support.world import World

BAD = (2, 4, 6)


def _shops_with_bad_rows_between_changed_ones(world: World) -> None:
    for shop in range(1, 8):
        world.platform.add_shop(shop)
        amount = "-1.00" if shop in BAD else "100.00"
        world.platform.set_budget(shop, "2020-06", amount, "60.00" if shop % 2 else "10.00")


def test_every_bad_row_is_reported_though_changed_rows_come_before_them(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    _shops_with_bad_rows_between_changed_ones(world)

    with caplog.at_level(logging.WARNING):
        report = world.check("2020-06-10")

    assert [s.shop_id for s in report.evaluation.skipped] == list(BAD)
    assert world.sent == [(shop, "threshold", (50,), None) for shop in (1, 3, 5, 7)]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [m.split(" for ")[0] for m in warned] == [
        f"skipping the budget of shop {s}" for s in BAD
    ]


def test_a_range_with_nothing_to_change_still_reports_its_bad_rows(world: World) -> None:
    _shops_with_bad_rows_between_changed_ones(world)
    world.check("2020-06-10")

    again = world.check("2020-06-11")

    assert [s.shop_id for s in again.evaluation.skipped] == list(BAD)
    assert again.evaluation.notifications == 0


def test_many_small_chunks_on_two_workers_rearm_resume_and_fire_once(world: World) -> None:
    for shop in range(1, 121):
        world.platform.add_shop(shop, online=shop % 7 != 0)
        world.platform.set_budget(shop, "2020-06", "100.00", f"{shop % 13 * 10}.00")
    chunked = world.with_settings(chunk_size=7, evaluation_workers=2)
    chunked.check("2020-06-10")
    for shop in range(1, 121, 3):  # raise some budgets: re-arm, resume those paused
        world.platform.set_budget_amount(shop, "2020-06", "1000.00")

    second = chunked.check("2020-06-11")
    third = chunked.check("2020-06-12")

    paused = {s for s in range(1, 121) if s % 7 and s % 13 * 10 >= 100}
    raised = set(range(1, 121, 3))
    assert second.evaluation.resumed == len(paused & raised)
    assert world.platform.paused_by_budgetguard() == paused - raised
    assert third.evaluation.notifications == 0, "nothing fires twice"
    for shop in raised:
        assert world.platform.fired(shop, "2020-06") == (), f"shop {shop} re-armed"


def test_chunks_run_at_once_are_taken_from_stripes_far_apart(engine: Engine) -> None:
    two, three = (
        ChunkPool(engine, workers=2, isolation=None),
        ChunkPool(engine, workers=3, isolation=None),
    )

    if engine.dialect.name == "sqlite":  # one writer: one connection, the chunks in key order
        assert two.spread(list(range(7))) == list(range(7))
    else:
        assert two.spread(list(range(10))) == [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]
        assert three.spread(list(range(7))) == [0, 3, 6, 1, 4, 2, 5]
        assert two.spread([]) == []
