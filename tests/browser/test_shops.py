"""Filter and page the shops in a real browser (issue 8, "Shops")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from budgetguard.domain.period import Month
from budgetguard.domain.users import Role
from support.browser import check_accessibility, screenshots
from support.usage import Listed, load

from .conftest import Console

NAMES = ("Atelier Nord", "Boutique Lila", "Café Couture", "Denim District", "Ember & Oak",
         "Fjord Wear", "Gilded Thread", "Harbour Knits", "Indigo Loom", "Juniper Lane")  # fmt: skip


def shops() -> list[Listed]:
    listed = []
    for i in range(1, 131):
        spent = Decimal(i * 37 % 140) + Decimal("0.45")
        listed.append(Listed(
            shop_id=i, name=f"{NAMES[i % 10]} {i}", budget=None if i % 13 == 0 else Decimal(100),
            spent=spent, online=spent < 100 and i % 9 != 0, paused=spent >= 100 and i % 13 != 0,
            fired=tuple(t for t in (50, 100) if spent >= t and i % 13 != 0),
        ))  # fmt: skip
    return listed


def shown(page: Any) -> list[int]:
    page.wait_for_load_state()  # after a click: the whole table, not the rows parsed so far
    cells = page.locator("table.shop-list tbody tr td:first-child").all_inner_texts()
    return [int(c) for c in cells]


def test_filter_and_page_the_shops(console: Console, page: Any) -> None:
    listed = shops()
    load(console.world.context.engine, Month(2020, 7), listed)
    console.add_user("olga", Role.OPERATOR)
    console.sign_in(page, "olga")

    page.goto(f"{console.url}/shops?month=2020-07")
    first = shown(page)
    assert len(first) == 50
    check_accessibility(page)
    screenshots(page, "shops")

    page.get_by_label("Usage").select_option("50")
    page.get_by_label("Sort by").select_option("id")
    page.get_by_label("Order").select_option("asc")
    page.get_by_role("button", name="Apply filters").click()
    past = sorted(s.shop_id for s in listed if s.has_usage and (s.usage_bp or 0) >= 5000)
    assert shown(page) == past[:50]
    check_accessibility(page)

    page.get_by_role("link", name="Next page →").click()
    assert shown(page) == past[50:100]
    page.get_by_role("link", name="← Previous page").click()
    assert shown(page) == past[:50]

    page.get_by_label("Shop id or name").fill("fjord")
    page.get_by_role("button", name="Apply filters").click()
    assert shown(page) == [i for i in past if NAMES[i % 10] == "Fjord Wear"]
    page.get_by_label("Shop id or name").fill("")
    page.get_by_label("Paused by budgetguard").check()
    page.get_by_label("Usage").select_option("")
    page.get_by_label("Sort by").select_option("spend")
    page.get_by_label("Order").select_option("desc")
    page.get_by_role("button", name="Apply filters").click()
    paused = sorted((s for s in listed if s.paused), key=lambda s: (s.spent, s.shop_id))
    assert shown(page) == [s.shop_id for s in reversed(paused)][:50]
    check_accessibility(page)
    screenshots(page, "shops-filtered")

    page.get_by_role("link", name=f"{NAMES[first[0] % 10]} {first[0]}").first.click()
    assert "/shops/" in page.url
