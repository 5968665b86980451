"""The overview in a real browser: an operator signs in and sees the database's counts."""

from __future__ import annotations

from typing import Any

from budgetguard.domain.users import Role
from support.aside import aside
from support.browser import check_accessibility, screenshots
from support.overview import MONTH, counted, every_state

from .conftest import Console


def test_an_operator_signs_in_and_the_overviews_counts_equal_the_databases(
    console: Console, page: Any
) -> None:
    console.add_user("olga", Role.OPERATOR)
    aside(every_state, console.world)  # its webhook's client runs an event loop of its own
    expected = counted(console.world.context.engine)
    page.goto(f"{console.url}/?month={MONTH}")
    console.sign_in(page, "olga", here=True)

    shown = {
        key: int(page.locator(f"#count-{key}").inner_text().replace(",", ""))
        for key in expected
        if not key.startswith("bucket-")
    }
    table = page.locator("#usage-table tbody tr").all_inner_texts()
    buckets = {f"bucket-{i}": int(row.split("\t")[-1]) for i, row in enumerate(table[:11])}

    assert {**shown, **buckets} == expected
    assert page.get_by_role("img", name="Budgets of July 2020 by usage").is_visible()
    assert page.locator("#evaluations tbody tr").count() == 2
    check_accessibility(page)
    screenshots(page, "overview")


def test_the_overview_of_a_month_never_evaluated_says_when_usage_appears(
    console: Console, page: Any
) -> None:
    console.add_user("vera", Role.VIEWER)
    console.sign_in(page, "vera")
    page.goto(f"{console.url}/?month=2031-01")

    assert "usage appears after the next evaluation" in page.locator("#no-usage").inner_text()
    check_accessibility(page)
