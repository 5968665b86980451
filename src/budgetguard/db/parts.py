"""Split long lists of keys into statement-sized parts (itertools.batched arrives in 3.12)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def in_parts(items: Iterable[T], size: int) -> Iterator[tuple[T, ...]]:
    """Yield `items` as consecutive tuples of at most `size`."""
    iterator = iter(items)
    while part := tuple(islice(iterator, size)):
        yield part
