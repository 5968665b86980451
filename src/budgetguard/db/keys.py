"""`column IN (…many keys…)` as each database takes it best.

PostgreSQL gets one array parameter (`column = ANY(:keys)`): a thousand placeholders would cost
more to render, send and parse than the query itself. The others get an expanding IN list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, literal
from sqlalchemy.dialects.postgresql import ARRAY


def one_of(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the keys passed as the parameter `name` (a list)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def one_of_values(
    column: ColumnElement[Any], values: tuple[Any, ...], dialect: str
) -> ColumnElement[bool]:
    """`column` is one of `values` (bound with the statement)."""
    if dialect == "postgresql":
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(values)
