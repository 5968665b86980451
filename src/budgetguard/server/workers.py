"""The service's background work, each in a thread of its own: an evaluation every
BUDGETGUARD_CHECK_INTERVAL seconds, one long-lived delivery worker that looks at the outbox
every BUDGETGUARD_DELIVERY_INTERVAL seconds, or at once when the process queued something, and
the prune of what is past its retention, once per BUDGETGUARD_PRUNE_INTERVAL (a day).
`stop` lets the work in hand finish (an evaluation stops after its current chunk, a prune after
its current batch; delivery stops claiming and records what is in flight).

Replicas are safe as they are: evaluations take the evaluation lock (a replica that finds it
taken skips its turn), deliverers claim batches with leases (FOR UPDATE SKIP LOCKED), a prune
takes the prune lock and is skipped when one began less than the interval ago.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import exc

from budgetguard.api.metrics import Metrics
from budgetguard.db.plumbing.engine import first_line
from budgetguard.domain.errors import BudgetguardError, EvaluationBusy
from budgetguard.notify.runner import Control
from budgetguard.services.deliveries import Delivery, deliver_until_stopped
from budgetguard.services.evaluation import evaluate_month
from budgetguard.services.maintenance import prune_if_due
from budgetguard.services.uow import Context

log = logging.getLogger(__name__)

# A replica whose interval comes while another one evaluates waits this long, then skips.
LOCK_WAIT_SECONDS = 1.0
# How often the prune thread looks whether a prune is due (the last one is in bg_prunes).
PRUNE_LOOK_SECONDS = 3600.0


class Stopping(Exception):
    """Raised between two chunks of an evaluation when the service is stopping."""


class Workers:
    """The evaluation and delivery threads of one `serve` process."""

    def __init__(self, context: Context, metrics: Metrics, delivery: Delivery) -> None:
        self._context = context
        self._metrics = metrics
        self._delivery = delivery
        self._stop = threading.Event()
        self._control = Control()
        self._threads = [
            threading.Thread(target=self._evaluate_forever, name="evaluation", daemon=True),
            threading.Thread(target=self._deliver_forever, name="delivery", daemon=True),
            threading.Thread(target=self._prune_forever, name="prune", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wake_delivery(self) -> None:
        """Deliver now rather than at the next poll (something was just queued)."""
        self._control.wake()

    def stop(self, timeout: float = 60.0) -> None:
        """Let the work in hand finish, then end the threads (waiting up to `timeout` each)."""
        self._stop.set()
        self._control.stop()
        for thread in self._threads:
            thread.join(timeout)

    def alive(self) -> list[str]:
        """The names of the threads still running."""
        return [thread.name for thread in self._threads if thread.is_alive()]

    def _evaluate_forever(self) -> None:
        interval = self._context.settings.check_interval
        while not self._stop.is_set():
            self._evaluate_once()
            self._stop.wait(interval)

    def _evaluate_once(self) -> None:
        started = time.perf_counter()
        try:
            report = evaluate_month(
                context=self._context,
                at=self._context.clock(),
                lock_timeout=LOCK_WAIT_SECONDS,
                on_progress=self._unless_stopping,
            )
        except EvaluationBusy:
            log.debug("another replica is evaluating; skipping this interval")
            return
        except Stopping:
            log.info("evaluation stopped after a chunk: the service is stopping")
            return
        except (BudgetguardError, exc.SQLAlchemyError) as error:  # the pool's timeout too
            log.warning("evaluation failed, retrying at the next interval: %s", first_line(error))
            return
        except Exception:
            # A bug must not end the interval evaluation for the life of the process.
            log.exception("the evaluation failed unexpectedly; retrying at the next interval")
            return
        self._metrics.evaluated("interval", report, time.perf_counter() - started)
        if report.notifications:
            self.wake_delivery()

    def _unless_stopping(self, *_progress: object) -> None:
        if self._stop.is_set():
            raise Stopping

    def _deliver_forever(self) -> None:
        """Run the delivery worker until `stop`; start it again after a database failure."""
        pause = self._context.settings.delivery_interval
        while True:
            self._control = Control()  # one per run: its events belong to the run's loop
            if self._stop.is_set():  # checked after: a `stop` in between reaches this control
                return
            try:
                deliver_until_stopped(
                    context=self._context,
                    delivery=self._delivery,
                    control=self._control,
                    on_flush=self._metrics.delivery,
                )
            except (BudgetguardError, exc.SQLAlchemyError) as error:
                log.warning("delivery failed, retrying: %s", first_line(error))
            except Exception:
                # A bug must not end delivery for the life of the process: say so, start again.
                log.exception("the delivery worker stopped unexpectedly; starting it again")
            self._stop.wait(pause)

    def _prune_forever(self) -> None:
        look = min(self._context.settings.prune_interval, PRUNE_LOOK_SECONDS)
        while not self._stop.is_set():
            self._prune_once()
            self._stop.wait(look)

    def _prune_once(self) -> None:
        try:
            report = prune_if_due(context=self._context, on_batch=self._unless_stopping)
        except Stopping:
            log.info("prune stopped after a batch: the service is stopping")
            return
        except (BudgetguardError, exc.SQLAlchemyError) as error:
            log.warning("prune failed: %s", first_line(error))
            return
        except Exception:
            log.exception("the prune failed unexpectedly")
            return
        if report is not None:
            removed = ", ".join(f"{count} {kind}" for kind, count in report.removed.items())
            log.info("pruned what is past its retention: %s", removed)
