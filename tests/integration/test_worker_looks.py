"""How soon a long-running worker looks for due work again: soon after work, rarely when idle."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import replace

from budgetguard.domain.delivery import Claimed, DeliveryReport, Picker
from budgetguard.domain.recipients import ChannelKind
from budgetguard.notify.runner import Control, deliver
from budgetguard.notify.worker import Outcome
from support.world import World

POLL = 30.0
"""Far longer than the test: a look the worker makes within it is not the poll's."""


class LookingStore:
    """A store whose first dispatch finds work and nothing more; it records each look."""

    def __init__(self) -> None:
        self.looks = 0
        self.enough = threading.Event()

    def dispatch(self, limit: int) -> int:
        return 1 if self.looks == 0 else 0

    def claim(
        self, limit: int, *, skip: Collection[str], channels: Collection[ChannelKind], pick: Picker
    ) -> list[Claimed]:
        self.looks += 1
        if self.looks >= 5:
            self.enough.set()
        return []

    def record(self, outcomes: Sequence[Outcome]) -> DeliveryReport:
        return DeliveryReport()


def test_a_worker_that_just_found_work_looks_again_long_before_the_poll_interval(
    world: World,
) -> None:
    delivery = world.delivery()
    store, control = LookingStore(), Control()
    options = replace(delivery.options, poll_interval=POLL)
    worker = threading.Thread(
        target=deliver,
        args=(store, delivery.recipients, delivery.console, options),
        kwargs={"once": False, "control": control},
    )
    worker.start()
    try:
        looked = store.enough.wait(timeout=POLL / 3)
    finally:
        control.stop()
        worker.join(timeout=POLL)

    assert looked, f"{store.looks} looks: the worker waited for the poll interval"
    assert not worker.is_alive()
