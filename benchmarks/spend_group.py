"""Statements and CPU per spend event, alone and in a group commit, in this process (no HTTP).

For each database: 2,000 shops with a budget for the current month; then events applied by the
use cases directly: `record_spend` with one event (as POST /v1/spend did before group commit),
`record_group` with a group of one (a lone event today) and with groups of GROUP. Prints the
statements the database was sent per event (SQLAlchemy's cursor executions) and this process's
CPU and wall time per event.

Usage: python benchmarks/spend_group.py [--backends sqlite,mariadb,postgresql] [--group 32]
       [--events 300]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event

sys.path.insert(0, str(Path(__file__).parent))
from api import build
from budgetguard.bootstrap import build_context
from budgetguard.config import Settings
from budgetguard.domain.spend import SpendEvent
from budgetguard.services.spend import Located, record_spend
from budgetguard.services.spend_group import Single, record_group
from budgetguard.services.uow import Context
from scratch import scratch_database

SHOPS = 2000


class Counter:
    """Counts the statements the engine of `context` sends (its cursor executions)."""

    def __init__(self, context: Context) -> None:
        self.executed = 0
        sa_event.listen(context.engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.executed += 1

    def value(self) -> int:
        return self.executed


def spend(event_id: str) -> SpendEvent:
    return SpendEvent(event_id, random.randint(1, SHOPS), Decimal("0.50"), datetime.now(UTC))


def apply(context: Context, size: int, label: str, index: int) -> int:
    """Apply one request (size 0: record_spend alone) or one group; return its events."""
    if size == 0:
        located = [Located(spend(f"{label}-{index}"), "")]
        record_spend(context=context, events=located, source="bench")
        return 1
    group = [Single(spend(f"{label}-{index}-{j}"), "bench") for j in range(size)]
    record_group(context=context, group=group)
    return size


def measure(context: Context, count: Callable[[], int], size: int, events: int) -> str:
    label = f"s{size}-{random.randrange(10**9)}"
    for warm in range(5):
        apply(context, size, f"{label}w", warm)
    before, cpu, wall = count(), time.process_time(), time.perf_counter()
    done, index = 0, 0
    while done < events:
        done += apply(context, size, label, index)
        index += 1
    statements = (count() - before) / done
    cpu_ms = (time.process_time() - cpu) * 1000 / done
    wall_ms = (time.perf_counter() - wall) * 1000 / done
    return f"{statements:>10.2f} {cpu_ms:>10.2f} {wall_ms:>10.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,mariadb,postgresql")
    parser.add_argument("--group", type=int, default=32)
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()
    print(f"{'database':<11} {'how':<14} {'stmts/ev':>10} {'CPU ms/ev':>10} {'wall ms/ev':>10}")
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            with scratch_database(backend, Path(directory)) as url:
                build(url, SHOPS)
                context = build_context(Settings(database_url=url))
                counter = Counter(context)
                for how, size in [("alone (old)", 0), ("group of 1", 1), ("group", args.group)]:
                    figures = measure(context, counter.value, size, args.events)
                    name = how if size != args.group else f"group of {size}"
                    print(f"{backend:<11} {name:<14} {figures}", flush=True)
                context.close()


if __name__ == "__main__":
    main()
