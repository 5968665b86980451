"""Benchmark the HTTP API: the highest single-event rate within the latency bound, the CPU per
single event, batch throughput, and the executemany floor — old (main before issue 10) beside new.

For each database it builds SHOPS shops with a budget for the current month; then for each
server (`old`: the tree at --old, `/work/wt-base` by default; `new`: this tree) it starts
`budgetguard serve` in its own process and measures:

* rate: POST /v1/spend from CONNECTIONS keep-alive connections at an offered rate (an open loop:
  each request's latency counts from when it was due); the rate doubles until p99 exceeds 50 ms
  (or a request fails), then is bisected; the highest rate within the bound is reported;
* CPU per event: the serve process's CPU time (/proc) over SEQUENTIAL events sent one after the
  other, less the idle server's over as long;
* peak: the rate served when PEAK events/s are offered (past saturation), and its p99;
* batch: POST /v1/spend/batch with BATCH events each, one after the other; events/s.

Then the floor: the same rows (events inserted, budgets updated) by a bare SQLAlchemy
executemany per batch in this process, one transaction per batch; events/s. The load generator
is benchmarks/api_load.py.

Usage: python benchmarks/api.py [--backends sqlite,mariadb,postgresql] [--servers old,new]
       [--old /work/wt-base] [--connections 32] [--seconds 3] [--start 200] [--steps 3]
       [--peak 1000] [--sequential 1000] [--batches 20] [--batch 1000] [--shops 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from api_load import KEY, Offered, cpu_per_event, event, highest_rate, offer
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from scratch import scratch_database

HERE = Path(__file__).resolve().parent.parent


@dataclass
class Figures:
    """What one server got on one database."""

    backend: str
    server: str
    best: Offered | None
    peak: Offered
    cpu_ms: float
    batch_eps: float


def build(url: str, shops: int) -> str:
    """Create the schema, the shops and this month's budgets; return the month's first day."""
    engine = make_engine(url, timeout=None)  # building data: no bound on a statement
    revisions.upgrade(engine)
    month = datetime.now(UTC).strftime("%Y-%m-01")
    with engine.begin() as c:
        c.execute(
            text("INSERT INTO t_shops (a_id, a_name, a_online) VALUES (:i, :n, :o)"),
            [{"i": i, "n": f"Shop {i}", "o": True} for i in range(1, shops + 1)],
        )
        c.execute(
            text(
                "INSERT INTO t_budgets (a_shop_id, a_month, a_budget_amount, a_amount_spent) "
                "VALUES (:i, :m, 1000000.00, 0)"
            ),
            [{"i": i, "m": month} for i in range(1, shops + 1)],
        )
    engine.dispose()
    return month


def environment(url: str, **settings: str) -> dict[str, str]:
    """This process's environment without its BUDGETGUARD_* variables, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETGUARD_")}
    env.update({"BUDGETGUARD_DATABASE_URL": url, "BUDGETGUARD_LOG_LEVEL": "WARNING"})
    env.update({f"BUDGETGUARD_{name.upper()}": value for name, value in settings.items()})
    return env


def serve(
    url: str, workdir: Path, tree: Path, **settings: str
) -> tuple[subprocess.Popen[bytes], int]:
    """Start `budgetguard serve` of the source `tree` (its own .venv if it has one) on a free
    port with the benchmark's key; wait until ready."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    python = tree / ".venv" / "bin" / "python"
    python = python if python.exists() else Path(sys.executable)
    env = environment(url, api_keys=f"bench:{KEY}", **settings)
    env["PYTHONPATH"] = str(tree / "src")
    process = subprocess.Popen(
        [str(python), "-m", "budgetguard", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "serve.err").open("wb"),
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process, port
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"serve did not start: {(workdir / 'serve.err').read_text()[-2000:]}")


def batches(port: int, count: int, size: int, shops: int, label: str) -> float:
    payloads = [
        json.dumps({"events": [event(b * size + i, shops, f"{label}-b") for i in range(size)]})
        for b in range(count)
    ]
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=300) as http:
        started = time.perf_counter()
        for payload in payloads:
            answer = http.post("/v1/spend/batch", content=payload)
            if answer.status_code != 200:
                raise SystemExit(f"batch failed: {answer.status_code} {answer.text[:500]}")
        return count * size / (time.perf_counter() - started)


def floor(url: str, month: str, count: int, size: int, shops: int) -> float:
    """The same rows as `batches`, by a bare executemany: events inserted, budgets updated."""
    engine = make_engine(url, timeout=None)  # a bare floor: no bound on a statement
    insert = text(
        "INSERT INTO bg_spend_events (event_id, shop_id, month, amount, occurred_at, "
        "received_at, source) VALUES (:event_id, :shop_id, :month, :amount, :at, :at, 'floor')"
    )
    update = text(
        "UPDATE t_budgets SET a_amount_spent = a_amount_spent + :amount "
        "WHERE a_shop_id = :shop_id AND a_month = :month"
    )
    prepared = []
    for b in range(count):
        rows = [event(b * size + i, shops, "floor") for i in range(size)]
        now = datetime.now(UTC).replace(tzinfo=None)
        prepared.append([{**r, "month": month, "at": now} for r in rows])
    started = time.perf_counter()
    for rows in prepared:
        with engine.begin() as c:
            c.execute(insert, rows)
            c.execute(update, sorted(rows, key=lambda r: int(str(r["shop_id"]))))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return count * size / elapsed


def measure_server(
    backend: str, server: str, url: str, args: argparse.Namespace, workdir: Path
) -> Figures:
    tree = Path(args.old) if server == "old" else HERE
    process, port = serve(url, workdir, tree)
    try:
        cpu = cpu_per_event(
            process.pid, port, label=server, count=args.sequential, shops=args.shops
        )
        best, tried = highest_rate(
            port,
            label=server,
            connections=args.connections,
            shops=args.shops,
            seconds=args.seconds,
            start=args.start,
            steps=args.steps,
        )
        shape = {"connections": args.connections, "shops": args.shops, "seconds": args.seconds}
        peak = asyncio.run(offer(port, rate=args.peak, phase=f"{server}-peak", **shape))
        for t in [*tried, peak]:
            print(
                f"  {backend} {server}: offered {t.rate:.0f}/s served {t.served:.0f}/s "
                f"p50 {t.ms(0.5):.1f} ms p99 {t.ms(0.99):.1f} ms errors {t.errors}",
                file=sys.stderr,
                flush=True,
            )
        batch_eps = batches(port, args.batches, args.batch, args.shops, server)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(120)
    return Figures(backend, server, best, peak, cpu * 1000, batch_eps)


def measure(backend: str, args: argparse.Namespace, workdir: Path) -> None:
    with scratch_database(backend, workdir) as url:
        month = build(url, args.shops)
        rows = [
            measure_server(backend, name, url, args, workdir) for name in args.servers.split(",")
        ]
        floor_eps = floor(url, month, args.batches, args.batch, args.shops)
    for f in rows:
        rate = f.best.rate if f.best else 0.0
        p99 = f.best.ms(0.99) if f.best else float("nan")
        print(
            f"{f.backend:<11} {f.server:<4} {rate:>9.0f} {p99:>7.1f} {f.peak.served:>9.0f} "
            f"{f.peak.ms(0.99):>9.0f} {f.cpu_ms:>8.2f} "
            f"{f.batch_eps:>11,.0f} {floor_eps:>11,.0f} {rate / f.batch_eps:>11.0%} "
            f"{floor_eps / f.batch_eps:>10.2f}x",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,mariadb,postgresql")
    parser.add_argument("--servers", default="old,new", help="old,new (default), old or new")
    parser.add_argument("--old", default="/work/wt-base", help="the tree of the old server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=3, help="per offered rate")
    parser.add_argument("--start", type=float, default=200, help="first offered rate")
    parser.add_argument("--steps", type=int, default=3, help="bisections after doubling")
    parser.add_argument("--peak", type=float, default=1000, help="offered rate past saturation")
    parser.add_argument("--sequential", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--shops", type=int, default=2000)
    args = parser.parse_args()
    print(
        f"{'database':<11} {'srv':<4} {'single/s':>9} {'p99 ms':>7} {'peak/s':>9} "
        f"{'peak p99':>9} {'CPU ms':>8} "
        f"{'batch ev/s':>11} {'floor ev/s':>11} {'single/batch':>11} {'floor/batch':>11}"
    )
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            measure(backend, args, Path(directory))


if __name__ == "__main__":
    main()
