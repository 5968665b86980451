"""The evaluations' own rows (`bg_evaluations`), and the split of a month into chunks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from budgetguard.db.evaluation.scope import ChunkScope
from budgetguard.db.evaluation.shop_terms import ShopTerms
from budgetguard.db.schema.tables import budgets, evaluations
from budgetguard.domain.evaluation import ChunkResult, EvaluationReport
from budgetguard.domain.period import Month


def count_budgets(
    connection: Connection, month: Month, terms: ShopTerms, params: Mapping[str, Any]
) -> int:
    """How many budget rows `month` has of shops in the pass (`terms`, with its `params`)."""
    query = select(func.count()).where(budgets.c.a_month == month.first_day)
    if not terms.every_zone:
        query = query.select_from(terms.join(budgets)).where(terms.in_pass())
    return int(connection.execute(query, dict(params)).scalar_one())


def start(connection: Connection, *, month: Month, at: datetime, now: datetime) -> int:
    """Record an evaluation of `month` as running; return its id."""
    row = {"month": month.first_day, "evaluated_at": at, "started_at": now, "outcome": "running"}
    return _insert(connection, row)


def abandon_running(connection: Connection, *, before: int, now: datetime) -> int:
    """Mark evaluations begun before evaluation `before` and still `running` as `abandoned`;
    return how many.

    Call it holding the evaluation lock: no other evaluation can then be running, so such a row
    was left by a process that died (SIGKILL, power loss) before it could record its end. The
    lock is a session lock and died with it. (SQLite has no session lock; an evaluation that
    does finish after all records its own outcome over this one.)
    """
    stale = (evaluations.c.outcome == "running") & (evaluations.c.id < before)
    result = connection.execute(
        update(evaluations).where(stale).values(outcome="abandoned", finished_at=now)
    )
    return int(result.rowcount)


def finish(
    connection: Connection, report: EvaluationReport, *, now: datetime, outcome: str
) -> None:
    """Record how an evaluation ended and what it did."""
    connection.execute(
        update(evaluations)
        .where(evaluations.c.id == report.evaluation_id)
        .values(finished_at=now, outcome=outcome, **_counts(report, report.budgets))
    )


def record_completed(connection: Connection, *, month: Month, now: datetime) -> int:
    """Record an evaluation done at once (a request's); return its id. `count` fills it in."""
    row = {
        "month": month.first_day,
        "evaluated_at": now,
        "started_at": now,
        "finished_at": now,
        "outcome": "completed",
    }
    return _insert(connection, row)


def count(connection: Connection, evaluation_id: int, result: ChunkResult, budgets: int) -> None:
    """Record what a completed evaluation did."""
    connection.execute(
        update(evaluations)
        .where(evaluations.c.id == evaluation_id)
        .values(**_counts(result, budgets))
    )


def chunks(
    connection: Connection, month: Month, size: int, terms: Mapping[str, Any]
) -> list[ChunkScope]:
    """Split shop ids into ranges of `size` budget rows of `month` each (the last: the rest),
    each evaluated with the month pass's `terms` (shop_terms.pass_params)."""
    planned: list[ChunkScope] = []
    after: int | None = None
    while True:
        query = (
            select(budgets.c.a_shop_id)
            .where(budgets.c.a_month == month.first_day)
            # MariaDB otherwise walks the index from the month's first entry every time.
            .with_hint(budgets, "FORCE INDEX (ix_t_budgets_month_shop)", "mysql")
            .with_hint(budgets, "FORCE INDEX (ix_t_budgets_month_shop)", "mariadb")
        )
        if after is not None:
            query = query.where(budgets.c.a_shop_id > after)
        upto = connection.execute(
            query.order_by(budgets.c.a_shop_id).offset(size - 1).limit(1)
        ).scalar()
        planned.append(ChunkScope(month.first_day, after, upto, terms=terms))
        if upto is None:
            return planned
        after = upto


def _insert(connection: Connection, row: dict[str, object]) -> int:
    key = connection.execute(insert(evaluations).values(**row)).inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new evaluation")
    return int(key[0])


def _counts(result: ChunkResult, budgets: int) -> dict[str, int]:
    return {
        "budgets": budgets,
        "notifications": result.notifications,
        "paused": result.paused,
        "resumed": result.resumed,
        "skipped": len(result.skipped),
    }
