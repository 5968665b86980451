"""`column IN (…many keys…)` as each database takes it best, and lists cut to statement size.

PostgreSQL gets one array parameter (`column = ANY(:keys)`): a thousand placeholders would cost
more to render, send and parse than the query itself. The others get an expanding IN list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, any_, bindparam

T = TypeVar("T")

KEYS_PER_STATEMENT = 1000
"""Keys one statement names at most (SQLite allows 32,766 parameters)."""


def one_of(
    column: ColumnElement[Any], dialect: str, name: str, values: Sequence[Any] | None = None
) -> ColumnElement[bool]:
    """`column` is one of a list of keys: the parameter `name`, given at execution, or
    `values`, bound with the statement now."""
    value, unique = (list(values), True) if values is not None else (None, False)
    if dialect == "postgresql":
        # Imported here: the PostgreSQL dialect's module costs every command start-up otherwise.
        from sqlalchemy.dialects.postgresql import ARRAY  # noqa: PLC0415

        keys = bindparam(name, value, type_=ARRAY(column.type), unique=unique)
        return column == any_(keys)
    return column.in_(bindparam(name, value, expanding=True, unique=unique))


def in_parts(items: Iterable[T], size: int = KEYS_PER_STATEMENT) -> Iterator[tuple[T, ...]]:
    """Yield `items` as consecutive tuples of at most `size` (itertools.batched is 3.12)."""
    iterator = iter(items)
    while part := tuple(islice(iterator, size)):
        yield part
