"""Benchmark webhook delivery: throughput of a backlog, and latency at a steady arrival rate.

Builds S shops, each with a signed-webhook contact on a loopback receiver (benchmarks/receiver.py,
a process of its own), then, on each database of `--backend`:

* backlog: queues N notifications at once (as an evaluation would: `bg_notifications` rows,
  pending) and runs `budgetguard deliver --once` in a fresh process; reports deliveries per second
  from the process start to the last receipt (start-up included) and between the first and the
  last receipt, and the process's peak RSS;
* steady: runs `budgetguard deliver` (the long-running worker) and queues notifications at R per
  second for T seconds; reports the time from queueing (the notification's `created_at`) to
  receipt: median, p99, max, and the worker's peak RSS.

Targets (issue 10): backlog >= 5,000/s at N = 20,000; p99 <= 500 ms at 500/s; peak RSS <= 300 MB.
The version measured is the one `python -m budgetguard` imports: run this script with another
version's interpreter (or PYTHONPATH=<its src>) to measure that one on the same machine.

Usage: python benchmarks/delivery.py [--backend sqlite,mariadb,postgresql] [--notifications 20000]
                                     [--shops 1000] [--rate 500] [--seconds 30] [--skip-steady]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).parent))
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.db.schema.tables import contacts, notifications, shops
from scratch import scratch_database

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - the benchmark's own
MONTH = date(2020, 7, 1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(engine: Engine, shop_count: int, port: int) -> None:
    now = datetime.now(UTC)
    with engine.begin() as c:
        c.execute(insert(shops), [
            {"a_id": i, "a_name": f"Shop {i}", "a_online": True} for i in range(1, shop_count + 1)
        ])  # fmt: skip
        c.execute(insert(contacts), [
            {"shop_id": i, "kind": "webhook", "target": f"http://127.0.0.1:{port}/hook/{i}",
             "secret": SECRET, "created_at": now}
            for i in range(1, shop_count + 1)
        ])  # fmt: skip


def queue(engine: Engine, first: int, count: int, shop_count: int) -> None:
    """Queue `count` notifications as an evaluation would, created (and due) now."""
    now = datetime.now(UTC)
    rows = [
        {
            "evaluation_id": 0, "kind": "threshold", "shop_id": shop, "shop_name": f"Shop {shop}",
            "month": MONTH, "budget": Decimal("100.00"), "spent": Decimal("55.00"),
            "thresholds": "50", "action": None, "evaluated_on": MONTH, "created_at": now,
            "status": "pending", "attempts": 0, "next_attempt_at": now,
        }
        for shop in (1 + (first + i) % shop_count for i in range(count))
    ]  # fmt: skip
    with engine.begin() as c:
        c.execute(insert(notifications), rows)


def stats(port: int, path: str = "/stats") -> dict[str, Any]:
    for _ in range(100):  # the receiver may still be starting
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
                return dict(json.load(answer))
        except ConnectionRefusedError:
            time.sleep(0.1)
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError):
                raise
            time.sleep(0.1)
    raise RuntimeError("the receiver does not answer")


def wait_for(port: int, count: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        seen = stats(port)
        if len(seen["latencies"]) >= count or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass(frozen=True)
class Finished:
    code: int
    rss_mb: float
    cpu_s: float
    """User and system CPU time: on a shared machine a steadier measure than the wall clock."""
    errors: str


def finish(worker: subprocess.Popen[bytes]) -> Finished:
    """Wait for `worker`: its exit code, peak RSS, CPU time, and what it wrote to stderr."""
    errors = worker.stderr.read() if worker.stderr else b""  # until it exits: warnings only
    _, status, usage = os.wait4(worker.pid, 0)
    worker.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    # Linux: ru_maxrss is in KiB
    return Finished(worker.returncode, usage.ru_maxrss / 1024, cpu, errors.decode())


def backlog(engine: Engine, env: dict[str, str], port: int, n: int, shop_count: int) -> None:
    stats(port, "/reset")
    queue(engine, 0, n, shop_count)
    started = time.time()
    worker = subprocess.Popen(
        [sys.executable, "-m", "budgetguard", "deliver", "--once"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    done = finish(worker)
    seen = wait_for(port, n, 30)
    received = len(seen["latencies"])
    if done.code != 0 or received < n:
        print(f"backlog: worker exit {done.code}, {received}/{n} received\n{done.errors}")
    total = seen["last"] - started
    spread = seen["last"] - seen["first"]
    print(
        f"backlog: {received} webhooks in {total:.2f} s = {received / total:,.0f}/s including "
        f"process start-up; {received / spread:,.0f}/s first to last receipt; worker CPU "
        f"{done.cpu_s:.1f} s ({done.cpu_s / max(received, 1) * 1e6:.0f} µs a webhook, start-up "
        f"included); peak RSS {done.rss_mb:.0f} MB; bad signatures: {seen['bad_signatures']}"
    )


def steady(engine: Engine, env: dict[str, str], port: int, args: argparse.Namespace) -> None:
    stats(port, "/reset")
    worker = subprocess.Popen(
        [sys.executable, "-m", "budgetguard", "deliver"], env=env, stderr=subprocess.PIPE
    )
    time.sleep(3)  # start-up is not what this measures
    tick, per_tick = 0.05, max(1, round(args.rate * 0.05))
    total = int(args.rate * args.seconds)
    start = time.monotonic()
    for k in range(total // per_tick):
        time.sleep(max(0.0, start + k * tick - time.monotonic()))
        queue(engine, args.notifications + k * per_tick, per_tick, args.shops)
    seen = wait_for(port, total, 60)
    os.kill(worker.pid, signal.SIGTERM)  # not send_signal: it would reap a worker that died
    done = finish(worker)
    if done.code != 0:
        print(f"steady: worker exit {done.code}\n{done.errors}")
    lat = seen["latencies"]
    print(
        f"steady: {len(lat)}/{total} webhooks at {args.rate:g}/s for {args.seconds:g} s; queue to "
        f"receipt: median {percentile(lat, 50) * 1000:.0f} ms, p99 {percentile(lat, 99) * 1000:.0f}"
        f" ms, max {max(lat) * 1000:.0f} ms; worker CPU {done.cpu_s:.1f} s; peak RSS "
        f"{done.rss_mb:.0f} MB; bad signatures: {seen['bad_signatures']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite,mariadb,postgresql", help="comma-separated")
    parser.add_argument("--notifications", type=int, default=20_000)
    parser.add_argument("--shops", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--skip-steady", action="store_true")
    args = parser.parse_args()
    port = free_port()
    receiver = subprocess.Popen([sys.executable, str(Path(__file__).parent / "receiver.py"),
                                 str(port), SECRET])  # fmt: skip
    try:
        for backend in args.backend.split(","):
            run(backend, port, args)
    finally:
        receiver.terminate()
        receiver.wait()


def run(backend: str, port: int, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, scratch_database(backend, Path(tmp)) as url:
        engine = make_engine(url, timeout=None)  # building data: no bound on a statement
        revisions.upgrade(engine)
        build(engine, args.shops, port)
        # Settings given to the benchmark pass on to the worker (e.g. the concurrency).
        env = dict(os.environ)
        env |= {"BUDGETGUARD_DATABASE_URL": url, "BUDGETGUARD_WEBHOOK_ALLOW_PRIVATE": "1",
                "BUDGETGUARD_LOG_LEVEL": "WARNING"}  # fmt: skip
        print(f"{backend}: {args.shops} shops with a webhook each, receiver on :{port}")
        backlog(engine, env, port, args.notifications, args.shops)
        if not args.skip_steady:
            steady(engine, env, port, args)
        engine.dispose()


if __name__ == "__main__":
    main()
