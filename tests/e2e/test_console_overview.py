"""The console's overview over real HTTP: its counts, its cache, its empty month."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import event

from budgetguard.api.dependencies import Runtime
from budgetguard.domain.overview import MonthOwnFigures
from budgetguard.domain.period import Month
from budgetguard.domain.users import Role
from budgetguard.services.overview import month_own_figures, shop_wide_figures
from budgetguard.services.overview_cache import OverviewCache
from budgetguard.services.users import add_user
from support.console import signed_in_client
from support.overview import MONTH, counted, every_state
from support.server import api_in_thread
from support.world import World

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password


def shown(html: str) -> dict[str, int]:
    """The figures the page shows, by their element id (`count-shops` → `shops`)."""
    figures = {
        key: int(value.replace(",", ""))
        for key, value in re.findall(r'id="count-([a-z0-9-]+)">([\d,]+)<', html)
    }
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="number">([\d,]+)</td>', html)
    figures.update({f"bucket-{i}": int(count.replace(",", "")) for i, (_l, count) in
                    enumerate(r for r in rows if r[0] != "No usable budget")})  # fmt: skip
    return figures


@dataclass
class Served:
    url: str
    runtime: Runtime
    world: World


@pytest.fixture
def served(world: World) -> Iterator[Served]:
    add_user(context=world.context, name="vera", role=Role.VIEWER, password=PASSWORD)
    with api_in_thread(world.context) as (url, runtime, _bell):
        yield Served(url, runtime, world)


def test_the_overview_counts_equal_the_databases(served: Served) -> None:
    url, world = served.url, served.world
    every_state(world)
    with closing(signed_in_client(url, "vera", PASSWORD)) as client:
        page = client.get("/", params={"month": MONTH})

    assert page.status_code == 200
    figures = shown(page.text)
    expected = counted(world.context.engine)
    assert {k: figures.get(k) for k in expected} == expected
    some = ("paused", "offline", "failed", "past-80", "waiting")
    assert [expected[k] for k in some] == [1, 2, 1, 1, 1], "the world has shops in every state"
    assert 'No usable budget</th><td class="number">1<' in page.text
    assert page.text.count('<span class="outcome outcome-') == 2, "both evaluations listed"


def test_a_month_never_evaluated_says_usage_appears_after_the_next_evaluation(
    served: Served,
) -> None:
    url, world = served.url, served.world
    world.platform.add_shop(1)
    world.platform.set_budget(1, MONTH, "100.00", "30.00")
    with closing(signed_in_client(url, "vera", PASSWORD)) as client:
        page = client.get("/", params={"month": MONTH})

    assert "usage appears after the next evaluation" in page.text
    assert 'class="histogram"' not in page.text
    assert shown(page.text)["budgets"] == 1


def test_the_counts_are_kept_for_their_seconds_then_recounted_behind_the_stale_ones(
    served: Served,
) -> None:
    url, world = served.url, served.world
    ticks = [100.0]
    computed: list[str] = []

    def month_own(month: Month) -> MonthOwnFigures:
        computed.append(str(month))
        return month_own_figures(context=world.context, month=month)

    served.runtime.caches["overview"] = OverviewCache(
        shop_wide=lambda: shop_wide_figures(context=world.context),
        month_own=month_own,
        seconds=5,
        clock=lambda: ticks[0],
        refresh=lambda task: task(),  # the background recount, run before the answer is sent
    )
    world.platform.add_shop(1)
    with closing(signed_in_client(url, "vera", PASSWORD)) as client:
        first = client.get("/", params={"month": MONTH}).text
        world.platform.add_shop(2)
        world.clock.advance(timedelta(seconds=3))
        ticks[0] += 4.9
        within = client.get("/", params={"month": MONTH}).text
        ticks[0] += 0.1
        stale = client.get("/", params={"month": MONTH}).text  # starts the recount
        after = client.get("/", params={"month": MONTH}).text

    assert [shown(p)["shops"] for p in (first, within, stale, after)] == [1, 1, 1, 2]
    assert computed == [MONTH, MONTH]
    assert as_of(first) == as_of(within) == as_of(stale) != as_of(after), "says when counted"


def test_the_shops_are_scanned_once_however_many_months_are_shown(served: Served) -> None:
    url, world = served.url, served.world
    # The clock stands still: six pages on a busy machine may take longer than the cache's
    # seconds, and a recount is another scan, which is not what this test is about.
    served.runtime.caches["overview"] = OverviewCache(
        shop_wide=lambda: shop_wide_figures(context=world.context),
        month_own=lambda month: month_own_figures(context=world.context, month=month),
        seconds=5,
        clock=lambda: 100.0,
        refresh=lambda task: task(),
    )
    world.platform.add_shop(1)
    scans: list[str] = []

    def count_scans(_c: object, _cursor: object, statement: str, *_rest: object) -> None:
        if re.search(r"\bFROM\s+[`\"]?t_shops\b", statement, re.I):
            scans.append(statement)

    with closing(signed_in_client(url, "vera", PASSWORD)) as client:
        event.listen(world.context.engine, "before_cursor_execute", count_scans)
        try:
            pages = [client.get("/", params={"month": f"2020-{m:02}"}) for m in range(1, 7)]
        finally:
            event.remove(world.context.engine, "before_cursor_execute", count_scans)

    assert [p.status_code for p in pages] == [200] * 6
    assert len(scans) == 1


def as_of(html: str) -> str:
    found = re.search(r'Figures as of <time datetime="([^"]+)"', html)
    assert found is not None
    return found[1]


def test_the_alert_tiles_say_they_count_fired_alerts_and_link_to_no_usage_filter(
    served: Served,
) -> None:
    url, world = served.url, served.world
    every_state(world)
    with closing(signed_in_client(url, "vera", PASSWORD)) as client:
        page = client.get("/", params={"month": MONTH}).text

    label = Month.parse(MONTH).label
    for threshold in world.context.settings.thresholds:
        assert f'<span class="tile-label">Alerts at {threshold} %</span>' in page
        assert f"shops whose {threshold} % alert fired in {label}" in page
    assert "Past " not in page
    # /shops?past=N filters usage ≥ N %, not fired alerts: the tiles link to no such list.
    assert "past=" not in page
