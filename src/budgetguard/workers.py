"""The service's background work: an evaluation every BUDGETGUARD_CHECK_INTERVAL seconds, and
continuous delivery of the outbox. Each runs in its own thread; `stop` lets the work in hand
finish (an evaluation stops after its current chunk, delivery after its current batch).

Replicas are safe as they are: evaluations take the evaluation lock (a replica that finds it
taken skips its turn), deliverers claim batches with leases (FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import exc

from budgetguard import services
from budgetguard.bootstrap import App
from budgetguard.domain.errors import BudgetguardError, EvaluationBusy
from budgetguard.metrics import Metrics

log = logging.getLogger(__name__)

# A replica whose interval comes while another one evaluates waits this long, then skips.
LOCK_WAIT_SECONDS = 1.0


class Stopping(Exception):
    """Raised between two chunks of an evaluation when the service is stopping."""


class Workers:
    """The evaluation and delivery threads of one `serve` process."""

    def __init__(self, app: App, metrics: Metrics, deliver: Callable[[], int]) -> None:
        self._app = app
        self._metrics = metrics
        self._deliver = deliver
        self._stop = threading.Event()
        self._bell = threading.Event()
        self._threads = [
            threading.Thread(target=self._evaluate_forever, name="evaluation", daemon=True),
            threading.Thread(target=self._deliver_forever, name="delivery", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wake_delivery(self) -> None:
        """Deliver now rather than at the next poll (something was just queued)."""
        self._bell.set()

    def stop(self, timeout: float = 60.0) -> None:
        """Let the work in hand finish, then end both threads."""
        self._stop.set()
        self._bell.set()
        for thread in self._threads:
            thread.join(timeout)

    def _evaluate_forever(self) -> None:
        interval = self._app.settings.check_interval
        while not self._stop.is_set():
            self._evaluate_once()
            self._stop.wait(interval)

    def _evaluate_once(self) -> None:
        started = time.perf_counter()
        try:
            report = services.evaluate_month(
                app=self._app,
                at=self._app.clock(),
                lock_timeout=LOCK_WAIT_SECONDS,
                on_progress=self._unless_stopping,
            )
        except EvaluationBusy:
            log.debug("another replica is evaluating; skipping this interval")
            return
        except Stopping:
            log.info("evaluation stopped after a chunk: the service is stopping")
            return
        except (BudgetguardError, exc.DBAPIError) as error:
            log.warning("evaluation failed, retrying at the next interval: %s", _brief(error))
            return
        self._metrics.evaluated("interval", report, time.perf_counter() - started)
        if report.notifications:
            self.wake_delivery()

    def _unless_stopping(self, _done: int, _total: int) -> None:
        if self._stop.is_set():
            raise Stopping

    def _deliver_forever(self) -> None:
        poll = self._app.settings.delivery_interval
        while not self._stop.is_set():
            self._bell.clear()
            try:
                self._deliver()
            except (BudgetguardError, exc.DBAPIError) as error:
                log.warning("delivery failed, retrying: %s", _brief(error))
            self._bell.wait(poll)


def _brief(error: Exception) -> str:
    if isinstance(error, exc.DBAPIError) and error.orig is not None:
        return str(error.orig).strip().splitlines()[0]
    return str(error)
