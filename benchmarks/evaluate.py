"""Benchmark one evaluation of N shops against the bare SQL floor and a naive per-shop loop.

For each database and size it builds N shops (about two thirds past 50 %, one third past 100 %,
one in ten offline), then times, each on the same starting data:

* floor: one INSERT ... SELECT of the crossings and one UPDATE of the shops, in one transaction;
* first: `budgetguard check` (evaluation, then console delivery to /dev/null), in a fresh process
  so that its peak memory (max RSS) is its own;
* again: a second `check` with nothing changed;
* naive: one SELECT, then one transaction per shop for that shop's writes (up to --naive-max).

Usage: python benchmarks/evaluate.py [--backends sqlite,mariadb,postgresql]
                                     [--sizes 10000,100000,1000000] [--naive-max 100000]
"""

from __future__ import annotations

import argparse
import json
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
from scratch import DEFAULT_SERVERS, scratch_database

MONTH = "2020-06-01"
AT = "2020-06-30"
NOW = "2020-06-30 12:00:00"


def digits_upto(n: int) -> str:
    """SQL for the numbers 1..n, from a ten-row table joined with itself (portable)."""
    ten = " UNION ALL ".join(f"SELECT {d} AS d" for d in range(10))
    places = max(1, len(str(n - 1)))
    joins = ", ".join(f"({ten}) p{i}" for i in range(places))
    number = " + ".join(f"p{i}.d * {10**i}" for i in range(places))
    return f"SELECT {number} + 1 AS n FROM {joins} WHERE {number} + 1 <= {n}"


def build(engine: Engine, n: int) -> None:
    """Create N shops and their June budgets, set-based; spend runs pseudo-randomly 0-150 %.

    Rows are written in shop order, as a monthly job that opens every shop's budget would.
    """
    online = "(n % 10 <> 0)"
    spent = "(((n % 1500) * 7919) % 1500) / 10.0"  # (n * 7919) mod 1500, without overflow
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO t_shops (a_id, a_name, a_online) "
                f"SELECT n, 'Shop', {online} FROM ({digits_upto(n)}) s ORDER BY n"
            )
        )
        c.execute(text(
            "INSERT INTO t_budgets (a_shop_id, a_month, a_budget_amount, a_amount_spent) "
            f"SELECT n, '{MONTH}', 100.00, {spent} FROM ({digits_upto(n)}) s ORDER BY n"
        ))  # fmt: skip
    analyse(engine)


def analyse(engine: Engine) -> None:
    """Refresh planner statistics (and PostgreSQL's visibility map), as a live database has them."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    elif engine.dialect.name == "mysql":
        with engine.connect() as c:
            c.execute(text("ANALYZE TABLE t_shops, t_budgets"))
    else:
        with engine.begin() as c:
            c.execute(text("ANALYZE"))


def reset(engine: Engine) -> None:
    """Forget everything budgetguard did; shops back online as built."""
    with engine.begin() as c:
        for table in ("bg_notifications", "bg_alerts", "bg_pauses", "bg_evaluations"):
            c.execute(text(f"DELETE FROM {table}"))
        c.execute(text("UPDATE t_shops SET a_online = (a_id % 10 <> 0)"))


def floor(engine: Engine) -> float:
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


def naive(engine: Engine) -> float:
    """The per-shop baseline: one SELECT, then one transaction of writes per shop that needs it."""
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
                c.execute(
                    text(
                        "INSERT INTO bg_notifications (evaluation_id, kind, shop_id, shop_name, "
                        "month, budget, spent, thresholds, action, evaluated_on, created_at, "
                        "status, attempts, next_attempt_at) "
                        "VALUES (0, 'threshold', :shop, :name, :month, "
                        ":budget, :spent, :ts, :action, :month, :now, 'pending', 0, :now)"
                    ),
                    {"shop": shop, "name": name, "month": MONTH, "budget": budget, "spent": spent,
                     "ts": ",".join(map(str, crossed)), "action": "paused" if pause else None,
                     "now": NOW},
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
                    c.execute(
                        text("UPDATE t_shops SET a_online = (1 = 0) WHERE a_id = :shop"),
                        {"shop": shop},
                    )
                    c.execute(
                        text(
                            "INSERT INTO bg_pauses (shop_id, month, paused_at, evaluation_id) "
                            "VALUES (:shop, :month, :now, 0)"
                        ),
                        {"shop": shop, "month": MONTH, "now": NOW},
                    )
    return time.perf_counter() - started


def budgetguard_check(url: str) -> dict[str, float]:
    """Run `check` in a fresh process; return its own timings and peak RSS."""
    child = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "check_child.py"), url, AT],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(child.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def measure(backend: str, url: str, n: int, naive_max: int) -> dict[str, object]:
    engine = make_engine(url, timeout=None)  # building data: no bound on a statement
    revisions.upgrade(engine)
    started = time.perf_counter()
    build(engine, n)
    built = time.perf_counter() - started
    result: dict[str, object] = {"backend": backend, "shops": n, "build_s": round(built, 2)}
    result["floor_s"] = round(floor(engine), 2)
    reset(engine)
    first = budgetguard_check(url)
    again = budgetguard_check(url)
    result.update({f"first_{k}": v for k, v in first.items()})
    result.update({f"again_{k}": v for k, v in again.items()})
    if n <= naive_max:
        reset(engine)
        result["naive_s"] = round(naive(engine), 2)
    engine.dispose()
    return result


def report(r: dict[str, object]) -> str:
    first, floor_s = float(r["first_total_s"]), float(r["floor_s"])  # type: ignore[arg-type]
    line = (
        f"{r['backend']:<10} {r['shops']:>9,}  floor {floor_s:7.2f} s  "
        f"first {first:7.2f} s (eval {r['first_evaluate_s']} s + delivery {r['first_deliver_s']} s,"
        f" {first / floor_s:4.1f}x floor, {r['first_notifications']} notifications, "
        f"peak {r['first_max_rss_mb']} MB)  no-change {r['again_total_s']} s"
    )
    if "naive_s" in r:
        naive_s = float(r["naive_s"])  # type: ignore[arg-type]
        line += f"  naive {naive_s:.2f} s ({naive_s / first:.0f}x slower)"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,mariadb,postgresql")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--naive-max", type=int, default=100_000)
    args = parser.parse_args()
    print(f"servers: {DEFAULT_SERVERS}", flush=True)
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            for n in (int(size) for size in args.sizes.split(",")):
                with scratch_database(backend, Path(directory)) as url:
                    result = measure(backend, url, n, args.naive_max)
                print(report(result), flush=True)
                print("  " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
