"""The console's list of shops: how it is ordered and filtered, and a row's place in it.

Shops are listed by id, or by percent or spend as budgetguard last saw them (bg_usage). In
percent or spend order, the shops *ranked* (with a figure) come first, in the order asked; the
*rest* (no budget this month, not evaluated yet, or an unusable budget) follow, by ascending id,
whichever the direction: a shop without a figure is neither the most nor the least spent.

A place in the list (`Position`) is the row's sort key and id: the keyset a page starts after.
It is written in links as `<key>,<id>` (`none,<id>` among the rest; `<id>` in id order).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum


class Sort(Enum):
    PERCENT = "percent"
    SPEND = "spend"
    ID = "id"


class Segment(Enum):
    """A stretch of the list walked on one index."""

    ALL = "all"
    """Every shop, by id (id order)."""
    RANKED = "ranked"
    """The shops with a figure, by (figure, id) (percent or spend order)."""
    REST = "rest"
    """The shops without a figure, by ascending id (after the ranked ones)."""


NONE = "none"


@dataclass(frozen=True, slots=True)
class Filters:
    """Which shops the list keeps; all that are set must hold."""

    past: int | None = None
    """Usage at or past this percent (shops with a figure only)."""
    paused: bool = False
    """Paused by budgetguard."""
    offline: bool = False
    """Offline, for whatever reason."""
    name: str | None = None
    """The name starts with this (case-insensitive)."""
    shop_id: int | None = None
    """This shop only."""

    @property
    def past_bp(self) -> int | None:
        return None if self.past is None else self.past * 100


@dataclass(frozen=True, slots=True)
class Listing:
    """What the list shows: its order, direction and filters."""

    sort: Sort = Sort.PERCENT
    descending: bool = True
    filters: Filters = Filters()

    @property
    def segments(self) -> tuple[Segment, ...]:
        if self.sort is Sort.ID:
            return (Segment.ALL,)
        if self.filters.past is not None:
            return (Segment.RANKED,)  # a shop without a figure is past no threshold
        return (Segment.RANKED, Segment.REST)

    def descends(self, segment: Segment) -> bool:
        """Whether `segment` is walked from the highest key down, going forward."""
        return self.descending and segment is not Segment.REST


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A row's place: its segment, its sort key (None outside RANKED) and its shop id."""

    segment: Segment
    key: int | Decimal | None
    shop_id: int

    def next_in(self, listing: Listing) -> Position:
        """The place just after this one going forward: a page ending before it shows this
        row last (ids are whole numbers, so no row lies between the two)."""
        step = -1 if listing.descends(self.segment) else 1
        return Position(self.segment, self.key, self.shop_id + step)

    def text(self) -> str:
        """The position as links carry it."""
        if self.segment is Segment.ALL:
            return str(self.shop_id)
        return f"{NONE if self.key is None else self.key},{self.shop_id}"

    @classmethod
    def parse(cls, text: str, sort: Sort) -> Position:
        """Read a position written by `text` for a list in `sort` order; ValueError if not."""
        if sort is Sort.ID:
            return cls(Segment.ALL, None, _shop_id(text))
        key, comma, shop = text.partition(",")
        if not comma:
            raise ValueError(f"not a place in the list (<key>,<id>): {text!r}")
        if key == NONE:
            return cls(Segment.REST, None, _shop_id(shop))
        return cls(Segment.RANKED, _key(key, sort), _shop_id(shop))


def _shop_id(text: str) -> int:
    if not text.removeprefix("-").isdigit() or len(text) > 11:
        raise ValueError(f"not a shop id: {text!r}")
    return int(text)


def _key(text: str, sort: Sort) -> int | Decimal:
    if sort is Sort.PERCENT:
        if not text.lstrip("-").isdigit() or len(text) > 12:
            raise ValueError(f"not a usage in basis points: {text!r}")
        return int(text)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not amount.is_finite() or len(text) > 20:
        raise ValueError(f"not an amount: {text!r}")
    return amount


def search_terms(q: str | None) -> tuple[int | None, str | None]:
    """What a search box means: an id (digits only) or the start of a name (else)."""
    text = (q or "").strip()
    if not text:
        return None, None
    if text.isdigit() and len(text) <= 10:
        return int(text), None
    return None, text
