"""Benchmark the overview's counts and the Deliveries page's read on N shops, and print the
plans of their statements (EXPLAIN) on PostgreSQL and MariaDB.

For each database and size it builds N shops as benchmarks/evaluate.py does (one in ten offline,
spend 0-150 % of 100.00), evaluates them once (thresholds fired, about a third paused,
notifications queued), (which records each budget's usage in bg_usage),
and makes one delivery record per notification, a third each failed, dead and delivered. Then:

* `overview`: `month_overview` (every count of the overview, uncached), `--rounds` times;
* `deliveries`: the Deliveries page's first page of failed and dead records, and its page from
  the middle of the ids (keyset), `--rounds` times each.

The page itself serves the overview from its cache (services/overview_cache.py): this is what
one computation costs, paid at most once per month every BUDGETGUARD_OVERVIEW_CACHE_SECONDS.

Usage: python benchmarks/overview.py [--backends sqlite,mariadb,postgresql] [--sizes 300000]
                                     [--rounds 5] [--explain] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).parent))
from budgetguard.config import load_settings
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.domain.delivery import Status
from budgetguard.domain.period import Month, parse_instant
from budgetguard.services.delivery_page import troubled_deliveries
from budgetguard.services.evaluation import evaluate_month
from budgetguard.services.overview import month_overview
from budgetguard.services.uow import Context
from evaluate import AT, analyse, build
from scratch import scratch_database

JUNE = Month(2020, 6)  # the month of AT
STATEMENTS = {
    "shops": "SELECT COUNT(*), SUM(CASE WHEN s.a_online = {false} AND p.shop_id IS NULL "
    "THEN 1 ELSE 0 END) FROM t_shops s LEFT OUTER JOIN bg_pauses p ON p.shop_id = s.a_id",
    "budgets": "SELECT COUNT(*) FROM t_budgets WHERE a_month = '2020-06-01'",
    "past": "SELECT threshold, COUNT(*) FROM bg_alerts WHERE month = '2020-06-01' "
    "GROUP BY threshold",
    "histogram": "SELECT usage_bp {div} 1000 AS tenth, COUNT(*) FROM bg_usage "
    "WHERE month = '2020-06-01' GROUP BY usage_bp {div} 1000",
    "dead": "SELECT COUNT(*) FROM bg_deliveries WHERE status = 'dead'",
    "waiting": "SELECT COUNT(*) FROM bg_notifications WHERE next_attempt_at IS NOT NULL",
    "dead page": "SELECT * FROM bg_deliveries d "
    "LEFT OUTER JOIN bg_contacts c ON c.id = d.contact_id "
    "WHERE d.status = 'dead' AND d.id < {middle} ORDER BY d.id DESC LIMIT 51",
}


def prepare(engine: Engine, n: int) -> None:
    """N shops evaluated once (which records their usage), a delivery record per notification."""
    build(engine, n, month="2020-06-01")
    settings = load_settings(database_url=engine.url.render_as_string(hide_password=False))
    evaluate_month(context=Context(settings, engine), at=parse_instant(AT, settings.zone))
    # The evaluation recorded every budget's usage (bg_usage) itself: db/evaluation/history.py.
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO bg_deliveries (notification_id, recipient, channel, shop_id, status, "
            "attempts, next_attempt_at, last_error, created_at) "
            "SELECT id, 'console', 'console', shop_id, CASE id % 3 WHEN 0 THEN 'failed' "
            "WHEN 1 THEN 'dead' ELSE 'delivered' END, 3, NULL, 'HTTP 500', created_at "
            "FROM bg_notifications"
        ))  # fmt: skip
    analyse(engine)
    if engine.dialect.name == "mysql":
        with engine.connect() as c:
            c.execute(text("ANALYZE TABLE bg_usage, bg_alerts, bg_deliveries, bg_pauses"))


def _dialect(sql: str, engine: Engine) -> str:
    mysql = engine.dialect.name == "mysql"
    return sql.format(
        int="SIGNED" if mysql else "BIGINT",
        div="DIV" if mysql else "/",
        false="0" if engine.dialect.name != "postgresql" else "false",
        middle="{middle}",
    )


def timed(work: Any, rounds: int) -> dict[str, float]:
    spent = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        spent.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(spent), 1), "max_ms": round(max(spent), 1)}


def explain(engine: Engine, middle: int) -> None:
    prefix = "EXPLAIN ANALYZE" if engine.dialect.name == "postgresql" else "EXPLAIN"
    with engine.connect() as c:
        for name, sql in STATEMENTS.items():
            statement = _dialect(sql, engine).format(middle=middle)
            print(f"--- {engine.dialect.name}: {name}")
            for row in c.execute(text(f"{prefix} {statement}")):
                print("   ", " | ".join(str(v) for v in row))


def measure(backend: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as directory,
        scratch_database(backend, Path(directory)) as url,
    ):
        engine = make_engine(url, timeout=None)
        revisions.upgrade(engine)
        prepare(engine, n)
        context = Context(load_settings(database_url=url), engine)
        with engine.connect() as c:
            middle = int(c.execute(text("SELECT MAX(id) FROM bg_deliveries")).scalar_one()) // 2
        figures = {
            "overview": timed(lambda: month_overview(context=context, month=JUNE), args.rounds),
            "deliveries first page": timed(lambda: troubled_deliveries(
                context=context, status=None, before_id=None, limit=50), args.rounds),
            "deliveries middle page (dead)": timed(lambda: troubled_deliveries(
                context=context, status=Status.DEAD, before_id=middle, limit=50), args.rounds),
        }  # fmt: skip
        if args.explain and backend != "sqlite":
            explain(engine, middle)
        engine.dispose()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,mariadb,postgresql")
    parser.add_argument("--sizes", default="300000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {
        f"{backend} {n}": measure(backend, n, args)
        for backend in args.backends.split(",")
        for n in (int(s) for s in args.sizes.split(","))
    }
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for key, figures in results.items():
        for what, spent in figures.items():
            median, most = spent["median_ms"], spent["max_ms"]
            print(f"{key:>20}  {what:<32} median {median:>8} ms  max {most:>8} ms")


if __name__ == "__main__":
    main()
