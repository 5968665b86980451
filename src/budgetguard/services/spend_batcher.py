"""Group commit of single spend events: those that arrive close together share a transaction.

A single event costs one transaction of its own: a lock round (PostgreSQL's advisory locks), a
BEGIN, a handful of statements and a COMMIT (a flush to disk). Under concurrent load most of
that is per transaction, not per event. The batcher collects the events that arrive within
BUDGETGUARD_SPEND_GROUP_WINDOW milliseconds of the first one (or BUDGETGUARD_SPEND_GROUP_MAX
events, whichever comes first) and applies them in one transaction (spend_group.py), in a
worker thread so the event loop never waits on the database. While GROUPS_IN_FLIGHT groups are
being applied the next group keeps growing (up to the maximum), so a busy database gets bigger
groups rather than a queue of small ones.

What it promises:
* each event is answered only after the transaction that stored it committed;
* each answer is what the event alone would have got (spend_group.py: repeats, refusals and
  standings are decided per event, in arrival order);
* one event that breaks the group's transaction (anything but an outage) does not fail its
  neighbours: the group is applied again one event at a time, each in its own transaction;
* an outage (the database does not answer) fails the group's events with it, as it would have
  failed each of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import anyio.to_thread

from budgetguard.db.plumbing.engine import database_failed
from budgetguard.domain.errors import DatabaseUnavailable
from budgetguard.services.spend import Located, SpendReport, record_spend
from budgetguard.services.spend_group import Outcome, Single, record_group
from budgetguard.services.uow import Context

log = logging.getLogger(__name__)

# Groups applied at once; the next one grows meanwhile. Two keep one group's statements on the
# database while the other's answers are built, and leave the request threads to other routes.
GROUPS_IN_FLIGHT = 2


def _nothing(_size: int) -> None:
    return None


_Waiting = tuple[Single, "asyncio.Future[SpendReport]"]


class SpendBatcher:
    """Collects single spend events and applies each group in one transaction."""

    def __init__(
        self, context: Callable[[], Context], *, on_group: Callable[[int], None] = _nothing
    ) -> None:
        """`context`: the use cases' context, asked for each group (and for the settings at
        each event: BUDGETGUARD_SPEND_GROUP_*); `on_group` is told each group's size."""
        self._context = context
        self._on_group = on_group
        self._waiting: list[_Waiting] = []
        self._timer: asyncio.TimerHandle | None = None
        self._due = False
        self._in_flight: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        """Whether the settings group events (a window above 0, more than one event a group)."""
        settings = self._context().settings
        return settings.spend_group_window > 0 and settings.spend_group_max > 1

    @property
    def _most(self) -> int:
        return self._context().settings.spend_group_max

    async def submit(self, single: Single) -> SpendReport:
        """Queue `single` for the next group; return its report once that group committed, or
        raise the refusal it would have got alone."""
        future: asyncio.Future[SpendReport] = asyncio.get_running_loop().create_future()
        self._waiting.append((single, future))
        if len(self._waiting) >= self._most:
            self._close_group()
        elif self._timer is None and not self._due:
            window = self._context().settings.spend_group_window / 1000
            self._timer = asyncio.get_running_loop().call_later(window, self._close_group)
        return await future

    async def drain(self) -> None:
        """Apply and answer every event queued so far (at shutdown): nothing acknowledged or
        waiting is left behind."""
        while self._waiting or self._in_flight:
            if self._waiting:
                self._close_group()
            if self._in_flight:
                await asyncio.wait(set(self._in_flight))

    def _close_group(self) -> None:
        """Start the groups waiting while fewer than GROUPS_IN_FLIGHT are applied; what is left
        grows until one of those is done."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = asyncio.get_running_loop()
        while self._waiting and len(self._in_flight) < GROUPS_IN_FLIGHT:
            most = self._most
            group, self._waiting = self._waiting[:most], self._waiting[most:]
            task = loop.create_task(self._apply(group))
            self._in_flight.add(task)
            task.add_done_callback(self._done)
        self._due = bool(self._waiting)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if self._waiting and (self._due or len(self._waiting) >= self._most):
            self._close_group()

    async def _apply(self, group: list[_Waiting]) -> None:
        singles = [single for single, _ in group]
        try:
            outcomes = await anyio.to_thread.run_sync(self._record, singles)
        except asyncio.CancelledError:
            for _, future in group:
                future.cancel()
            raise
        except Exception as error:  # an outage: each event of the group hears it
            outcomes = [error] * len(group)
        else:
            self._on_group(len(group))
        for (_, future), outcome in zip(group, outcomes, strict=True):
            _answer(future, outcome)

    def _record(self, singles: Sequence[Single]) -> list[Outcome | BaseException]:
        """Apply the group in one transaction; if it fails for any reason but an outage, apply
        its events one at a time so that one bad event fails alone."""
        try:
            return list(record_group(context=self._context(), group=singles))
        except Exception as error:
            if isinstance(error, DatabaseUnavailable) or database_failed(error):
                raise  # an outage: one by one would wait for the database once per event
            if len(singles) == 1:
                raise
            log.warning("a group of %d spend events failed (%s); one by one", len(singles), error)
            return [self._alone(single) for single in singles]

    def _alone(self, single: Single) -> Outcome | BaseException:
        try:
            return record_spend(
                context=self._context(), events=[Located(single.event, "")], source=single.source
            )
        except Exception as error:  # this event's own failure (or refusal), answered to it alone
            return error


def _answer(future: asyncio.Future[SpendReport], outcome: Outcome | BaseException) -> None:
    if future.done():  # its request went away; the event is stored (or refused) all the same
        return
    if isinstance(outcome, SpendReport):
        future.set_result(outcome)
    else:
        future.set_exception(outcome)
