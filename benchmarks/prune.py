"""Benchmark `db prune`: N old spend events removed while `serve` answers single spend events.

For each database it builds SHOPS shops with a budget for the current month, fills
bg_spend_events with N events received long ago (set-based: one INSERT … SELECT over a generated
series), starts `budgetguard serve` in its own process, and measures POST /v1/spend at a steady
RATE (an open loop, as benchmarks/api.py: latency counts from each request's scheduled start):

* before: for SECONDS, with nothing else running;
* during: while `budgetguard db prune` runs in a process of its own, until it exits.

It prints the prune's rows, time and rate, and the spend requests' p50/p99 before and during.
`serve` keeps spend events forever in this run (BUDGETGUARD_RETAIN_SPEND_EVENTS_DAYS=0), so the
prune measured is the command's alone.

Usage: python benchmarks/prune.py [--backends mariadb,postgresql,sqlite] [--events 1000000]
       [--rate 100] [--seconds 10] [--connections 16] [--shops 200] [--batch-size 5000]
       [--pause 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from api import build, environment, offer, serve
from budgetguard.db.plumbing.engine import make_engine
from scratch import scratch_database

OLD = "2020-01-01 00:00:00"
# N rows from one statement: a generated series on each database.
SERIES = {
    "mysql": "SELECT seq AS n FROM seq_1_to_{events}",
    "postgresql": "SELECT n FROM generate_series(1, {events}) AS n",
    "sqlite": (
        "WITH RECURSIVE series(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM series "
        "WHERE n < {events}) SELECT n FROM series"
    ),
}


@dataclass
class Latency:
    requests: int
    p50_ms: float
    p99_ms: float
    errors: int


def fill(url: str, events: int, shops: int) -> float:
    """Insert `events` spend events received on OLD, in one statement; return the seconds."""
    engine = make_engine(url, timeout=None)  # building data: no bound on a statement
    dialect = engine.dialect.name
    old = f"TIMESTAMP '{OLD}+00'" if dialect == "postgresql" else f"'{OLD}'"
    event_id = "CONCAT('old-', n)" if dialect == "mysql" else "'old-' || n"
    statement = (
        "INSERT INTO bg_spend_events (event_id, shop_id, month, amount, occurred_at, "
        f"received_at, source) SELECT {event_id}, n % {shops} + 1, '2020-01-01', 1.00, "
        f"{old}, {old}, 'bench' FROM ({SERIES[dialect].format(events=events)}) AS series"
    )
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text(statement))
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE bg_spend_events"))
    engine.dispose()
    return time.perf_counter() - started


async def load(
    port: int,
    *,
    rate: float,
    connections: int,
    shops: int,
    phase: str,
    until: Callable[[], bool],
) -> Latency:
    """POST single events at `rate` until `until()` is true; the latencies of those requests."""
    shape = {"rate": rate, "connections": connections, "shops": shops, "phase": phase}
    got = await offer(port, **shape, more=lambda _index: not until())
    return Latency(
        requests=len(got.latencies), p50_ms=got.ms(0.5), p99_ms=got.ms(0.99), errors=got.errors
    )


def prune_under_load(
    url: str, port: int, args: argparse.Namespace
) -> tuple[float, str, Latency, Latency]:
    """The latency before, then during a `db prune`; the prune's seconds and summary."""
    shape = {"rate": args.rate, "connections": args.connections, "shops": args.shops}
    deadline = time.monotonic() + args.seconds
    before = asyncio.run(load(port, phase="before", until=lambda: time.monotonic() > deadline,
                              **shape))  # fmt: skip
    env = environment(url, prune_batch_size=str(args.batch_size), prune_pause=str(args.pause))
    started = time.perf_counter()
    pruning = subprocess.Popen(
        [sys.executable, "-m", "budgetguard", "db", "prune"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    during = asyncio.run(load(port, phase="during", until=lambda: pruning.poll() is not None,
                              **shape))  # fmt: skip
    seconds = time.perf_counter() - started
    out, err = pruning.communicate()
    if pruning.returncode != 0:
        raise SystemExit(f"db prune failed: {err.decode()[-2000:]}")
    return seconds, out.decode(), before, during


def measure(backend: str, args: argparse.Namespace, workdir: Path) -> None:
    with scratch_database(backend, workdir) as url:
        build(url, args.shops)
        filled = fill(url, args.events, args.shops)
        process, port = serve(url, workdir, retain_spend_events_days="0")
        try:
            seconds, summary, before, during = prune_under_load(url, port, args)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(120)
    removed = next(line for line in summary.splitlines() if line.startswith("bg_spend_events"))
    print(f"{backend}: filled {args.events:,} old events in {filled:.1f} s; {removed}")
    print(f"  prune: {seconds:.1f} s, {args.events / seconds:,.0f} events/s (batches of "
          f"{args.batch_size:,}, {args.pause:g} s apart; the process's wall time, start-up "
          "included)")  # fmt: skip
    for name, figures in (("before", before), ("during", during)):
        print(f"  spend at {args.rate:g}/s {name:<6}: {figures.requests:>6} requests, "
              f"p50 {figures.p50_ms:7.1f} ms, p99 {figures.p99_ms:7.1f} ms, "
              f"{figures.errors} errors", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="mariadb,postgresql,sqlite")
    parser.add_argument("--events", type=int, default=1_000_000, help="e.g. 10000000")
    parser.add_argument("--rate", type=float, default=100, help="spend requests per second")
    parser.add_argument("--seconds", type=float, default=10, help="of the load before the prune")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--shops", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between two batches")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            measure(backend, args, Path(directory))


if __name__ == "__main__":
    main()
