"""How long a fresh `budgetguard` process takes: `--version`, and `status --shop 1` on the sample
SQLite database, against the interpreter's own start-up (`python -c pass`).

Each figure is the wall time of N fresh processes (median and p90), and their CPU time (user +
system, median), which a busy machine inflates less than the wall time. With `--base`, a second
source tree (e.g. main before issue 10) is timed in the same run, its processes interleaved
with this tree's so that both share the machine's load; compare the ratios, not only the times.

Usage: python benchmarks/startup.py [--runs 20] [--base /work/wt-base]
                                    [--base-python /work/wt-base/.venv/bin/python]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent  # this source tree
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "budgetguard --version": ["-m", "budgetguard", "--version"],
    "budgetguard status --shop 1": ["-m", "budgetguard", "status", "--shop", "1"],
}


@dataclass
class Tree:
    """A source tree and the interpreter that runs it, with its own sample database."""

    label: str
    python: str
    env: dict[str, str]
    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def run(self, args: list[str]) -> tuple[float, float]:
        """Run the interpreter with `args`; return its wall time and its CPU time."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([self.python, *args], env=self.env, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def tree(label: str, root: Path, python: str | None, database: Path) -> Tree:
    """The tree at `root`, run by `python` (default: its .venv's, else this interpreter)."""
    venv_python = root / ".venv" / "bin" / "python"
    chosen = python or (str(venv_python) if venv_python.exists() else sys.executable)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETGUARD_")}
    env["PYTHONPATH"] = str(root / "src")  # this tree's code, whatever the venv installed
    # As on an installed system: modules compiled once (the set-up below), then read from their
    # cached bytecode. A shell with PYTHONDONTWRITEBYTECODE set would compile every module of
    # the tree again at every start, 0.1-0.5 s that no installed budgetguard pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["BUDGETGUARD_DATABASE_URL"] = f"sqlite:///{database}"
    found = Tree(label, chosen, env)
    for step in (["db", "upgrade"], ["db", "seed-sample"]):
        found.run(["-m", "budgetguard", *step])
    return found


def measure(trees: list[Tree], runs: int) -> None:
    for _ in range(runs):
        for name, args in COMMANDS.items():
            for each in trees:  # interleaved: both trees see the same load
                wall, cpu = each.run(args)
                each.wall.setdefault(name, []).append(wall)
                each.cpu.setdefault(name, []).append(cpu)


def report(trees: list[Tree], runs: int) -> None:
    print(f"{runs} fresh processes each, on {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'command':30} {'tree':6} {'median':>8} {'p90':>8} {'over floor':>11} {'CPU':>8}")
    for name in COMMANDS:
        for each in trees:
            times = sorted(each.wall[name])
            floor = statistics.median(each.wall["python -c pass"])
            median, p90 = statistics.median(times), times[int(0.9 * (len(times) - 1))]
            cpu = statistics.median(each.cpu[name])
            print(
                f"{name:30} {each.label:6} {median * 1000:6.0f}ms {p90 * 1000:6.0f}ms "
                f"{(median - floor) * 1000:9.0f}ms {cpu * 1000:6.0f}ms"
            )
    if len(trees) == 2:
        new, old = trees
        for name in list(COMMANDS)[1:]:
            wall = statistics.median(new.wall[name]) / statistics.median(old.wall[name])
            cpu = statistics.median(new.cpu[name]) / statistics.median(old.cpu[name])
            print(f"{name}: {new.label} / {old.label} = {wall:.2f} (wall), {cpu:.2f} (CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--python", help="interpreter for this tree (default: its .venv's)")
    parser.add_argument("--base", type=Path, help="another source tree to time in the same run")
    parser.add_argument("--base-python", help="its interpreter (default: its .venv's)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        trees = [tree("new", HERE, options.python, Path(scratch) / "new.db")]
        if options.base:
            base_python = options.base_python or options.python
            trees.append(tree("base", options.base, base_python, Path(scratch) / "base.db"))
        measure(trees, options.runs)
    report(trees, options.runs)


if __name__ == "__main__":
    main()
