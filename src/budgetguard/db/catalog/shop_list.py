"""The console's list of shops as SQL: the places of one page's rows, walked on an index from a
keyset position (never OFFSET paging), and how far a window of the walk reaches.

Each segment is walked on one index, so a page costs the rows it walks, wherever it starts:
* ALL (id order): t_shops' primary key;
* RANKED (percent or spend order): bg_usage's (month, usage_bp, shop_id) or (month, spent,
  shop_id), from either end; "past a threshold" in percent order is a range of the same index;
* REST: t_shops' primary key, keeping the shops without a figure (a primary-key probe of
  bg_usage each).
Other filters (paused: a probe of bg_pauses; offline, name: the t_shops row) are checked on
each row walked; when matches are rare, the caller bounds the walk to a window (`window_end`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.engine import Connection

from budgetguard.db.catalog.shop_names import name_starts_with
from budgetguard.db.schema.console_tables import usage
from budgetguard.db.schema.tables import pauses, shops
from budgetguard.domain.period import Month
from budgetguard.domain.shop_list import Listing, Position, Segment, Sort

Compare = Callable[[Any, Any], ColumnElement[bool]]


def page_positions(
    connection: Connection,
    *,
    month: Month,
    listing: Listing,
    segment: Segment,
    after: Position | None,
    upto: Position | None,
    backward: bool,
    limit: int,
) -> list[Position]:
    """The places of up to `limit` rows of `segment` that pass the filters, walking from `after`
    (excluded; None: the segment's start) to `upto` (included; None: its end), in the list's
    order (`backward`: the reverse)."""
    query = _walk(month, listing, segment, after=after, backward=backward)
    if upto is not None:
        query = query.where(_beyond(listing, segment, upto, up=not _up(listing, segment, backward),
                                    inclusive=True))  # fmt: skip
    query = _filtered(query, month, listing, segment).limit(limit)
    return [_position(segment, row) for row in connection.execute(query)]


def positions_among(
    connection: Connection,
    *,
    month: Month,
    listing: Listing,
    segment: Segment,
    shop_ids: Sequence[int],
    after: Position | None,
    backward: bool,
    limit: int,
) -> list[Position]:
    """As `page_positions` without a bound, among `shop_ids` only (a few thousand at most):
    each is looked up by its key, and the database sorts what it finds. No LIMIT is sent,
    so that no plan walks the sort index from its end instead; the rows past `limit` are
    dropped here."""
    if not shop_ids:
        return []
    _, ident = _columns(listing, segment)
    query = _walk(month, listing, segment, after=after, backward=backward)
    query = _filtered(query, month, listing, segment).where(ident.in_(shop_ids))
    return [_position(segment, row) for row in connection.execute(query).all()[:limit]]


def window_end(
    connection: Connection,
    *,
    month: Month,
    listing: Listing,
    segment: Segment,
    after: Position | None,
    backward: bool,
    size: int,
) -> Position | None:
    """The place of the `size`-th row of `segment` walked from `after`, filters aside (None:
    fewer rows are left). An index-only count of `size` entries, however deep `after` is."""
    query = _walk(month, listing, segment, after=after, backward=backward)
    row = connection.execute(query.offset(size - 1).limit(1)).first()
    return None if row is None else _position(segment, row)


def needs_window(listing: Listing, segment: Segment) -> bool:
    """Whether walking `segment` checks a filter row by row (so a rare match walks far)."""
    f = listing.filters
    if f.shop_id is not None:
        return False  # one point of the index
    if segment is Segment.REST:
        return True
    rowwise = f.paused or f.offline or f.name is not None
    past_rowwise = f.past is not None and not (
        segment is Segment.RANKED and listing.sort is Sort.PERCENT
    )
    return rowwise or past_rowwise


def _walk(
    month: Month, listing: Listing, segment: Segment, *, after: Position | None, backward: bool
) -> Select[Any]:
    """The segment's rows in walking order from `after`: its index only, no filters."""
    up = _up(listing, segment, backward)
    key, ident = _columns(listing, segment)
    if key is None:
        query = select(ident.label("shop_id")).order_by(ident if up else ident.desc())
    else:
        query = (
            select(key.label("key"), ident.label("shop_id"))
            .where(usage.c.month == month.first_day, key.is_not(None))
            .order_by(*((key, ident) if up else (key.desc(), ident.desc())))
        )
        if listing.sort is Sort.PERCENT and listing.filters.past_bp is not None:
            query = query.where(usage.c.usage_bp >= listing.filters.past_bp)
    if after is not None:
        query = query.where(_beyond(listing, segment, after, up=up, inclusive=False))
    return query


def _filtered(query: Select[Any], month: Month, listing: Listing, segment: Segment) -> Select[Any]:
    f = listing.filters
    if segment is Segment.RANKED:
        query = query.join(shops, shops.c.a_id == usage.c.shop_id)
        if f.past_bp is not None and listing.sort is not Sort.PERCENT:
            query = query.where(usage.c.usage_bp >= f.past_bp)
    elif segment is Segment.REST:
        key, _ = _columns(listing, Segment.RANKED)
        query = query.where(~_usage_of(month).where(key.is_not(None)).exists())
    elif f.past_bp is not None:
        query = query.where(_usage_of(month).where(usage.c.usage_bp >= f.past_bp).exists())
    return query.where(*_row_filters(listing, usage.c.shop_id if segment is Segment.RANKED
                                     else shops.c.a_id))  # fmt: skip


def _row_filters(listing: Listing, shop_id: Any) -> list[ColumnElement[bool]]:
    """The filters checked on the shop's own rows (t_shops, bg_pauses)."""
    f = listing.filters
    found = []
    if f.shop_id is not None:
        found.append(shop_id == f.shop_id)
    if f.paused:
        found.append(exists().where(pauses.c.shop_id == shop_id))
    if f.offline:
        found.append(shops.c.a_online == false())
    if f.name is not None:
        found.append(name_starts_with(f.name))
    return found


def _usage_of(month: Month) -> Select[Any]:
    return select(usage.c.shop_id).where(
        usage.c.month == month.first_day, usage.c.shop_id == shops.c.a_id
    )


def _columns(listing: Listing, segment: Segment) -> tuple[Any, Any]:
    """The segment's sort key (None: by id alone) and id columns."""
    if segment is not Segment.RANKED:
        return None, shops.c.a_id
    key = usage.c.usage_bp if listing.sort is Sort.PERCENT else usage.c.spent
    return key, usage.c.shop_id


def _up(listing: Listing, segment: Segment, backward: bool) -> bool:
    """Whether the walk goes up the index (ascending keys)."""
    return listing.descends(segment) == backward


def _beyond(
    listing: Listing, segment: Segment, place: Position, *, up: bool, inclusive: bool
) -> ColumnElement[bool]:
    """The rows past `place` going up (or down); `inclusive`: and `place` itself.

    Written as `k >= a AND (k > a OR (k = a AND id > b))`, not a row value (which MariaDB does
    not use as an index range): the first term bounds the index scan on every database."""
    key, ident = _columns(listing, segment)
    strict: Compare = operator.gt if up else operator.lt
    last: Compare = (operator.ge if up else operator.le) if inclusive else strict
    if key is None:
        return last(ident, place.shop_id)
    # The plain bound on the key first: PostgreSQL starts the index scan at it (it cannot from
    # the OR alone, and would walk every row before the place, filtering).
    bound: Compare = operator.ge if up else operator.le
    return and_(
        bound(key, place.key),
        or_(strict(key, place.key), and_(key == place.key, last(ident, place.shop_id))),
    )


def _position(segment: Segment, row: Any) -> Position:
    key = row.key if segment is Segment.RANKED else None
    return Position(segment, key, int(row.shop_id))
