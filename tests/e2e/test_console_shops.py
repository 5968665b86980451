"""The Shops page over real HTTP: signed in as a person, its table, links, filters and errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal

import httpx
import pytest

from budgetguard.domain.period import Month
from budgetguard.domain.users import Role
from budgetguard.services.users import add_user
from support.console import signed_in_client
from support.server import api_in_thread
from support.usage import Listed, load
from support.world import World

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password
ROW = re.compile(r'<a href="/shops/(\d+)\?month=2020-07">')
NEXT = re.compile(r'<nav class="pager".*<a href="([^"]+)" rel="next">', re.DOTALL)


@pytest.fixture
def served(world: World) -> Iterator[str]:
    with api_in_thread(world.context) as (url, _runtime, _bell):
        yield url


def viewer(world: World, url: str) -> httpx.Client:
    add_user(context=world.context, name="vera", role=Role.VIEWER, password=PASSWORD)
    return signed_in_client(url, "vera", PASSWORD)


def shops_of(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def test_the_pages_link_to_each_other_and_show_every_shop_once(world: World, served: str) -> None:
    listed = [Listed(i, f"Shop {i}", Decimal(100), Decimal(i % 120)) for i in range(1, 121)]
    load(world.context.engine, Month(2020, 7), listed)
    seen: list[int] = []

    with closing(viewer(world, served)) as client:
        answer = client.get("/shops?month=2020-07&sort=spend")
        while True:
            assert answer.status_code == 200
            seen.extend(shops_of(answer.text))
            link = NEXT.search(answer.text)
            if link is None:
                break
            answer = client.get(link[1].replace("&amp;", "&"))

    want = sorted(listed, key=lambda s: (s.spent, s.shop_id), reverse=True)
    assert seen == [s.shop_id for s in want]


def test_filters_narrow_the_table(world: World, served: str) -> None:
    load(world.context.engine, Month(2020, 7), [
        Listed(1, "Alpha", Decimal(100), Decimal(20)),
        Listed(2, "Beta", Decimal(100), Decimal(60), online=False),
        Listed(3, "Gamma", Decimal(100), Decimal(120), online=False, paused=True),
    ])  # fmt: skip

    with closing(viewer(world, served)) as client:

        def shown(query: str) -> list[int]:
            answer = client.get(f"/shops?month=2020-07&{query}")
            assert answer.status_code == 200
            return shops_of(answer.text)

        assert shown("") == [3, 2, 1]
        assert shown("past=50") == [3, 2]
        assert shown("past=100") == [3]
        assert shown("paused=1") == [3]
        assert shown("offline=1&sort=id") == [2, 3]
        assert shown("q=2") == [2]
        assert shown("q=gam") == [3]
        assert shown("q=nothing") == []


def test_a_viewer_sees_no_action_forms(world: World, served: str) -> None:
    load(world.context.engine, Month(2020, 7), [Listed(1, "Alpha", Decimal(100))])

    with closing(viewer(world, served)) as client:
        html = client.get("/shops?month=2020-07").text

    assert re.findall(r'<form[^>]*method="post"[^>]*>', html) == [
        '<form class="who" method="post" action="/sign-out">'
    ]


@pytest.mark.parametrize(
    "query", ["sort=name", "order=up", "past=half", "after=x,1", "before=12", "month=July"]
)
def test_a_parameter_that_cannot_be_read_is_a_400_naming_it(
    world: World, served: str, query: str
) -> None:
    with closing(viewer(world, served)) as client:
        answer = client.get(f"/shops?{query}")

    assert answer.status_code == 400
    assert query.split("=", maxsplit=1)[0] in answer.text


def test_signed_out_the_page_sends_to_sign_in(served: str) -> None:
    answer = httpx.get(f"{served}/shops?past=50")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/shops%3Fpast%3D50"
