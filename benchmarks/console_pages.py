"""Benchmark the console's pages over real HTTP on a database of N shops (issue 8, item 7).

For each database it builds N shops with a budget for June 2020 (evaluate.py's loader: one shop
in ten offline, spend 0-150 % of a 100.00 budget), writes what an evaluation leaves (each
budget's bg_usage row, the alerts at 50 and 100 %, the pauses: INSERT ... SELECT), analyses, then
serves the console in a thread (uvicorn, as `serve` configures it), signs in over HTTP and
times --requests GETs of each path, one after the other: p50 and p95 in milliseconds.

The paths are the shops list's first and deep pages in each order, its filters, and whatever
--paths adds (e.g. `/` and `/shops/123` on a tree that has those pages). Target (issue 8):
p95 <= 150 ms at 1,000,000 shops. --explain prints the plan of each SQL statement one request
of each path ran (PostgreSQL and MariaDB).

Usage: python benchmarks/console_pages.py [--backends postgresql,mariadb,sqlite] [--size N]
           [--requests 100] [--paths /,/shops/123] [--only-paths] [--explain]
Quick sanity (seconds): python benchmarks/console_pages.py --backends sqlite --size 20000
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).parent))
from budgetguard.api.dependencies import KeyRing, Runtime
from budgetguard.api.metrics import Metrics
from budgetguard.config import load_settings
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.domain.users import Role
from budgetguard.server.http import server_config
from budgetguard.services.uow import Context
from budgetguard.services.users import add_user
from budgetguard.web.app import create_app
from evaluate import analyse, build
from scratch import scratch_database

AT = datetime(2020, 6, 30, 12, tzinfo=UTC)
MONTH = "2020-06-01"
PASSWORD = "benchmark password"  # noqa: S105
TARGET_P95_MS = 150


def shop_paths(n: int) -> list[str]:
    deep = n * 9 // 10
    return [
        "/shops", f"/shops?after=9000,{deep}", "/shops?order=asc",
        f"/shops?order=asc&after=9000,{deep}",
        "/shops?sort=spend", f"/shops?sort=spend&after=90.00,{deep}",
        "/shops?sort=id", f"/shops?sort=id&after={deep}", f"/shops?sort=id&order=desc&after={deep}",
        "/shops?past=50", "/shops?past=100&order=asc", "/shops?paused=1",
        "/shops?offline=1&sort=id", f"/shops?q={deep}", "/shops?q=zzz", "/shops?q=maison",
        "/shops?q=maison&sort=spend&order=asc",
    ]  # fmt: skip


USAGE = f"""
INSERT INTO bg_usage (month, shop_id, budget, spent, usage_bp, updated_at, day)
SELECT a_month, a_shop_id, a_budget_amount, a_amount_spent,
       CASE WHEN a_budget_amount > 0 THEN FLOOR(a_amount_spent * 10000 / a_budget_amount) END,
       '2020-06-30 12:00:00', '2020-06-30'
FROM t_budgets WHERE a_month = '{MONTH}'
"""
ALERTS = f"""
INSERT INTO bg_alerts (month, shop_id, threshold, fired_at)
SELECT month, shop_id, {{threshold}}, updated_at FROM bg_usage
WHERE month = '{MONTH}' AND usage_bp >= {{threshold}} * 100
"""
PAUSES = f"""
INSERT INTO bg_pauses (shop_id, month, paused_at, evaluation_id, threshold)
SELECT u.shop_id, u.month, u.updated_at, 1, 100 FROM bg_usage u JOIN t_shops s ON s.a_id = u.shop_id
WHERE u.month = '{MONTH}' AND u.usage_bp >= 10000 AND s.a_online = (1 = 1)
"""
OFFLINE = "UPDATE t_shops SET a_online = (1 = 0) WHERE a_id IN (SELECT shop_id FROM bg_pauses)"
# One shop in a thousand has a name of its own: a name search that finds 1,000 shops (the others
# are all "Shop", which every search for "s…" matches).
NAMED = "UPDATE t_shops SET a_name = 'Maison' WHERE a_id % 1000 = 7"


def load(engine: Engine, context: Context, n: int) -> None:
    """N shops and budgets, then what an evaluation leaves, written set-based (an evaluation of
    1M shops on a busy machine takes minutes and is measured elsewhere): bg_usage, the alerts
    fired at 50 and 100 %, the online shops past 100 % paused by budgetguard."""
    started = time.perf_counter()
    build(engine, n, month=MONTH)
    with engine.begin() as c:
        c.execute(text(USAGE))
        for threshold in (50, 100):
            c.execute(text(ALERTS.format(threshold=threshold)))
        c.execute(text(PAUSES))
        c.execute(text(OFFLINE))
        c.execute(text(NAMED))
    if engine.dialect.name == "mysql":
        with engine.connect() as c:
            c.execute(text("ANALYZE TABLE bg_usage, bg_pauses, bg_alerts"))
    analyse(engine)
    add_user(context=context, name="bench", role=Role.OPERATOR, password=PASSWORD)
    print(f"  loaded {n} shops in {time.perf_counter() - started:.0f} s", flush=True)


@contextmanager
def served(context: Context) -> Iterator[str]:
    app = create_app(Runtime(context, KeyRing({}), Metrics(context), lambda: None))
    server = uvicorn.Server(server_config(app, context.settings, port=0, lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(30)


def signed_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    form = client.get("/sign-in").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    if token is None:
        raise SystemExit("no sign-in form")
    done = client.post("/sign-in", data={"name": "bench", "password": PASSWORD, "csrf": token[1]})
    if done.status_code != 303:
        raise SystemExit(f"signing in failed: {done.status_code}")
    return client


def timings(client: httpx.Client, path: str, requests: int) -> tuple[float, float]:
    for _ in range(3):
        client.get(path).raise_for_status()
    spent = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        spent.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(spent, n=20)
    return statistics.median(spent), cuts[18]


def explain(engine: Engine, client: httpx.Client, path: str) -> None:
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "bg_users" not in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get(path).raise_for_status()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    print(f"    EXPLAIN {path}")
    raw = engine.raw_connection()
    try:
        for statement, params in seen:
            cursor = raw.cursor()
            cursor.execute("EXPLAIN " + statement, params)
            for row in cursor.fetchall():
                print("      " + " | ".join(str(v) for v in row)[:220])
            print("      --")
    finally:
        raw.close()


def measure(backend: str, url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url, timeout=None)
    settings = load_settings(database_url=url)
    context = Context(settings, engine, lambda: AT)
    try:
        revisions.upgrade(engine)
        load(engine, context, args.size)
        paths = [] if args.only_paths else shop_paths(args.size)
        paths += [p for p in args.paths.split(",") if p]
        with served(context) as base, closing(signed_in(base)) as client:
            print(f"  {'path':58} {'p50 ms':>8} {'p95 ms':>8}")
            for path in paths:
                p50, p95 = timings(client, path, args.requests)
                flag = "" if p95 <= TARGET_P95_MS else "  over target"
                print(f"  {path:58} {p50:8.1f} {p95:8.1f}{flag}", flush=True)
            if args.explain and backend != "sqlite":
                for path in paths:
                    explain(engine, client, path)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="postgresql,mariadb")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--paths", default="", help="more paths, comma-separated")
    parser.add_argument("--only-paths", action="store_true", help="time only --paths")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            print(f"{backend}, {args.size} shops, {args.requests} requests per path", flush=True)
            with scratch_database(backend, Path(directory)) as url:
                measure(backend, url, args)


if __name__ == "__main__":
    main()
