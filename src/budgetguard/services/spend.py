"""Use cases of spend ingestion: record events, add them to their budgets, evaluate at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.engine import Connection

from budgetguard.db.catalog.shops import LockedBudget, lock_budgets, lock_shops
from budgetguard.db.catalog.spend import find_events, record_events, write_spent
from budgetguard.db.catalog.standings import standings
from budgetguard.db.evaluation.request import evaluate_budgets, shop_zones
from budgetguard.domain.errors import Conflict, FieldProblem, NotFound, Unacceptable
from budgetguard.domain.evaluation import ChunkResult
from budgetguard.domain.period import Month
from budgetguard.domain.spend import SpendEvent, spend_out_of_range
from budgetguard.domain.standing import ShopStatus
from budgetguard.services.uow import Context, Isolation, write


@dataclass(frozen=True, slots=True)
class Located:
    """A spend event and where it stands in the request (`""`, or `events[3].` in a batch)."""

    event: SpendEvent
    where: str


@dataclass
class SpendReport:
    """What a request did: events applied, repeats ignored, budgets as they stand now."""

    applied: int = 0
    duplicates: int = 0
    standings: list[ShopStatus] = field(default_factory=list)
    queued: ChunkResult | None = None
    """What the evaluation of the current month's budgets queued; None: none was evaluated."""


def record_spend(*, context: Context, events: Sequence[Located], source: str) -> SpendReport:
    """Record new spend events, add them to their budgets and evaluate those, all or nothing.

    A repeated event id with the same payload counts nothing; with another payload the whole
    request is refused (422 when both are in the request, 409 when one was stored before).
    Events of the current month (platform time zone) are evaluated in the same transaction;
    those of other months are recorded and counted only.
    """
    _refuse_clashes(events)
    shop_ids = {located.event.shop_id for located in events}
    return write(
        context,
        lambda connection: _apply(context, connection, events, source),
        what="spend events",
        isolation=Isolation.SNAPSHOT,
        shops=shop_ids,
    )


def _refuse_clashes(events: Sequence[Located]) -> None:
    """Refuse an event id that appears again in the request with another payload, at each."""
    first: dict[str, Located] = {}
    clashes: list[FieldProblem] = []
    for located in events:
        earlier = first.setdefault(located.event.event_id, located)
        if not earlier.event.same_payload(located.event):
            reason = f"event {located.event.event_id} appears earlier with another payload"
            clashes.append(FieldProblem(f"{located.where}event_id", reason))
    if clashes:
        raise Unacceptable.listing(clashes, with_fields=True)


def _apply(
    context: Context, connection: Connection, events: Sequence[Located], source: str
) -> SpendReport:
    defaults, now = context.settings.policy_defaults, context.clock()
    # The order of every writer (db/catalog/shops.py): the shops, then budgets by (month, shop);
    # the shops' zones are read once their rows are locked (db/evaluation/request.py).
    known = lock_shops(connection, (x.event.shop_id for x in events))
    zones = shop_zones(connection, defaults, (x.event.shop_id for x in events))
    # Each event counts in the month of its instant on its shop's clock.
    months = {
        x.event.event_id: Month.containing(x.event.occurred_at, zones[x.event.shop_id])
        for x in events
    }
    touched: dict[Month, set[int]] = defaultdict(set)
    for located in events:
        touched[months[located.event.event_id]].add(located.event.shop_id)
    locked = {
        month: lock_budgets(connection, month.first_day, shop_ids & known)
        for month, shop_ids in sorted(touched.items())
    }
    fresh = _new_events(connection, events)
    report = SpendReport(applied=len(fresh), duplicates=len(events) - len(fresh))
    _refuse_missing(fresh, months, locked, known)
    totals = _new_totals(fresh, months, locked)
    record_events(
        connection,
        [x.event for x in fresh],
        months={e: m.first_day for e, m in months.items()},
        received_at=now,
        source=source,
    )
    for month, spent in totals.items():
        write_spent(connection, month.first_day, spent)
    # The budgets of each shop's current month on its clock are evaluated.
    evaluated = {
        s: zones[s]
        for month, spent in totals.items()
        for s in spent
        if Month.containing(now, zones[s]) == month
    }
    if evaluated:
        report.queued = evaluate_budgets(connection, defaults=defaults, zones=evaluated, now=now)
    report.standings = standings(connection, touched, defaults=defaults)
    return report


def _new_events(connection: Connection, events: Sequence[Located]) -> list[Located]:
    """The events not stored yet (the first of repeats); refuse ids stored with another payload."""
    stored = find_events(connection, (x.event.event_id for x in events))
    fresh: list[Located] = []
    seen: set[str] = set()
    conflicts: list[FieldProblem] = []
    for located in events:
        event = located.event
        earlier = stored.get(event.event_id)
        if earlier is not None and not earlier.same_payload(event):
            reason = f"event {event.event_id} was recorded before with another payload"
            conflicts.append(FieldProblem(f"{located.where}event_id", reason))
        elif earlier is None and event.event_id not in seen:
            fresh.append(located)
        seen.add(event.event_id)
    if conflicts:
        raise Conflict.listing(conflicts)
    return fresh


def _refuse_missing(
    fresh: Sequence[Located],
    months: dict[str, Month],
    locked: dict[Month, dict[int, LockedBudget]],
    known: set[int],
) -> None:
    missing = [x for x in fresh if x.event.shop_id not in locked[months[x.event.event_id]]]
    if not missing:
        return
    unknown = [x for x in missing if x.event.shop_id not in known]
    if unknown:
        raise NotFound.listing(
            [
                FieldProblem(f"{x.where}shop_id", f"shop {x.event.shop_id} does not exist")
                for x in unknown
            ]
        )
    raise Conflict.listing(
        [
            FieldProblem(f"{x.where}shop_id", f"shop {shop} has no budget for {month}")
            for x in missing
            for shop, month in [(x.event.shop_id, months[x.event.event_id])]
        ]
    )


def _new_totals(
    fresh: Sequence[Located],
    months: dict[str, Month],
    locked: dict[Month, dict[int, LockedBudget]],
) -> dict[Month, dict[int, Decimal]]:
    """Each touched budget's new spend; refuse totals the DECIMAL(10,2) column cannot hold."""
    totals: dict[Month, dict[int, Decimal]] = defaultdict(dict)
    first_at: dict[tuple[Month, int], str] = {}
    for located in fresh:
        event = located.event
        month = months[event.event_id]
        budget = locked[month][event.shop_id]
        current = totals[month].get(event.shop_id, budget.spent or Decimal(0))
        totals[month][event.shop_id] = current + event.amount
        first_at.setdefault((month, event.shop_id), located.where)
    problems = [
        FieldProblem(
            f"{first_at[(month, shop_id)]}amount",
            f"spend of shop {shop_id} for {month}: {reason}",
        )
        for month, spent in totals.items()
        for shop_id, total in spent.items()
        if (reason := spend_out_of_range(total)) is not None
    ]
    if problems:
        raise Conflict.listing(problems)
    return dict(totals)
