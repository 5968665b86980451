"""Progress bars on stderr for the long commands (`check`, `db prune`), when it is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import Progress as RichProgress
from rich.progress import TaskID

from budgetguard.domain.evaluation import Progress
from budgetguard.domain.retention import PruneProgress


@contextmanager
def progress(description: str) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal (None otherwise)."""
    if not sys.stderr.isatty():
        yield None
        return
    with RichProgress(transient=True, console=None) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@contextmanager
def prune_progress() -> Iterator[PruneProgress | None]:
    """Rows removed so far, per kind, on stderr when it is a terminal (None otherwise)."""
    if not sys.stderr.isatty():
        yield None
        return
    with RichProgress(transient=True, console=None) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(kind: str, removed: int) -> None:
            if kind not in tasks:
                tasks[kind] = bar.add_task(f"Pruning {kind}", total=None)
            bar.update(tasks[kind], description=f"Pruning {kind}: {removed:,} removed")

        yield advance
