"""Run an evaluation's chunk transactions on connections of their own, several at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from queue import SimpleQueue
from types import TracebackType
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine

from budgetguard.db.plumbing.dialects import one_writer, set_isolation

T = TypeVar("T")
S = TypeVar("S")


class ChunkPool:
    """`workers` connections and threads; chunks are disjoint shop ranges, so they never wait
    on each other's rows (the unit of work's retry covers InnoDB's gap-lock deadlocks).

    SQLite has one writer at a time: there the pool has one connection whatever is asked.
    """

    def __init__(self, engine: Engine, *, workers: int, isolation: str | None) -> None:
        self._engine = engine
        self._workers = 1 if one_writer(engine) else workers
        self._isolation = isolation
        self._stack = ExitStack()
        self._idle: SimpleQueue[Connection] = SimpleQueue()
        self._executor: ThreadPoolExecutor | None = None

    def __enter__(self) -> ChunkPool:
        for _ in range(self._workers):
            connection = self._stack.enter_context(self._engine.connect())
            set_isolation(connection, self._isolation)
            self._idle.put(connection)
        self._executor = self._stack.enter_context(
            ThreadPoolExecutor(self._workers, thread_name_prefix="budgetguard-chunk")
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stack.__exit__(kind, error, trace)

    def spread(self, items: Sequence[S]) -> list[S]:
        """`items` (ranges in key order) reordered so that the ones run at the same time are far
        apart: cut into one stripe per worker, then taken from each stripe in turn.

        Why: InnoDB's locking reads lock the gap after the last row they read. When two workers
        take neighbouring ranges, each locks the gap into which the other inserts (bg_alerts,
        bg_pauses: empty for the range at a first evaluation) and one of them deadlocks and runs
        its range again: at 200,000 shops, a first and a no-change evaluation (22 chunk
        transactions needed) ran 35 with two workers in key order, and were slower than one.
        With stripes, the gap a worker locks ends at rows another stripe has already written,
        and it inserts into no gap another worker locks.
        """
        stripe = max(1, -(-len(items) // self._workers))  # ceiling division
        starts = range(0, len(items), stripe)
        return [items[s + i] for i in range(stripe) for s in starts if s + i < len(items)]

    def map(self, work: Callable[[Connection, S], T], items: Iterable[S]) -> Iterator[T]:
        """Run `work(connection, item)` for each item; yield the results in the items' order."""
        if self._executor is None:
            raise RuntimeError("use ChunkPool as a context manager")

        def run(item: S) -> T:
            connection = self._idle.get()
            try:
                return work(connection, item)
            finally:
                self._idle.put(connection)

        return self._executor.map(run, items)
