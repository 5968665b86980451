"""The delivery loop: dispatch, claim, send concurrently, record — never a lock while sending.

One asyncio task per claimed record sends it (the console takes its records as one ordered
batch); up to `concurrency` are in flight, and at most `per_recipient` to any one recipient (and
to the SMTP server), so a slow or hanging endpoint holds a few slots for its timeout while the
others keep flowing: claims pass over a saturated recipient's records. The database side is a
`DeliveryStore` (services/delivery_store.py), called in one thread of its own, so the event loop
never waits on the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Collection, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from budgetguard.domain.delivery import Candidate, Claimed, DeliveryReport, Picker
from budgetguard.domain.recipients import CONSOLE_KEY, ChannelKind, Recipient
from budgetguard.notify.channels.base import SendFailed
from budgetguard.notify.channels.email import SMTP_CONNECTIONS
from budgetguard.notify.recipients import Recipients, Unreadable, Unroutable

log = logging.getLogger("budgetguard.notify")
T = TypeVar("T")
SMTP_LANE = "smtp"
QUICK_LOOK = 0.025
"""Seconds a worker that has just found work waits before it looks again: notifications that
keep coming are picked up within tens of milliseconds, while an idle worker soon backs off to
the poll interval (one cheap look per interval)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt ended: delivered (no error), failed, or failed for good."""

    claimed: Claimed
    label: str
    error: str | None = None
    gone: bool = False
    final: bool = False


class DeliveryStore(Protocol):
    """The worker's database side: each call is one short transaction, no network in it."""

    def dispatch(self, limit: int) -> int:
        """Fan up to `limit` due notifications out into delivery records; return how many."""
        ...

    def claim(
        self, limit: int, *, skip: Collection[str], channels: Collection[ChannelKind], pick: Picker
    ) -> list[Claimed]:
        """Claim due records, passing over the recipients in `skip` and the `channels`."""
        ...

    def record(self, outcomes: Sequence[Outcome]) -> DeliveryReport:
        """Record what each attempt did; schedule retries; bury the hopeless."""
        ...


@dataclass(frozen=True)
class WorkerOptions:
    batch_size: int = 500
    dispatch_batch: int = 2000
    concurrency: int = 200
    per_recipient: int = 32
    poll_interval: float = 1.0
    send_limit: float = 10.0
    """Seconds one send may take in all (connect, TLS, request, answer) before it fails."""


class DeliveryWorker:
    def __init__(
        self,
        *,
        store: DeliveryStore,
        recipients: Recipients,
        options: WorkerOptions,
        on_flush: Callable[[DeliveryReport], None] | None = None,
    ) -> None:
        self._store = store
        self._recipients = recipients
        self._options = options
        self._on_flush = on_flush
        self._inflight: set[asyncio.Task[None]] = set()
        self._lanes: Counter[str] = Counter()
        self._outcomes: list[Outcome] = []
        self._crashed: BaseException | None = None
        self._free = options.concurrency
        self._pause = options.poll_interval
        self._wake = asyncio.Event()
        self._db = ThreadPoolExecutor(1, thread_name_prefix="budgetguard-db")
        self._console = ThreadPoolExecutor(1, thread_name_prefix="budgetguard-console")
        self.report = DeliveryReport()

    async def run(
        self, *, once: bool, stop: asyncio.Event, wake: asyncio.Event | None = None
    ) -> DeliveryReport:
        """Deliver until nothing is due (`once`) or `stop` is set; finish what is in flight.

        A worker that found nothing due looks again after a pause, or as soon as `wake` is set:
        QUICK_LOOK after it last found work, doubling at each empty look up to the poll interval.
        """
        self._wake = wake or asyncio.Event()
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                self._raise_crash()
                found = await self._step()
                if found:
                    self._pause = min(QUICK_LOOK, self._options.poll_interval)
                    continue
                if found is False and once and not self._inflight:
                    break  # nothing was due when last looked, and nothing is in flight
                await self._wait(stopping)
            if self._inflight:
                await asyncio.wait(self._inflight)
            self._raise_crash()
            await self._flush()
        except BaseException:
            await self._settle()
            raise
        finally:
            stopping.cancel()
            self._db.shutdown(wait=True)
            self._console.shutdown(wait=True)
        return self.report

    async def _settle(self) -> None:
        """On the way out after a failure: let the sends in flight finish and record what is
        known, so that nothing already sent is sent again after the lease."""
        if self._inflight:
            await asyncio.wait(self._inflight)
        try:
            await self._flush()
        except Exception:
            log.exception("could not record %s delivery outcomes; their records are due again "
                          "when their lease runs out", len(self._outcomes))  # fmt: skip

    async def _step(self) -> bool | None:
        """Dispatch a batch, claim what there is room for, start it.

        Return True when there was work, False when nothing was due, None when there was no
        room to look (the in-flight sends must finish first).
        """
        free = self._options.concurrency - len(self._inflight)
        if free < min(self._options.batch_size, self._options.concurrency // 2) and self._inflight:
            # No room to claim: dispatching now would only make records nobody takes yet.
            await self._flush()
            return None
        dispatched = await self._in_db(self._store.dispatch, self._options.dispatch_batch)
        self.report.dispatched += dispatched
        self._free = free  # network sends this claim may start; console records are batched
        full = {lane for lane, n in self._lanes.items() if n >= self._quota(lane)}
        channels = [ChannelKind.EMAIL] if SMTP_LANE in full else []
        claimed = await self._in_db(
            self._store.claim, self._options.batch_size, skip=full - {SMTP_LANE}, channels=channels,
            pick=self._pick,
        )  # fmt: skip
        self._start(claimed)
        await self._flush()
        if dispatched or claimed:
            return True
        # Records of a busy recipient were passed over: wait for its sends, do not stop.
        return None if full else False

    async def _wait(self, stopping: asyncio.Future[Any]) -> None:
        """Wait for a send to finish, for `stop`, for `wake`, or for the next look."""
        waking = asyncio.ensure_future(self._wake.wait())
        waiting: set[asyncio.Future[Any]] = {stopping, waking, *self._inflight}
        try:
            await asyncio.wait(waiting, timeout=self._pause, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waking.cancel()
        self._wake.clear()
        self._pause = min(2 * self._pause, self._options.poll_interval)
        if self._inflight and len(self._outcomes) < self._options.batch_size // 4:
            # Let a few more finish, so outcomes are recorded in batches, not one by one.
            await asyncio.wait(self._inflight, timeout=0.02)

    def _pick(self, candidates: list[Candidate]) -> list[Candidate]:
        """Take records while there are free slots, each recipient's up to its quota; the console
        takes any number (one batch, one slot)."""
        taken: Counter[str] = Counter()
        chosen = []
        for candidate in candidates:
            lane = _lane(candidate.recipient, candidate.channel)
            if lane != CONSOLE_KEY:
                busy = self._lanes[lane] + taken[lane] >= self._quota(lane)
                if busy or taken.total() >= self._free:
                    continue
                taken[lane] += 1
            chosen.append(candidate)
        return chosen

    def _quota(self, lane: str) -> int:
        """Sends in flight at most to one recipient; to the SMTP server, no more than it has
        sessions, so that no e-mail spends its time limit waiting for one."""
        if lane == SMTP_LANE:
            return min(self._options.per_recipient, SMTP_CONNECTIONS)
        return self._options.per_recipient

    def _start(self, claimed: Sequence[Claimed]) -> None:
        console = [c for c in claimed if c.recipient == CONSOLE_KEY]
        if console:
            self._spawn(self._to_console(console), [CONSOLE_KEY] * len(console))
        for record in claimed:
            if record.recipient != CONSOLE_KEY:
                self._spawn(self._send(record), [_lane(record.recipient, record.channel)])

    def _spawn(self, work: Coroutine[Any, Any, None], lanes: list[str]) -> None:
        task = asyncio.ensure_future(work)
        self._inflight.add(task)
        self._lanes.update(lanes)

        def done(finished: asyncio.Task[None]) -> None:
            self._inflight.discard(finished)
            self._lanes.subtract(lanes)
            if not finished.cancelled() and finished.exception() is not None:
                self._crashed = self._crashed or finished.exception()

        task.add_done_callback(done)

    def _raise_crash(self) -> None:
        """Re-raise what a task died of (a channel's bug): its records come back after the lease."""
        if self._crashed is not None:
            raise self._crashed

    async def _send(self, claimed: Claimed) -> None:
        try:
            recipient = self._recipients.resolve(claimed)
        except Unroutable as error:
            self._outcomes.append(Outcome(claimed, claimed.recipient, str(error), final=True))
            return
        except Unreadable as error:  # a missing or wrong key: retried, the others go on
            self._outcomes.append(Outcome(claimed, claimed.recipient, str(error)))
            return
        except Exception as error:  # a bug in routing must not take the worker down either
            log.exception("unexpected failure routing delivery %s", claimed.id)
            error_text = f"unexpected {type(error).__name__}"
            self._outcomes.append(Outcome(claimed, claimed.recipient, error_text))
            return
        transport = self._recipients.transports[recipient.kind]
        try:
            async with asyncio.timeout(self._options.send_limit):
                notification = self._recipients.addressed(claimed)
                await transport.send(notification, recipient, key=claimed.recipient)
        except SendFailed as error:
            self._fail(claimed, recipient, str(error), gone=error.gone)
        except TimeoutError:
            self._fail(claimed, recipient, f"no answer within {self._options.send_limit:g} s")
        except Exception as error:  # a bug in a transport must not take the worker down
            log.exception("unexpected failure sending delivery %s", claimed.id)
            self._fail(claimed, recipient, f"unexpected {type(error).__name__}")
        else:
            self._outcomes.append(Outcome(claimed, recipient.label))

    def _fail(
        self, claimed: Claimed, recipient: Recipient, error: str, *, gone: bool = False
    ) -> None:
        self._outcomes.append(Outcome(claimed, recipient.label, error, gone=gone))

    async def _to_console(self, claimed: list[Claimed]) -> None:
        channel = self._recipients.console
        batch = [c.notification for c in claimed]
        loop = asyncio.get_running_loop()
        try:
            errors = await loop.run_in_executor(self._console, channel.deliver, batch)
        except Exception as crash:  # a channel's bug: the batch is retried, the worker goes on
            log.exception("unexpected failure printing %s notifications", len(batch))
            errors = {n.id: f"console: unexpected {type(crash).__name__}" for n in batch}
        for record in claimed:
            error = errors.get(record.notification.id)
            self._outcomes.append(Outcome(record, channel.name, error))

    async def _flush(self) -> None:
        if self._outcomes:
            outcomes, self._outcomes = self._outcomes, []
            recorded = await self._in_db(self._store.record, outcomes)
            self.report.add(recorded)
            if self._on_flush is not None:
                self._on_flush(recorded)

    async def _in_db(self, work: Callable[..., T], *args: object, **kwargs: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: work(*args, **kwargs))


def _lane(recipient: str, channel: ChannelKind) -> str:
    """What a record's quota is counted against: its recipient, or the one SMTP server."""
    return SMTP_LANE if channel is ChannelKind.EMAIL else recipient
