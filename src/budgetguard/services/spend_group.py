"""Apply a group of single spend events in one transaction, each answered as if it ran alone.

The group commit (spend_batcher.py) hands this module the single events (POST /v1/spend) that
arrived within a few milliseconds. They share one transaction and the batch's statements: the
shops locked in id order, then the budgets in (month, shop) order, the stored ids read at once,
the new events inserted at once. Each event's outcome is then decided on its own, in arrival
order, as if the events had come one after the other: a repeat answers as a repeat, an unknown
shop or a missing budget or a total out of range is refused alone, and its neighbours go on.

Rounds keep each answer what the event would have got alone: the k-th new event of every budget
is in round k; each round writes its budgets' totals, evaluates them and reads their standings,
so an event's answer shows its budget after that event (not after a later one of the group), and
two events that cross 50 % then 100 % queue two notifications, as they did one at a time. With
distinct budgets (the usual group) there is one round.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from budgetguard.db.catalog.shops import LockedBudget, lock_budgets, lock_shops
from budgetguard.db.catalog.spend import find_events, record_events, write_spent
from budgetguard.db.catalog.standings import standings
from budgetguard.db.evaluation.request import evaluate_budgets, shop_zones
from budgetguard.domain.errors import Conflict, FieldProblem, NotFound, Refusal
from budgetguard.domain.evaluation import ChunkResult
from budgetguard.domain.period import Month
from budgetguard.domain.spend import SpendEvent, spend_out_of_range
from budgetguard.domain.standing import ShopStatus
from budgetguard.services.spend import SpendReport
from budgetguard.services.uow import Context, Isolation, write

Budget = tuple[Month, int]
Outcome = SpendReport | Refusal
"""What one event of a group gets: its report, or the refusal it would have got alone."""


@dataclass(frozen=True, slots=True)
class Single:
    """One single spend event waiting in a group, and the name of its caller's key."""

    event: SpendEvent
    source: str


@dataclass
class _Plan:
    """Each event's fate, decided in arrival order before anything is written."""

    outcomes: dict[int, Outcome] = field(default_factory=dict)
    rounds: list[dict[int, tuple[Budget, Decimal]]] = field(default_factory=list)
    """Per round: event index -> (its budget, that budget's total once the event counts)."""
    repeats: dict[int, Budget] = field(default_factory=dict)


def record_group(*, context: Context, group: Sequence[Single]) -> list[Outcome]:
    """Record a group of single events in one transaction; return each one's outcome, in order."""
    return write(
        context,
        lambda connection: _apply(context, connection, group),
        what="spend events",
        isolation=Isolation.SNAPSHOT,
        shops={single.event.shop_id for single in group},
    )


def _apply(context: Context, connection: Connection, group: Sequence[Single]) -> list[Outcome]:
    now = context.clock()
    # The order of every writer (db/catalog/shops.py): the shops, then budgets by (month, shop);
    # the shops' zones are read once their rows are locked (db/evaluation/request.py).
    known = lock_shops(connection, (single.event.shop_id for single in group))
    zones = shop_zones(
        connection, context.settings.policy_defaults, (x.event.shop_id for x in group)
    )
    # Each event counts in the month of its instant on its shop's clock.
    months = [Month.containing(x.event.occurred_at, zones[x.event.shop_id]) for x in group]
    touched: dict[Month, set[int]] = defaultdict(set)
    for single, month in zip(group, months, strict=True):
        touched[month].add(single.event.shop_id)
    locked = {
        month: lock_budgets(connection, month.first_day, shop_ids & known)
        for month, shop_ids in sorted(touched.items())
    }
    stored = find_events(connection, (single.event.event_id for single in group))
    plan = _plan(group, months, locked, known, stored)
    fresh = [i for round_ in plan.rounds for i in round_]
    record_events(
        connection,
        [group[i].event for i in fresh],
        months={group[i].event.event_id: months[i].first_day for i in fresh},
        received_at=now,
        source={group[i].event.event_id: group[i].source for i in fresh},
    )
    _answer(context, connection, plan, zones, now)
    return [plan.outcomes[i] for i in range(len(group))]


def _answer(
    context: Context,
    connection: Connection,
    plan: _Plan,
    zones: dict[int, ZoneInfo],
    now: datetime,
) -> None:
    """Apply the rounds in turn, each answered with its budgets' standings once it counts; the
    repeats are answered with the standings after the last round (`zones`: each shop's)."""
    for number, round_ in enumerate(plan.rounds, 1):
        queued = _write_and_evaluate(context, connection, round_, zones, now)
        wanted = {i: budget for i, (budget, _) in round_.items()}
        if number == len(plan.rounds):
            wanted |= plan.repeats
        found = _standings(context, connection, set(wanted.values()))
        for i, budget in wanted.items():
            plan.outcomes[i] = _report(i in round_, found.get(budget), queued.get(i))
    if not plan.rounds and plan.repeats:
        found = _standings(context, connection, set(plan.repeats.values()))
        for i, budget in plan.repeats.items():
            plan.outcomes[i] = _report(False, found.get(budget), None)


def _plan(
    group: Sequence[Single],
    months: Sequence[Month],
    locked: dict[Month, dict[int, LockedBudget]],
    known: set[int],
    stored: dict[str, SpendEvent],
) -> _Plan:
    """Decide each event in arrival order, as if each ran alone after the ones before it."""
    plan = _Plan()
    seen = dict(stored)
    totals: dict[Budget, Decimal] = {}
    counted: dict[Budget, int] = defaultdict(int)
    for i, (single, month) in enumerate(zip(group, months, strict=True)):
        event = single.event
        earlier = seen.get(event.event_id)
        if earlier is not None and earlier.same_payload(event):
            plan.repeats[i] = (month, event.shop_id)
            continue
        if earlier is not None:
            clash = f"event {event.event_id} was recorded before with another payload"
            plan.outcomes[i] = Conflict.listing([FieldProblem("event_id", clash)])
            continue
        budget = locked[month].get(event.shop_id)
        if budget is None:
            plan.outcomes[i] = _missing(event.shop_id, month, known)
            continue
        key = (month, event.shop_id)
        total = totals.get(key, budget.spent or Decimal(0)) + event.amount
        if (reason := spend_out_of_range(total)) is not None:
            problem = FieldProblem("amount", f"spend of shop {event.shop_id} for {month}: {reason}")
            plan.outcomes[i] = Conflict.listing([problem])
            continue
        totals[key] = total
        seen[event.event_id] = event
        if counted[key] == len(plan.rounds):
            plan.rounds.append({})
        plan.rounds[counted[key]][i] = (key, total)
        counted[key] += 1
    return plan


def _missing(shop_id: int, month: Month, known: set[int]) -> Refusal:
    """The refusal of an event whose shop or budget does not exist (as record_spend words it)."""
    if shop_id not in known:
        return NotFound.listing([FieldProblem("shop_id", f"shop {shop_id} does not exist")])
    return Conflict.listing([FieldProblem("shop_id", f"shop {shop_id} has no budget for {month}")])


def _write_and_evaluate(
    context: Context,
    connection: Connection,
    round_: dict[int, tuple[Budget, Decimal]],
    zones: dict[int, ZoneInfo],
    now: datetime,
) -> dict[int, ChunkResult]:
    """Write the round's totals and evaluate its budgets of the current month; return, by
    event, what the evaluation queued: all of it under the first such event (counted once),
    an empty result under the others, nothing for events of other months (not evaluated)."""
    by_month: dict[Month, dict[int, Decimal]] = defaultdict(dict)
    for (month, shop_id), total in round_.values():
        by_month[month][shop_id] = total
    for month, spent in sorted(by_month.items()):
        write_spent(connection, month.first_day, spent)

    def current(month: Month, shop: int) -> bool:  # the shop's month on its clock
        return Month.containing(now, zones[shop]) == month

    evaluated = [i for i, ((month, shop), _) in round_.items() if current(month, shop)]
    if not evaluated:
        return {}
    shops = {shop: zones[shop] for (month, shop), _ in round_.values() if current(month, shop)}
    defaults = context.settings.policy_defaults
    queued = evaluate_budgets(connection, defaults=defaults, zones=shops, now=now)
    return {i: queued if n == 0 else ChunkResult() for n, i in enumerate(evaluated)}


def _standings(
    context: Context, connection: Connection, wanted: set[Budget]
) -> dict[Budget, ShopStatus]:
    by_month: dict[Month, set[int]] = defaultdict(set)
    for month, shop_id in wanted:
        by_month[month].add(shop_id)
    defaults = context.settings.policy_defaults
    return {(s.month, s.shop_id): s for s in standings(connection, by_month, defaults=defaults)}


def _report(applied: bool, standing: ShopStatus | None, queued: ChunkResult | None) -> Outcome:
    return SpendReport(
        applied=int(applied),
        duplicates=int(not applied),
        standings=[] if standing is None else [standing],
        queued=queued,
    )
