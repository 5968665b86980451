"""Every chunk statement that joins bg_policies reads only the scope's range of it.

PostgreSQL carries no range on t_budgets' shop id over a join to bg_policies: without the
scope in the join's condition it hash-joined every policy row to each chunk, per statement
(the first evaluation at 1M shops with policies grew with the square of the shops)."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement

from budgetguard.db.evaluation.forecasts import forecast_sql
from budgetguard.db.evaluation.statements import evaluation_sql

UNIVERSE = ((50, 0), (100, 1), (80, 2))
SCOPED_JOIN = (
    "LEFT OUTER JOIN bg_policies ON bg_policies.shop_id = t_budgets.a_shop_id"
    " AND bg_policies.shop_id > %(after)s::BIGINT AND bg_policies.shop_id <= %(upto)s::BIGINT"
)


def sql_of(statement: ClauseElement) -> str:
    return str(statement.compile(dialect=postgresql.dialect()))


@pytest.mark.parametrize(
    "name",
    [
        "findings",
        "queue_resumes",
        "queue_threshold_notifications",
        "record_pauses",
        "record_alerts",
    ],
)
@pytest.mark.parametrize("every_zone", [True, False])
def test_a_chunk_statement_joins_only_the_scopes_policies(name: str, every_zone: bool) -> None:
    sql = evaluation_sql(
        UNIVERSE, "postgresql", narrowed=False, zones=1, every_zone=every_zone, forecasts=True
    )
    text = sql_of(getattr(sql, name))
    assert SCOPED_JOIN in text


@pytest.mark.parametrize("name", ["queue", "record"])
def test_a_forecast_statement_joins_only_the_scopes_policies(name: str) -> None:
    sql = evaluation_sql(UNIVERSE, "postgresql", narrowed=False, zones=1, every_zone=False)
    text = sql_of(getattr(forecast_sql(sql), name))
    assert SCOPED_JOIN in text
