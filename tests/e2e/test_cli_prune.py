"""`budgetguard db prune` as an operator runs it: the sample months, years old, are pruned."""

from __future__ import annotations

from support.cli import cli_env, invoke
from support.legacy import JULY_1, JUNE_30


def _sample_story(env: dict[str, str]) -> None:
    for args in (("db", "upgrade"), ("db", "seed-sample"), ("check", "--at", "2020-06-30"),
                 ("check", "--at", "2020-07-01")):  # fmt: skip
        ran = invoke(*args, env=env)
        assert ran.code == 0, ran.err


def test_prune_says_what_it_removed_per_table_and_a_dry_run_removes_nothing(db_url: str) -> None:
    env = cli_env(db_url)
    _sample_story(env)
    alerts = sum(len(thresholds) for _, kind, thresholds, _ in JUNE_30 + JULY_1
                 if kind == "threshold")  # fmt: skip

    dry = invoke("db", "prune", "--dry-run", env=env)
    real = invoke("db", "prune", env=env)
    again = invoke("db", "prune", env=env)

    assert dry.code == real.code == again.code == 0, dry.err + real.err + again.err
    assert f"bg_alerts: would remove {alerts} (of months before " in dry.out
    assert f"bg_alerts: removed {alerts} (of months before " in real.out
    assert "bg_alerts: removed 0 " in again.out
    assert "bg_deliveries: removed 0 (delivered before " in real.out, "delivered just now"
    assert "bg_forecasts: removed 0 (of months before " in real.out, "the sample has none"
    # The sample's 8 shops have a budget in June and in July: a usage row each, whose day holds
    # the only spend recorded (no change came on a later day to close it into bg_spend_days).
    assert "bg_spend_days: removed 0 (of days before " in real.out
    assert "bg_usage: removed 16 (of months before " in real.out
    assert len(real.out.splitlines()) == 8


def test_a_pruned_month_is_refused_with_one_line(db_url: str) -> None:
    env = cli_env(db_url)
    _sample_story(env)
    assert invoke("db", "prune", env=env).code == 0

    again = invoke("check", "--at", "2020-06-30", env=env)

    assert again.code == 1
    assert again.err.startswith("budgetguard: error: the alerts of months before ")
    assert "evaluating 2020-06 again would notify its crossings a second time" in again.err
    assert len(again.err.splitlines()) == 1


def test_bad_prune_options_are_usage_errors(db_url: str) -> None:
    env = cli_env(db_url)
    assert invoke("db", "prune", "--older-than", "0", env=env).code == 2
    assert invoke("db", "prune", env=cli_env(db_url, retain_alerts_days="-1")).code == 2
    bad = invoke("db", "prune", env=cli_env(db_url, prune_batch_size="many"))
    assert bad.code == 2
    assert "BUDGETGUARD_PRUNE_BATCH_SIZE" in bad.err
