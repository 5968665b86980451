"""Benchmark budgetguard's evaluation of N shops against its floors and a naive per-shop loop.

For each database and size it builds N shops (about two thirds past 50 %, one third past 100 %,
one in ten offline), then times, each on the same starting data:

* the evaluation floor: one INSERT ... SELECT of the crossings and one UPDATE of the shops;
* the first-check floor: the evaluation floor, then one line printed (to /dev/null) per
  notification, fetched from the database (floors.py);
* for each source tree (`--src`, default this one's): `budgetguard check` in a fresh process
  (evaluation, then console delivery to /dev/null; its own timings and peak RSS), then a second,
  no-change `check`. "Evaluation" is the evaluation alone, from the check's own clock;
* at --naive-size shops (100,000), the naive per-shop loop, which prints its notifications too,
  against the first `check` (delivery counted on both sides).

Give `--src /work/wt-base/src --src src` to measure the old and the new tree one after the
other on the same data (each run in a fresh process with PYTHONPATH set to the tree).

Usage: python benchmarks/evaluate.py [--backends sqlite,mariadb,postgresql]
           [--sizes 200000,1000000] [--naive-size 100000] [--src DIR ...] [--rounds 1]
           [--deliver-upto N]  (sizes above N: the evaluation alone, no console delivery)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).parent))
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from floors import MONTH, evaluation_floor, naive, print_notifications
from scratch import DEFAULT_SERVERS, scratch_database

AT = "2020-06-30"
HERE = Path(__file__).parent
OWN_SRC = str(HERE.parent / "src")


def digits_upto(n: int) -> str:
    """SQL for the numbers 1..n, from a ten-row table joined with itself (portable)."""
    ten = " UNION ALL ".join(f"SELECT {d} AS d" for d in range(10))
    places = max(1, len(str(n - 1)))
    joins = ", ".join(f"({ten}) p{i}" for i in range(places))
    number = " + ".join(f"p{i}.d * {10**i}" for i in range(places))
    return f"SELECT {number} + 1 AS n FROM {joins} WHERE {number} + 1 <= {n}"


ONLINE = "(n % 10 <> 0)"
"""One shop in ten offline (someone else's doing); `reset` puts them back so."""

SPENT = "(((n % 1500) * 7919) % 1500) / 10.0"
"""Spend 0-149.9 of a budget of 100.00, pseudo-random: (n * 7919) mod 1500, without overflow."""


def build(
    engine: Engine, n: int, *, month: str = MONTH, budget: str = "100.00", spent: str = SPENT
) -> None:
    """Create N shops and their budgets for `month`, set-based; `budget` and `spent` are SQL
    expressions of the shop id `n` (default: 100.00 each, spend pseudo-randomly 0-150 %).

    Rows are written in shop order, as a monthly job that opens every shop's budget would.
    """
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO t_shops (a_id, a_name, a_online) "
                f"SELECT n, 'Shop', {ONLINE} FROM ({digits_upto(n)}) s ORDER BY n"
            )
        )
    add_budgets(engine, n, month=month, budget=budget, spent=spent)


def add_budgets(engine: Engine, n: int, *, month: str, budget: str, spent: str) -> None:
    """Give shops 1..N a budget row for `month` (`budget`, `spent`: SQL expressions of `n`)."""
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO t_budgets (a_shop_id, a_month, a_budget_amount, a_amount_spent) "
            f"SELECT n, '{month}', {budget}, {spent} FROM ({digits_upto(n)}) s ORDER BY n"
        ))  # fmt: skip


def analyse(engine: Engine) -> None:
    """Refresh planner statistics (and PostgreSQL's visibility map), as a live database has them."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    elif engine.dialect.name == "mysql":
        with engine.connect() as c:
            c.execute(text("ANALYZE TABLE t_shops, t_budgets, bg_policies"))
    else:
        with engine.begin() as c:
            c.execute(text("ANALYZE"))


EVALUATIONS_ROWS = (
    "bg_deliveries", "bg_notifications", "bg_alerts", "bg_pauses", "bg_forecasts", "bg_evaluations"
)  # fmt: skip
"""budgetguard's tables that evaluations fill."""


def reset(engine: Engine) -> None:
    """Forget everything budgetguard did (shops back online as built), then analyse: each run
    starts as the first evaluation after an upgrade does."""
    with engine.begin() as c:
        for table in EVALUATIONS_ROWS:
            c.execute(text(f"DELETE FROM {table}"))
        c.execute(text("UPDATE t_shops SET a_online = (a_id % 10 <> 0)"))
    analyse(engine)


def budgetguard_check(
    url: str, src: str, *, deliver: bool, at: str = AT, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Run `check --at AT` in a fresh process on the tree `src` (with `env` added to its
    environment); return its own timings and peak RSS."""
    flags = [] if deliver else ["--no-delivery"]
    child = subprocess.run(
        [sys.executable, str(HERE / "check_child.py"), url, at, *flags],
        capture_output=True, text=True, check=False,
        env=os.environ | (env or {}) | {"PYTHONPATH": src},
    )  # fmt: skip
    if child.returncode != 0:
        raise RuntimeError(f"check ({src}) failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def floors(engine: Engine) -> dict[str, object]:
    with open(os.devnull, "w") as devnull:
        floor_s = evaluation_floor(engine)
        printed_s, lines = print_notifications(engine, devnull)
    reset(engine)
    return {"floor_s": round(floor_s, 2), "print_s": round(printed_s, 2), "lines": lines}


def checks(
    engine: Engine, url: str, args: argparse.Namespace, *, deliver: bool
) -> list[dict[str, object]]:
    runs: list[dict[str, object]] = []
    for round_ in range(1, args.rounds + 1):
        for src in args.src:
            first = budgetguard_check(url, src, deliver=deliver)
            again = budgetguard_check(url, src, deliver=deliver)
            reset(engine)
            runs.append({"src": src, "round": round_, "first": first, "again": again})
    return runs


def measure(backend: str, url: str, n: int, args: argparse.Namespace) -> dict[str, object]:
    engine = make_engine(url, timeout=None)  # building data: no bound on a statement
    revisions.upgrade(engine)
    started = time.perf_counter()
    build(engine, n)
    analyse(engine)
    result: dict[str, object] = {"backend": backend, "shops": n}
    result["build_s"] = round(time.perf_counter() - started, 2)
    result.update(floors(engine))
    result["runs"] = checks(engine, url, args, deliver=n <= args.deliver_upto)
    if n == args.naive_size:
        with open(os.devnull, "w") as devnull:
            result["naive_s"] = round(naive(engine, devnull), 2)
    engine.dispose()
    return result


def report(r: dict[str, object]) -> list[str]:
    floor_s, print_s = float(r["floor_s"]), float(r["print_s"])  # type: ignore[arg-type]
    first_floor = floor_s + print_s
    lines = [
        f"{r['backend']:<10} {r['shops']:>9,}  evaluation floor {floor_s:.2f} s; first-check "
        f"floor {first_floor:.2f} s (+ {r['lines']:,} lines printed in {print_s:.2f} s)"
    ]
    for run in r["runs"]:  # type: ignore[attr-defined]
        first, again = run["first"], run["again"]
        line = (
            f"    {run['src']} (round {run['round']}): evaluation {first['evaluate_s']:.2f} s "
            f"= {first['evaluate_s'] / floor_s:.1f}x floor; "
        )
        if first["delivered"]:
            line += (
                f"first check {first['total_s']:.2f} s = {first['total_s'] / first_floor:.1f}x "
                f"first-check floor (delivery {first['deliver_s']:.2f} s, "
                f"{first['delivered']:,} delivered); "
            )
        line += f"no-change {again['total_s']:.2f} s; peak {first['max_rss_mb']} MB"
        if "naive_s" in r:
            naive_s = float(r["naive_s"])  # type: ignore[arg-type]
            line += f"; naive {naive_s:.2f} s = {naive_s / first['total_s']:.0f}x the first check"
        lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,mariadb,postgresql")
    parser.add_argument("--sizes", default="200000,1000000")
    parser.add_argument("--naive-size", type=int, default=100_000, help="0: no naive run")
    parser.add_argument("--src", action="append", help="source tree(s) to run `check` from")
    parser.add_argument(
        "--deliver-upto", type=int, default=10**9, help="larger sizes: the evaluation alone"
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of every --src, alternated")
    args = parser.parse_args()
    args.src = [str(Path(s).resolve()) for s in args.src or [OWN_SRC]]
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.naive_size and args.naive_size not in sizes:
        sizes.insert(0, args.naive_size)
    print(f"servers: {DEFAULT_SERVERS}; load average {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            for n in sizes:
                with scratch_database(backend, Path(directory)) as url:
                    result = measure(backend, url, n, args)
                print("\n".join(report(result)), flush=True)
                print("  " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
