"""The console's list of shops: every shop exactly once, in the order asked, forward and back,
whatever the filters, on every database (issue 8, "Shops")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from budgetguard.db.catalog import shop_names
from budgetguard.db.catalog.policies import ensure_bits
from budgetguard.domain.period import Month
from budgetguard.domain.shop_list import Filters, Listing, Position, Sort
from budgetguard.services.shop_list import ShopListPage, shop_list_page
from support.platform import wipe
from support.usage import Listed, load
from support.world import World

MONTH = Month(2020, 7)
LISTINGS = [Listing(sort, descending) for sort in Sort for descending in (True, False)]


def expected(listed: list[Listed], listing: Listing) -> list[int]:
    """The list as the console should show it, worked out here the slow way."""
    f = listing.filters

    def key(s: Listed) -> int | Decimal | None:
        if not s.has_usage:
            return None
        return s.usage_bp if listing.sort is Sort.PERCENT else s.spent

    def kept(s: Listed) -> bool:
        return (
            (f.past is None or (s.has_usage and (s.usage_bp or -1) >= f.past * 100))
            and (not f.paused or s.paused)
            and (not f.offline or not s.online)
            and (f.name is None or s.name.lower().startswith(f.name.lower()))
            and (f.shop_id is None or s.shop_id == f.shop_id)
        )

    shown = [s for s in listed if kept(s)]
    if listing.sort is Sort.ID:
        return sorted((s.shop_id for s in shown), reverse=listing.descending)
    ranked = sorted(
        (s for s in shown if key(s) is not None),
        key=lambda s: (key(s), s.shop_id),
        reverse=listing.descending,
    )
    return [s.shop_id for s in ranked] + sorted(s.shop_id for s in shown if key(s) is None)


def page(world: World, listing: Listing, **given: object) -> ShopListPage:
    return shop_list_page(context=world.context, month=MONTH, listing=listing, **given)  # type: ignore[arg-type]


def ids(found: ShopListPage) -> list[int]:
    return [s.shop_id for s in found.shops]


def forward(world: World, listing: Listing, **bounds: int) -> list[ShopListPage]:
    pages = [page(world, listing, **bounds)]
    while pages[-1].next is not None:
        assert len(pages) < 1000, "the pages do not end"
        pages.append(page(world, listing, after=pages[-1].next, **bounds))
    return pages


def backward(world: World, listing: Listing, last: ShopListPage, **bounds: int) -> list[int]:
    """Walk back from `last` by the previous links; return the whole list as seen going back."""
    seen, at = ids(last), last
    while at.previous is not None:
        assert len(seen) < 100_000, "the pages do not end"
        at = page(world, listing, before=at.previous, **bounds)
        if at.previous is None:  # the first page, in full: it may reach into what was seen
            first = ids(at)
            start = first.index(seen[0]) if seen and seen[0] in first else len(first)
            assert seen[: len(first) - start] == first[start:]
            return first[:start] + seen
        seen = ids(at) + seen
    return seen


def mixed_shops(n: int) -> list[Listed]:
    """`n` shops: spend ties, no budget, no usage row, unusable budgets, offline and paused."""
    listed = []
    for i in range(1, n + 1):
        budget = None if i % 11 == 0 else Decimal("0.00") if i % 23 == 0 else Decimal(100 + i % 3)
        listed.append(Listed(
            shop_id=i, name=f"{'Alpha' if i % 2 else 'beta'} {i}", budget=budget,
            spent=Decimal(i * 7 % 130), online=i % 5 != 0, paused=i % 10 == 0,
            evaluated=i % 17 != 0,
        ))  # fmt: skip
    return listed


def test_paging_forward_and_back_shows_every_shop_once_in_each_order(world: World) -> None:
    listed = mixed_shops(260)
    load(world.context.engine, MONTH, listed)

    for listing in LISTINGS:
        want = expected(listed, listing)
        pages = forward(world, listing)
        assert [i for p in pages for i in ids(p)] == want, listing
        assert all(len(ids(p)) == 50 for p in pages[:-1])
        assert pages[0].previous is None
        assert backward(world, listing, pages[-1]) == want, listing


def test_filters_keep_only_matching_shops_and_combine(world: World) -> None:
    listed = mixed_shops(120)
    load(world.context.engine, MONTH, listed)

    for filters in (
        Filters(past=50), Filters(past=100), Filters(paused=True), Filters(offline=True),
        Filters(name="beta"), Filters(name="ALPHA 1"), Filters(shop_id=42), Filters(shop_id=999),
        Filters(past=50, offline=True), Filters(paused=True, name="b"),
        Filters(past=80, paused=True, offline=True),
    ):  # fmt: skip
        for listing in LISTINGS:
            asked = Listing(listing.sort, listing.descending, filters)
            got = [i for p in forward(world, asked, limit=7) for i in ids(p)]
            assert got == expected(listed, asked), asked


def test_rare_matches_are_searched_a_window_at_a_time(world: World) -> None:
    listed = mixed_shops(200)
    load(world.context.engine, MONTH, listed)
    asked = Listing(Sort.ID, False, Filters(name="alpha 19"))  # 19, 191..199

    pages = forward(world, asked, limit=5, window=20, windows=2, named_at_most=0)  # a walk

    assert [i for p in pages for i in ids(p)] == expected(listed, asked)
    assert pages[0].partial  # 40 shops searched
    assert ids(pages[0]) == [19]
    assert pages[0].next == Position(pages[0].next.segment, None, 40)  # type: ignore[union-attr]
    assert any(p.partial and not p.shops for p in pages)


@pytest.mark.parametrize("sort", list(Sort))
def test_a_name_few_shops_start_with_is_found_on_its_index_in_whole_pages(
    world: World, sort: Sort
) -> None:
    listed = mixed_shops(200)
    load(world.context.engine, MONTH, listed)
    asked = Listing(sort, True, Filters(name="ALPHA 19"))  # 19, 191..199: 6 of them odd

    by_index = forward(world, asked, limit=4, window=20, windows=1, named_at_most=6)
    walked = forward(world, asked, limit=4, window=20, windows=1, named_at_most=5)

    want = expected(listed, asked)
    assert len(want) == 6
    assert [i for p in by_index for i in ids(p)] == want
    assert not any(p.partial for p in by_index), "the index found them all: no window"
    assert backward(world, asked, by_index[-1], limit=4, named_at_most=6) == want
    assert [i for p in walked for i in ids(p)] == want
    assert any(p.partial for p in walked), "more than at_most match: walked, a window at a time"


def test_a_name_search_ignores_case_even_where_the_names_collation_does_not(
    world: World, backend: str
) -> None:
    """A MySQL/MariaDB column under a case-sensitive collation: its index cannot find "Alpha"
    for "alpha", so the list walks the names, and still finds it."""
    if backend != "mariadb":
        pytest.skip("only MySQL/MariaDB take the collation of the platform's column")
    engine = world.context.engine
    with engine.connect() as connection:  # the session's database: put back as it was after
        kept = connection.execute(shop_names.NAME_COLLATION).scalar_one()
    try:
        _name_collation(engine, "utf8mb4_bin")
        listed = mixed_shops(30)
        load(engine, MONTH, listed)
        asked = Listing(Sort.ID, False, Filters(name="alpha 1"))
        with engine.connect() as connection:
            assert shop_names.shops_named(connection, "alpha 1", at_most=100) is None

        got = [i for p in forward(world, asked, limit=4) for i in ids(p)]
    finally:
        _name_collation(engine, kept)

    assert got == expected(listed, asked) == [1, 11, 13, 15, 17, 19]


def _name_collation(engine: Engine, collation: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(f"ALTER TABLE t_shops MODIFY a_name VARCHAR(255) COLLATE {collation} NOT NULL")
        )
    shop_names.forget_collations()


def test_a_name_search_matches_the_start_literally(world: World) -> None:
    listed = [Listed(1, "100% cotton", Decimal(10)), Listed(2, "100 percent", Decimal(10)),
              Listed(3, "a_b", Decimal(10)), Listed(4, "axb", Decimal(10))]  # fmt: skip
    load(world.context.engine, MONTH, listed)

    for name, want in (("100%", [1]), ("a_", [3]), ("100", [1, 2]), ("cotton", [])):
        got = ids(page(world, Listing(Sort.ID, False, Filters(name=name))))
        assert got == want, name


def test_the_thresholds_offered_are_the_settings_and_the_shops_own(world: World) -> None:
    with world.context.engine.begin() as connection:
        ensure_bits(connection, [50, 80, 100, 120], settings=(50, 100))

    found = page(world, Listing())

    assert found.thresholds == (50, 80, 100, 120)


listed_shops = st.lists(
    st.builds(
        Listed,
        shop_id=st.just(0),
        name=st.sampled_from(["Alpha", "alpine", "Beta"]),
        budget=st.one_of(st.none(), st.sampled_from([Decimal("0.00"), Decimal(100), Decimal(50)])),
        spent=st.sampled_from([Decimal(v) for v in ("0.00", "25.00", "50.00", "99.99", "150.00")]),
        online=st.booleans(),
        paused=st.booleans(),
        evaluated=st.booleans(),
    ),
    max_size=30,
)
filters = st.builds(
    Filters,
    past=st.sampled_from([None, None, 50, 100]),
    paused=st.booleans(),
    offline=st.booleans(),
    name=st.sampled_from([None, None, "al", "b"]),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shops=listed_shops,
    filtered=filters,
    sort=st.sampled_from(Sort),
    descending=st.booleans(),
    window=st.integers(min_value=1, max_value=8),
    named_at_most=st.sampled_from([0, 2000]),  # a name search walked, or found on its index
)
def test_any_shops_page_in_order_with_ties_and_missing_figures(  # noqa: PLR0917 - Hypothesis
    world: World, shops: list[Listed], filtered: Filters, sort: Sort, descending: bool,
    window: int, named_at_most: int,
) -> None:  # fmt: skip
    wipe(world.context.engine)
    listed = [Listed(i + 1, *vars_of(s)[1:]) for i, s in enumerate(shops)]
    load(world.context.engine, MONTH, listed)
    asked = Listing(sort, descending, filtered)
    bounds = {"limit": 3, "window": window, "windows": 2, "named_at_most": named_at_most}

    pages = forward(world, asked, **bounds)

    want = expected(listed, asked)
    assert [i for p in pages for i in ids(p)] == want
    assert backward(world, asked, pages[-1], **bounds) == want


def vars_of(s: Listed) -> tuple[object, ...]:
    return (s.shop_id, s.name, s.budget, s.spent, s.online, s.paused, s.evaluated)
