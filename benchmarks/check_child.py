"""One `budgetguard check` in its own process: print its timings and peak memory as JSON.

Usage: check_child.py URL AT [--no-delivery]  (the evaluation alone, without the delivery)
"""

from __future__ import annotations

import json
import resource
import sys
import time

from budgetguard.bootstrap import build_context, delivery_setup
from budgetguard.config import load_settings
from budgetguard.domain.period import parse_instant
from budgetguard.notify.channels.console import ConsoleChannel
from budgetguard.services.database import open_database
from budgetguard.services.deliveries import deliver_due
from budgetguard.services.evaluation import evaluate_month


def peak_rss_mb() -> int:
    """This process's own peak RSS. Linux's ru_maxrss survives exec, so a child of a large
    benchmark process would report its parent's peak; VmHWM belongs to this program alone."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main(url: str, at: str, deliver: bool) -> None:
    context = build_context(load_settings(database_url=url))
    instant = parse_instant(at, context.settings.zone)
    started = time.perf_counter()
    with open("/dev/null", "w") as devnull:
        open_database(context=context)
        evaluation = evaluate_month(context=context, at=instant)
        evaluated = time.perf_counter()
        delivered = 0
        if deliver:
            console = delivery_setup(context, ConsoleChannel(devnull))
            delivered = deliver_due(context=context, delivery=console).delivered
    done = time.perf_counter()
    context.close()
    print(json.dumps({
        "total_s": round(done - started, 2),
        "evaluate_s": round(evaluated - started, 2),
        "deliver_s": round(done - evaluated, 2),
        "notifications": evaluation.notifications,
        "delivered": delivered,
        "max_rss_mb": peak_rss_mb(),
    }))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], deliver=sys.argv[3:] != ["--no-delivery"])
