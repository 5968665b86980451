"""Benchmark what recording the spend history (bg_usage, bg_spend_days) costs an evaluation.

For each database and size it builds N shops with a budget for June 2020 (policies.py's spread:
budgets 50.00-500.00, spend 0-125 % of the budget, skewed low), then runs evaluations of the
month in this process (`evaluate_month`, as `check --no-delivery` does), with history recording
switched on and off by the benchmark-only flag `db/evaluation/history.RECORDING`:

* first: the first evaluation after an upgrade, off, then (everything budgetguard wrote deleted,
  ANALYZE) on: it writes every budget's usage row;
* no-change: two evaluations on (target: <= 2 s at 1M shops), one off;
* spend changed: every budget's spend raised by 0.01 (one UPDATE), then an evaluation, off and
  on alternately: twice on the same day (only bg_usage is updated), then on a new day (bg_usage
  updated and the previous day of each budget closed into bg_spend_days). "off" leaves bg_usage
  behind, so the next "on" finds every budget changed again. Target: "on" at most 30 % above
  "off".

Each evaluation's time is the wall time of `evaluate_month`. The servers are those of
evaluate.py (BUDGETGUARD_BENCH_MARIADB_URL, BUDGETGUARD_BENCH_POSTGRESQL_URL); each run gets a
scratch database, dropped afterwards.

Usage: python benchmarks/history.py [--backends sqlite,mariadb,postgresql] [--sizes 1000000]
           [--rounds 1]
Quick sanity (seconds): python benchmarks/history.py --sizes 2000 --backends sqlite
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).parent))
from budgetguard.bootstrap import build_context
from budgetguard.config import load_settings
from budgetguard.db.evaluation import history
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.services.evaluation import evaluate_month
from budgetguard.services.uow import Context
from evaluate import EVALUATIONS_ROWS, analyse, build
from policies import BUDGET, SPENT
from scratch import DEFAULT_SERVERS, run_each

AT = datetime.fromisoformat("2020-06-20T12:00:00+00:00")
MONTH = "2020-06-01"
HISTORY_ROWS = ("bg_usage", "bg_spend_days")
TARGET_NO_CHANGE_S, TARGET_EXTRA, TARGET_SHOPS = 2.0, 0.30, 1_000_000


def evaluated(context: Context, at: datetime, *, recording: bool) -> float:
    """Seconds one evaluation of the month took, with history recording on or off."""
    history.RECORDING = recording
    try:
        started = time.perf_counter()
        report = evaluate_month(context=context, at=at)
        seconds = round(time.perf_counter() - started, 2)
    finally:
        history.RECORDING = True
    print(
        f"    {'on ' if recording else 'off'} at {at:%d %H:%M}: {seconds:.2f} s, "
        f"{report.notifications:,} notifications, {report.recorded:,} usage rows written",
        flush=True,
    )
    return seconds


def forget(engine: Engine) -> None:
    """Delete everything budgetguard wrote (shops back online as built), then analyse."""
    with engine.begin() as c:
        for table in (*EVALUATIONS_ROWS, *HISTORY_ROWS):
            c.execute(text(f"DELETE FROM {table}"))
        c.execute(text("UPDATE t_shops SET a_online = (a_id % 10 <> 0)"))
    analyse(engine)


def spend_more(engine: Engine) -> float:
    """Raise every budget's spend by 0.01, as the platform's updater would; return seconds."""
    started = time.perf_counter()
    with engine.begin() as c:
        c.execute(
            text(
                "UPDATE t_budgets SET a_amount_spent = a_amount_spent + 0.01 "
                f"WHERE a_month = '{MONTH}'"
            )
        )
    return round(time.perf_counter() - started, 2)


def history_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {
            t: int(c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in HISTORY_ROWS
        }


def one_round(engine: Engine, context: Context, minute: int) -> dict[str, Any]:
    """The runs of one round (module docstring), at instants from AT + `minute` minutes."""
    clock = iter(AT + timedelta(minutes=minute + m) for m in range(100))
    run: dict[str, Any] = {"first_off": evaluated(context, next(clock), recording=False)}
    forget(engine)
    run["first_on"] = evaluated(context, next(clock), recording=True)
    run["rows_after_first"] = history_rows(engine)
    run["no_change_on"] = [evaluated(context, next(clock), recording=True) for _ in range(2)]
    run["no_change_off"] = evaluated(context, next(clock), recording=False)
    changed: list[dict[str, Any]] = []
    for day in (0, 0, 1):
        pair: dict[str, Any] = {"new_day": bool(day)}
        for recording in (False, True):
            pair["update_s"] = spend_more(engine)
            at = next(clock) + timedelta(days=day)
            pair["on" if recording else "off"] = evaluated(context, at, recording=recording)
        changed.append(pair)
    run["changed"] = changed
    run["rows_after"] = history_rows(engine)
    forget(engine)
    return run


def measure(backend: str, url: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(url, timeout=None)  # building data: no bound on a statement
    context = build_context(load_settings(database_url=url))
    try:
        revisions.upgrade(engine)
        started = time.perf_counter()
        build(engine, n, month=MONTH, budget=BUDGET, spent=SPENT)
        analyse(engine)
        result: dict[str, Any] = {"backend": backend, "shops": n}
        result["build_s"] = round(time.perf_counter() - started, 2)
        result["runs"] = [one_round(engine, context, 1000 * r) for r in range(args.rounds)]
        return result
    finally:
        context.close()
        engine.dispose()


def mark(value: float, limit: float, *, applies: bool) -> str:
    shown = f"{value:.2f}"
    return f"{shown} {'ok' if value <= limit else 'OVER'}" if applies else shown


def report(r: dict[str, Any]) -> list[str]:
    """The table's rows of one database and size: one per spend-changed pair of each round."""
    at_size = r["shops"] >= TARGET_SHOPS
    lines = []
    for number, run in enumerate(r["runs"], start=1):
        no_change = ", ".join(
            mark(s, TARGET_NO_CHANGE_S, applies=at_size) for s in run["no_change_on"]
        )
        first = f"{run['first_off']:.2f} / {run['first_on']:.2f}"
        for pair in run["changed"]:
            extra = pair["on"] / max(pair["off"], 0.01) - 1
            lines.append(
                f"| {r['backend']} | {r['shops']:,} | {number} | {first} "
                f"| {run['no_change_off']:.2f} | {no_change} "
                f"| {'new' if pair['new_day'] else 'same'} | {pair['off']:.2f} "
                f"| {pair['on']:.2f} | {extra * 100:+.0f} % "
                f"{'ok' if extra <= TARGET_EXTRA else 'OVER'} |"
            )
    return lines


HEADER = (
    "| database | shops | round | first evaluation off / on (s) | no-change, off (s) "
    "| no-change, on (s; target <= 2 at 1M) | day | spend changed, off (s) "
    "| spend changed, on (s) | extra (target <= 30 %) |\n"
    "|---|---:|---:|---:|---:|---|---|---:|---:|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--backends", "--backend", default="sqlite,mariadb,postgresql")
    parser.add_argument("--sizes", default="1000000", help="numbers of shops, comma-separated")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(f"servers: {DEFAULT_SERVERS}; load average {os.getloadavg()}", flush=True)
    sizes = [int(size) for size in args.sizes.split(",")]
    run_each(
        args.backends.split(","),
        sizes,
        lambda backend, url, n: measure(backend, url, n, args),
        report,
        header=HEADER,
    )


if __name__ == "__main__":
    main()
