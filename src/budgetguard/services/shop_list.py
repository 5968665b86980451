"""The console's list of shops: one page of it, by keyset, with each shop's standing.

A page is walked segment after segment (domain/shop_list.py) from the position it starts after
(or, going back, before), on indexes only (db/catalog/shop_list.py). A filter checked row by row
could walk a million rows to find few matches: such walks go a window of `window` rows at a time,
at most `windows` windows per page; a page that stops there is *partial* (fewer rows than a full
page, and a "next" position where the search goes on).

A name search first looks the name up on the names' index (db/catalog/shop_names.py): when at
most `NAMED_AT_MOST` shops match, the page is found among those alone, each by its key, and is
never partial; a name that many shops start with is walked as above (its matches are common).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from budgetguard.db.catalog.policies import threshold_bits_of
from budgetguard.db.catalog.shop_list import (
    needs_window,
    page_positions,
    positions_among,
    window_end,
)
from budgetguard.db.catalog.shop_names import shops_named
from budgetguard.db.catalog.standings import status_rows
from budgetguard.domain.period import Month
from budgetguard.domain.shop_list import Listing, Position, Segment
from budgetguard.domain.standing import ShopStatus
from budgetguard.services.uow import Context, reading

PAGE_SIZE = 50
WINDOW = 10_000
WINDOWS = 3
NAMED_AT_MOST = 2_000


@dataclass(frozen=True, slots=True)
class ShopListPage:
    """One page of the list, and where the pages around it start."""

    shops: list[ShopStatus]
    next: Position | None
    """The place the next page starts after (None: this is the last)."""
    previous: Position | None
    """The place the previous page ends before (None: this is the first)."""
    partial: bool
    """The search stopped at its bound before filling the page: `next` goes on from there."""
    thresholds: tuple[int, ...]
    """Every threshold in use (the settings' and the shops' own), for the "past" filter."""


@dataclass(frozen=True, slots=True)
class _Bounds:
    limit: int
    window: int
    windows: int
    among: list[int] | None = None
    """The only shops the filters can keep (a name looked up on its index), or None."""


@dataclass
class _Walk:
    found: list[Position]
    more: bool = False
    stopped_at: Position | None = None


def shop_list_page(
    *,
    context: Context,
    month: Month,
    listing: Listing,
    after: Position | None = None,
    before: Position | None = None,
    limit: int = PAGE_SIZE,
    window: int = WINDOW,
    windows: int = WINDOWS,
    named_at_most: int = NAMED_AT_MOST,
) -> ShopListPage:
    """Return the page of `listing` for `month` after `after` (or before `before`)."""
    with reading(context) as connection:
        thresholds = _thresholds_in_use(connection, context)
        bounds = _Bounds(limit, window, windows, _named(connection, listing, named_at_most))
        walker = _walk if bounds.among is None else _walk_among
        if before is not None:
            walk = walker(connection, month, listing, before, bounds, backward=True)
            if walk.more or walk.stopped_at is not None:
                found = walk.found[::-1]
                earlier = walk.stopped_at if walk.more is False else found[0]
                return ShopListPage(
                    _standings(connection, month, found), found[-1] if found else walk.stopped_at,
                    earlier, walk.stopped_at is not None, thresholds,
                )  # fmt: skip
            after = None  # back at the start: the first page, full
        walk = walker(connection, month, listing, after, bounds, backward=False)
        following = walk.found[-1] if walk.more else walk.stopped_at
        earlier = None
        if after is not None:  # a page ending just where this one starts
            earlier = walk.found[0] if walk.found else walk.stopped_at or after.next_in(listing)
        return ShopListPage(
            _standings(connection, month, walk.found), following, earlier,
            walk.stopped_at is not None, thresholds,
        )  # fmt: skip


def _walk(
    connection: Connection,
    month: Month,
    listing: Listing,
    start: Position | None,
    bounds: _Bounds,
    *,
    backward: bool,
) -> _Walk:
    """Collect up to `limit` places from `start` on (one more tells whether more follow)."""
    walk, budget, limit = _Walk([]), bounds.windows, bounds.limit
    for segment, begin in _segments(listing, start, backward=backward):
        place = begin  # moves on window by window
        while True:
            want = limit + 1 - len(walk.found)
            upto = None
            if needs_window(listing, segment):
                if budget <= 0 and place is not None:  # each segment gets one window at least
                    walk.stopped_at = place
                    return _trimmed(walk, limit)
                budget -= 1
                upto = window_end(connection, month=month, listing=listing, segment=segment,
                                  after=place, backward=backward, size=bounds.window)  # fmt: skip
            got = page_positions(connection, month=month, listing=listing, segment=segment,
                                 after=place, upto=upto, backward=backward, limit=want)  # fmt: skip
            walk.found.extend(got)
            if len(got) == want:
                return _trimmed(walk, limit)
            if upto is None:
                break  # the segment's end
            place = upto
    return _trimmed(walk, limit)


def _walk_among(
    connection: Connection,
    month: Month,
    listing: Listing,
    start: Position | None,
    bounds: _Bounds,
    *,
    backward: bool,
) -> _Walk:
    """`_walk` among the few shops a name search can keep: no window, never partial."""
    walk, limit = _Walk([]), bounds.limit
    for segment, place in _segments(listing, start, backward=backward):
        want = limit + 1 - len(walk.found)
        walk.found.extend(positions_among(connection, month=month, listing=listing,
                                          segment=segment, shop_ids=bounds.among or [],
                                          after=place, backward=backward, limit=want))  # fmt: skip
        if len(walk.found) > limit:
            break
    return _trimmed(walk, limit)


def _segments(
    listing: Listing, start: Position | None, *, backward: bool
) -> list[tuple[Segment, Position | None]]:
    """The segments a walk goes through, from `start`'s on, each with the place to go on from:
    `start` in its own segment, the segment's beginning (None) in the others."""
    segments = listing.segments[::-1] if backward else listing.segments
    if start is not None:
        segments = segments[segments.index(start.segment) :]
    return [(segment, start if i == 0 else None) for i, segment in enumerate(segments)]


def _named(connection: Connection, listing: Listing, at_most: int) -> list[int] | None:
    """The shops a name search can keep, when the names' index finds at most `at_most`."""
    f = listing.filters
    if f.name is None or f.shop_id is not None or at_most <= 0:
        return None
    return shops_named(connection, f.name, at_most=at_most)


def _trimmed(walk: _Walk, limit: int) -> _Walk:
    if len(walk.found) > limit:
        walk.found, walk.more, walk.stopped_at = walk.found[:limit], True, None
    return walk


def _standings(connection: Connection, month: Month, places: list[Position]) -> list[ShopStatus]:
    ids = [p.shop_id for p in places]
    if not ids:
        return []
    by_id = {s.shop_id: s for s in status_rows(connection, month=month, shop_ids=ids,
                                               limit=len(ids))}  # fmt: skip
    return [by_id[i] for i in ids if i in by_id]


def _thresholds_in_use(connection: Connection, context: Context) -> tuple[int, ...]:
    return tuple(sorted({*context.settings.thresholds, *threshold_bits_of(connection)}))


__all__ = ["PAGE_SIZE", "Listing", "Position", "Segment", "ShopListPage", "shop_list_page"]
