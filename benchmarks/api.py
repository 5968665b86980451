"""Benchmark the HTTP API: single-event latency at a steady rate, batch throughput, and the floor.

For each database it builds SHOPS shops with a budget for the current month, starts
`budgetguard serve` in its own process, and measures:

* latency: POST /v1/spend at a steady RATE requests/s (an open loop: each request has its
  start time on a fixed schedule, and its latency counts from that time, so a slow server
  cannot hide behind a slowed-down client) over CONNECTIONS keep-alive connections; p50/p99;
* batch: POST /v1/spend/batch with BATCH events each, one after the other; events/s;
* floor: the same rows (events inserted, budgets updated) by a bare SQLAlchemy executemany
  per batch in this process, in one transaction per batch; events/s.

The load generator speaks HTTP/1.1 over asyncio streams itself: a general-purpose client would
cost more CPU than the server on this 2-core machine.

Usage: python benchmarks/api.py [--backends sqlite,mariadb,postgresql] [--rate 500,150]
       [--connections 32] [--seconds 20] [--batches 20] [--batch 1000] [--shops 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from scratch import scratch_database

KEY = "bench-key-0123456789abcdef"
RUN = os.urandom(3).hex()


@dataclass
class Figures:
    backend: str
    offered: float = 0.0
    rate: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    batch_eps: float = 0.0
    floor_eps: float = 0.0


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


def serve(url: str, workdir: Path, **settings: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start `budgetguard serve` on a free port with the benchmark's key; wait until ready."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "budgetguard", "serve", "--port", str(port)],
        env=environment(url, api_keys=f"bench:{KEY}", **settings),
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


class Connection:
    """One keep-alive HTTP/1.1 connection that posts JSON and reads the status."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        return status


def event(index: int, shops: int, prefix: str) -> dict[str, object]:
    return {
        "event_id": f"{prefix}-{RUN}-{index}",
        "shop_id": random.randint(1, shops),
        "amount": str(Decimal(random.randint(1, 99)) / 100),
        "occurred_at": datetime.now(UTC).isoformat(),
    }


@dataclass
class Offered:
    """What an offered load got: each request's latency (seconds, sorted), the errors."""

    latencies: list[float]
    errors: int
    seconds: float

    def ms(self, quantile: float) -> float:
        return (
            self.latencies[min(len(self.latencies) - 1, int(len(self.latencies) * quantile))] * 1000
        )


async def offer(
    port: int,
    *,
    rate: float,
    connections: int,
    shops: int,
    phase: str,
    more: Callable[[int], bool],
) -> Offered:
    """POST single events at `rate` on `connections` kept-alive connections while `more(n)` says
    the n-th is to be sent; a request's latency counts from when it was due (no coordinated
    omission)."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Connection(port))
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()

    async def one(index: int, scheduled: float) -> None:
        nonlocal errors
        connection = await pool.get()
        try:
            body = json.dumps(event(index, shops, phase)).encode()
            if await connection.post("/v1/spend", body) != 200:
                errors += 1
        finally:
            pool.put_nowait(connection)
        latencies.append(loop.time() - scheduled)

    tasks = []
    start = loop.time() + 0.1
    index = 0
    while more(index):
        scheduled = start + index / rate
        if (delay := scheduled - loop.time()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, scheduled)))
        index += 1
    await asyncio.gather(*tasks)
    return Offered(sorted(latencies), errors, loop.time() - start)


async def steady(
    port: int, *, rate: float, seconds: float, connections: int, shops: int, phase: str
) -> Figures:
    total = int(rate * seconds)
    shape = {"rate": rate, "connections": connections, "shops": shops, "phase": phase}
    got = await offer(port, **shape, more=lambda index: index < total)
    return Figures(
        backend="",
        offered=rate,
        rate=total / got.seconds,
        p50_ms=got.ms(0.5),
        p99_ms=got.ms(0.99),
        errors=got.errors,
    )


def batches(port: int, count: int, size: int, shops: int) -> float:
    payloads = [
        json.dumps({"events": [event(b * size + i, shops, "batch") for i in range(size)]})
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


def measure(backend: str, args: argparse.Namespace, workdir: Path) -> list[Figures]:
    with scratch_database(backend, workdir) as url:
        month = build(url, args.shops)
        process, port = serve(url, workdir)
        rows: list[Figures] = []
        try:
            for number, rate in enumerate(float(r) for r in args.rate.split(",")):
                load = {"rate": rate, "connections": args.connections, "shops": args.shops}
                asyncio.run(steady(port, seconds=2, phase=f"warm{number}", **load))
                rows.append(
                    asyncio.run(steady(port, seconds=args.seconds, phase=f"r{number}", **load))
                )
            batch_eps = batches(port, args.batches, args.batch, args.shops)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(120)
        floor_eps = floor(url, month, args.batches, args.batch, args.shops)
        for row in rows:
            row.backend, row.batch_eps, row.floor_eps = backend, batch_eps, floor_eps
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,mariadb,postgresql")
    parser.add_argument("--rate", default="500,150", help="offered rates, comma-separated")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--shops", type=int, default=2000)
    args = parser.parse_args()
    print(
        f"{'database':<11} {'offered/s':>9} {'served/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'batch ev/s':>11} {'floor ev/s':>11} {'floor/batch':>11}"
    )
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            for f in measure(backend, args, Path(directory)):
                print(
                    f"{f.backend:<11} {f.offered:>9.0f} {f.rate:>8.0f} {f.p50_ms:>8.1f} "
                    f"{f.p99_ms:>8.1f} {f.errors:>6} {f.batch_eps:>11,.0f} "
                    f"{f.floor_eps:>11,.0f} {f.floor_eps / f.batch_eps:>10.1f}x",
                    flush=True,
                )


if __name__ == "__main__":
    main()
