"""What a request's evaluation of one budget costs, with its statements built once per process
(as budgetguard does) and built anew for each request.

A request that changes a budget (a spend event, a budget or shop PUT) evaluates it in its own
transaction; usually nothing changes, so it runs the two reads of the chunk unit (findings, and
claims set online). This times those reads for one budget, N times, on each database:

* built once: `evaluation_sql(policy, dialect)` is cached, so each request only executes;
* built per request: a fresh `EvaluationSql` each time, as a scope whose bounds were literals
  would need (its statements are then built, their cache keys computed, before executing).

Usage: python benchmarks/request_evaluation.py [--backends sqlite,mariadb,postgresql] [--n 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Connection

sys.path.insert(0, str(Path(__file__).parent))
from budgetguard.config import Settings
from budgetguard.db.catalog.policies import ensure_bits
from budgetguard.db.evaluation.chunk import evaluate_chunk, needs_work
from budgetguard.db.evaluation.predicates import Universe
from budgetguard.db.evaluation.scope import ChunkScope, Stamp
from budgetguard.db.evaluation.shop_terms import ShopTerms, mask_params, pass_params
from budgetguard.db.evaluation.statements import EvaluationSql, evaluation_sql
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.db.schema.sample import seed_sample
from budgetguard.domain.shop_clock import month_passes
from scratch import scratch_database

DEFAULTS = Settings().policy_defaults
JULY = date(2020, 7, 1)
NOW = datetime(2020, 7, 1, tzinfo=UTC)


def per_call(
    connection: Connection, make: Callable[[], EvaluationSql], n: int, terms: dict[str, object]
) -> float:
    """Microseconds per evaluation of shop 5's budget (which needs no work)."""
    scope = ChunkScope(JULY, 4, 5, terms=terms)
    started = time.perf_counter()
    for _ in range(n):
        with connection.begin():
            if needs_work(connection, make(), scope, []):
                raise AssertionError("the sample's shop 5 needs no work after its evaluation")
    return (time.perf_counter() - started) / n * 1e6


def measure(url: str, n: int) -> tuple[float, float]:
    engine = make_engine(url)
    revisions.upgrade(engine)
    dialect = engine.dialect.name
    (july,) = month_passes(NOW, DEFAULTS.timezone, [])
    with engine.begin() as connection:
        seed_sample(connection)
        bits = ensure_bits(connection, DEFAULTS.thresholds, settings=DEFAULTS.thresholds)
        universe: Universe = tuple(sorted(bits.items()))
        terms = pass_params(july, DEFAULTS) | mask_params(DEFAULTS, bits)
        sql = evaluation_sql(universe, dialect, narrowed=False)
        # Fire what the sample crosses in July, first.
        scope = ChunkScope(JULY, None, None, terms=terms)
        evaluate_chunk(connection, sql, scope, Stamp(1, NOW, NOW))
    with engine.connect() as connection:
        once = lambda: evaluation_sql(universe, dialect, narrowed=False)  # noqa: E731
        fresh = lambda: EvaluationSql(  # noqa: E731
            universe, dialect, narrowed=False, terms=ShopTerms(0, every_zone=True)
        )
        per_call(connection, once, 50, terms)  # warm up both paths
        per_call(connection, fresh, 50, terms)
        cached = per_call(connection, once, n, terms)
        rebuilt = per_call(connection, fresh, n, terms)
    engine.dispose()
    return cached, rebuilt


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,mariadb,postgresql")
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'database':<11} {'built once':>12} {'built per request':>19} {'difference':>12}")
    sys.stdout.flush()
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            with scratch_database(backend, Path(directory)) as url:
                cached, rebuilt = measure(url, args.n)
            print(
                f"{backend:<11} {cached:9.0f} µs {rebuilt:16.0f} µs {rebuilt - cached:9.0f} µs",
                flush=True,
            )


if __name__ == "__main__":
    main()
