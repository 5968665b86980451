"""One `budgetguard check` in its own process: print its timings and peak memory as JSON."""

from __future__ import annotations

import json
import resource
import sys
import time

from budgetguard import services
from budgetguard.bootstrap import build_app
from budgetguard.config import load_settings
from budgetguard.domain.period import parse_instant
from budgetguard.notify.console import ConsoleChannel


def main(url: str, at: str) -> None:
    app = build_app(load_settings(database_url=url))
    instant = parse_instant(at, app.settings.zone)
    started = time.perf_counter()
    with open("/dev/null", "w") as devnull:
        services.open_database(app)
        evaluation = services.evaluate_month(app=app, at=instant)
        evaluated = time.perf_counter()
        delivery = services.deliver(app=app, channel=ConsoleChannel(devnull))
    done = time.perf_counter()
    app.close()
    print(json.dumps({
        "total_s": round(done - started, 2),
        "evaluate_s": round(evaluated - started, 2),
        "deliver_s": round(done - evaluated, 2),
        "notifications": evaluation.notifications,
        "delivered": delivery.delivered,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
