"""Benchmark the console delivery of a first `check`: old (the worker's records) vs new (straight
from the outbox) vs the floor, on the same queued notifications.

For each database and size it builds N shops as benchmarks/evaluate.py does, evaluates them once
(queueing about two thirds of N notifications), then times, rounds times over, each from the same
outbox (delivery records deleted, notifications due again):

* floor: one SELECT of the queued notifications, one readable line each, printed to /dev/null;
* old: `deliver --once` as the worker alone does it (BUDGETGUARD_CONSOLE_PAGE_SIZE=0), or the
  code under --old-src (e.g. /work/wt-base/src, main), in a fresh process;
* new: `deliver --once` with the console's pass, in a fresh process.

Usage: python benchmarks/console.py [--backends sqlite,mariadb,postgresql] [--sizes 100000]
                                    [--rounds 2] [--old-src DIR] [--json]
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

sys.path.insert(0, str(Path(__file__).parent))
from budgetguard.bootstrap import build_context
from budgetguard.config import load_settings
from budgetguard.db.outbox.rows import to_notification
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.db.schema.tables import notifications
from budgetguard.domain.period import parse_instant
from budgetguard.notify.channels.console import as_line
from budgetguard.services.evaluation import evaluate_month
from evaluate import AT, build
from scratch import scratch_database

CHILD = """
import json, sys, time
from budgetguard.bootstrap import build_context, delivery_setup
from budgetguard.config import load_settings
from budgetguard.notify.channels.console import ConsoleChannel
from budgetguard.services.deliveries import deliver_due
context = build_context(load_settings(database_url=sys.argv[1]))
with open("/dev/null", "w") as devnull:
    started = time.perf_counter()
    report = deliver_due(context=context, delivery=delivery_setup(
        context, ConsoleChannel(devnull, json_lines=sys.argv[2] == "json")))
    print(json.dumps({"s": time.perf_counter() - started, "delivered": report.delivered}))
"""


def queue(url: str, n: int) -> int:
    """Build N shops and evaluate them once; return how many notifications were queued."""
    engine = make_engine(url, timeout=None)
    revisions.upgrade(engine)
    build(engine, n)
    engine.dispose()
    context = build_context(load_settings(database_url=url))
    report = evaluate_month(context=context, at=parse_instant(AT, context.settings.zone))
    context.close()
    return report.notifications


def undeliver(url: str) -> None:
    """Make every queued notification due again, with no delivery record."""
    engine = make_engine(url, timeout=None)
    with engine.begin() as c:
        c.execute(text("DELETE FROM bg_deliveries"))
        c.execute(text("UPDATE bg_notifications SET status = 'pending', "
                       "next_attempt_at = created_at"))  # fmt: skip
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE bg_notifications, bg_deliveries"))
    engine.dispose()


def floor(url: str) -> float:
    """One SELECT of the queued notifications, one readable line each to /dev/null."""
    engine = make_engine(url, timeout=None)
    n = notifications.c
    query = notifications.select().order_by(n.next_attempt_at, n.id)
    started = time.perf_counter()
    with engine.connect() as c, open("/dev/null", "w") as devnull:
        rows = c.execution_options(stream_results=True, yield_per=5000).execute(query)
        for part in rows.partitions():
            devnull.write("".join(as_line(to_notification(r)) + "\n" for r in part))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def deliver(url: str, *, src: str | None, page_size: int, mode: str) -> dict[str, float]:
    env = {**os.environ, "BUDGETGUARD_CONSOLE_PAGE_SIZE": str(page_size)}
    if src is not None:
        env["PYTHONPATH"] = src
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url, mode],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    return json.loads(child.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def measure(backend: str, url: str, n: int, args: argparse.Namespace) -> dict[str, object]:
    queued = queue(url, n)
    result: dict[str, object] = {"backend": backend, "shops": n, "notifications": queued}
    for i in range(1, args.rounds + 1):
        undeliver(url)
        result[f"floor_{i}"] = round(floor(url), 2)
        undeliver(url)
        old = deliver(url, src=args.old_src, page_size=0, mode=args.mode)
        undeliver(url)
        new = deliver(url, src=None, page_size=5000, mode=args.mode)
        if not old["delivered"] == new["delivered"] == queued:
            raise SystemExit(f"not everything was delivered: {old}, {new}, {queued} queued")
        result[f"old_{i}"], result[f"new_{i}"] = round(old["s"], 2), round(new["s"], 2)
        print(f"  {backend} {n:,} round {i}: floor {result[f'floor_{i}']} s, old "
              f"{result[f'old_{i}']} s, new {result[f'new_{i}']} s", file=sys.stderr)  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,mariadb,postgresql")
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--old-src", default=None)
    parser.add_argument("--mode", choices=["line", "json"], default="line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            for n in (int(s) for s in args.sizes.split(",")):
                with scratch_database(backend, Path(directory)) as url:
                    print(json.dumps(measure(backend, url, n, args)), flush=True)


if __name__ == "__main__":
    main()
