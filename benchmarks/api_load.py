"""The load generator of benchmarks/api.py: keep-alive HTTP/1.1 connections over asyncio streams,
single events at an offered rate (an open loop), the search for the highest rate served within
the latency bound, and the serve process's CPU time per sequential event.

It speaks HTTP itself: a general-purpose client would cost more CPU than the server on this
2-core machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

KEY = "bench-key-0123456789abcdef"
RUN = os.urandom(3).hex()
P99_BOUND_MS = 50.0


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

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()


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

    rate: float
    latencies: list[float]
    errors: int
    seconds: float

    def ms(self, quantile: float) -> float:
        at = min(len(self.latencies) - 1, int(len(self.latencies) * quantile))
        return self.latencies[at] * 1000

    @property
    def served(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def within_bound(self) -> bool:
        return self.errors == 0 and self.ms(0.99) <= P99_BOUND_MS


async def offer(
    port: int, *, rate: float, connections: int, shops: int, phase: str, seconds: float
) -> Offered:
    """POST single events at `rate` for `seconds` on `connections` kept-alive connections; a
    request's latency counts from when it was due (no coordinated omission)."""
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
    for index in range(int(rate * seconds)):
        scheduled = start + index / rate
        if (delay := scheduled - loop.time()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, scheduled)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().close()
    return Offered(rate, sorted(latencies), errors, loop.time() - start)


def highest_rate(
    port: int,
    *,
    label: str,
    connections: int,
    shops: int,
    seconds: float,
    start: float,
    steps: int,
) -> tuple[Offered | None, list[Offered]]:
    """The highest offered rate whose p99 stays within P99_BOUND_MS without errors: double from
    `start` until it fails, then bisect `steps` times. Returns the best run and every run."""
    tried: list[Offered] = []

    def run(rate: float) -> Offered:
        shape = {"connections": connections, "shops": shops, "seconds": seconds}
        got = asyncio.run(offer(port, rate=rate, phase=f"{label}-r{len(tried)}", **shape))
        tried.append(got)
        return got

    good, bad = 0.0, 0.0
    rate = start
    while not bad:
        if run(rate).within_bound:
            good, rate = rate, rate * 2
        else:
            bad = rate
    for _ in range(steps):
        middle = (good + bad) / 2
        if run(middle).within_bound:
            good = middle
        else:
            bad = middle
    best = max((t for t in tried if t.within_bound), key=lambda t: t.rate, default=None)
    return best, tried


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_event(pid: int, port: int, *, label: str, count: int, shops: int) -> float:
    """Seconds of the server's CPU per single event sent one after the other, less what the
    idle server spends over as long (its interval evaluation and delivery polling)."""

    async def sequential(phase: str) -> None:
        connection = Connection(port)
        for index in range(count):
            await connection.post("/v1/spend", json.dumps(event(index, shops, phase)).encode())
        connection.close()

    asyncio.run(
        _timed_cpu(pid, lambda: sequential(f"{label}-warm"))
    )  # caches, pool, first statements
    busy, elapsed = asyncio.run(_timed_cpu(pid, lambda: sequential(f"{label}-seq")))
    idle, _ = asyncio.run(_timed_cpu(pid, lambda: asyncio.sleep(elapsed)))
    return max(0.0, busy - idle) / count


async def _timed_cpu(pid: int, work: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    before, started = cpu_seconds(pid), time.perf_counter()
    await work()
    return cpu_seconds(pid) - before, time.perf_counter() - started
