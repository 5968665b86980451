"""Evaluate a few budgets inside a request's transaction, with the sweep's own chunk unit.

A request that changes budgets (spend events, a new budget amount, a shop's online flag)
evaluates exactly those budgets before it commits, with the sweep's own chunk unit (chunk.py):
the same statements, over a scope narrowed to the shops it touched. An evaluation that changes
something is recorded as a row of `bg_evaluations` (its id stamps the notifications and claims
it writes), inserted in the request's transaction, so it exists exactly when the request's
changes do.

Why every statement sees the same budgets (what the sweep gets from REPEATABLE READ): the
request has locked the shop rows, then read their zones (`shop_zones`), then locked the budget
rows (SELECT … FOR UPDATE), and runs in REPEATABLE READ too —
* PostgreSQL: one snapshot for the transaction, taken by that first locking read; a concurrent
  writer of the same rows (the platform, the sweep, another replica) makes our write fail with
  a serialisation failure, and the request runs again (services/uow.py). Requests for the same
  shop, from any replica, queue on an advisory lock before they begin (plumbing/shop_locks.py),
  so they do not fail each other;
* MySQL/MariaDB: the first locking read waits for any writer of those rows and reads the newest
  version; InnoDB creates the read view at the first plain read, after the locks are held, and
  every INSERT … SELECT and joined UPDATE of the evaluation is a locking read of current rows;
* SQLite: every transaction is BEGIN IMMEDIATE, so there is one writer at a time.
The primary key of bg_alerts stays the last line, as for the sweep. The universe of
thresholds is read in the request's transaction and checked again at its end
(policies.same_universe).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from budgetguard.db.catalog import policies
from budgetguard.db.evaluation import records
from budgetguard.db.evaluation.chunk import change, needs_work
from budgetguard.db.evaluation.history import history_sql, record_history
from budgetguard.db.evaluation.scope import ChunkScope, Stamp
from budgetguard.db.evaluation.shop_terms import mask_params, pass_params
from budgetguard.db.evaluation.statements import evaluation_sql
from budgetguard.db.plumbing.keys import in_parts
from budgetguard.domain.evaluation import ChunkResult
from budgetguard.domain.policy import PolicyDefaults
from budgetguard.domain.shop_clock import MonthPass, month_passes

SHOPS_PER_SCOPE = 500


def shop_zones(
    connection: Connection, defaults: PolicyDefaults, shop_ids: Iterable[int]
) -> dict[int, ZoneInfo]:
    """Each shop's time zone: its policy's, or the settings'."""
    ids = set(shop_ids)
    zones = policies.zones_of(connection, ids)
    return {s: ZoneInfo(zones.get(s, defaults.timezone)) for s in ids}


def evaluate_budgets(
    connection: Connection,
    *,
    defaults: PolicyDefaults,
    zones: Mapping[int, ZoneInfo],
    now: datetime,
) -> ChunkResult:
    """Evaluate the budgets of the shops of `zones` (`shop_zones`), each for its current month
    on its clock, with its own policy, in the caller's transaction.

    The evaluation is recorded in bg_evaluations only when it changes something (its id then
    stamps what it writes; one row per month evaluated), so the usual request, which changes
    nothing, writes no row there.
    """
    # The universe, read in the request's transaction like the masks (policies.same_universe).
    bits = policies.ensure_bits(connection, defaults.thresholds, settings=defaults.thresholds)
    masks = mask_params(defaults, bits)
    total = ChunkResult()
    by_zone: dict[str, list[int]] = defaultdict(list)
    for shop_id, zone in zones.items():
        by_zone[zone.key].append(shop_id)
    for month_pass in month_passes(now, defaults.timezone, by_zone):
        # The pass's shops are told apart here, so its statements need not filter by zone.
        ids = sorted(s for clock in month_pass.clocks for s in by_zone.get(clock.zone, ()))
        if ids:
            terms = pass_params(month_pass, defaults) | masks
            total.add(
                _evaluate_pass(
                    connection, month_pass=month_pass, bits=bits, terms=terms, ordered=ids, now=now
                )
            )
    policies.same_universe(connection, bits)
    return total


def _evaluate_pass(
    connection: Connection,
    *,
    month_pass: MonthPass,
    bits: dict[int, int],
    terms: dict[str, object],
    ordered: list[int],
    now: datetime,
) -> ChunkResult:
    universe = tuple(sorted(bits.items()))
    total = ChunkResult()
    stamp: Stamp | None = None
    month = month_pass.month
    for part in in_parts(ordered, SHOPS_PER_SCOPE):
        # One budget is the range (id - 1, id]; several, their range narrowed to their ids.
        narrowed = len(part) > 1
        dialect = connection.dialect.name
        sql = evaluation_sql(universe, dialect, narrowed=narrowed, zones=len(month_pass.others))
        only = part if narrowed else ()
        scope = ChunkScope(month.first_day, part[0] - 1, part[-1], only, terms=terms)
        history = history_sql(sql)
        total.recorded += record_history(connection, history, scope.params() | {"at": now})
        if not needs_work(connection, sql, scope, total.skipped):
            continue
        if stamp is None:
            evaluation_id = records.record_completed(connection, month=month, now=now)
            stamp = Stamp(evaluation_id, now, now)
        total.add(change(connection, sql, scope, stamp))
    if stamp is not None:
        records.count(connection, stamp.evaluation_id, total, len(ordered))
    return total
