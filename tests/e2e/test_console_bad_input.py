"""What the console answers to values it cannot use, over real HTTP on every database: its own
error pages (400 naming the field, 404 for a path that names nothing), never a 500 or the API's
problem+json; the API keeps problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from budgetguard.domain.users import Role
from budgetguard.services.users import add_user
from support.console import signed_in_client
from support.server import AUTH, api_in_thread
from support.world import World

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password
PAGES = ["/", "/shops", "/shops/1", "/deliveries"]


@pytest.fixture
def client(world: World) -> Iterator[httpx.Client]:
    add_user(context=world.context, name="olga", role=Role.OPERATOR, password=PASSWORD)
    world.platform.add_shop(1)
    with (
        api_in_thread(world.context) as (url, _runtime, _bell),
        closing(signed_in_client(url, "olga", PASSWORD)) as signed,
    ):
        yield signed


def is_page(answer: httpx.Response) -> bool:
    return answer.headers["content-type"].startswith("text/html") and "<h1>" in answer.text


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1969-12", "3000-01"])
def test_a_month_out_of_range_is_the_pages_400_naming_month(
    client: httpx.Client, month: str
) -> None:
    for path in PAGES:
        answer = client.get(path, params={"month": month})

        assert answer.status_code == 400, path
        assert is_page(answer), path
        assert f"month: &#39;{month}&#39; is not between 1970-01 and 2999-12" in answer.text, path


@pytest.mark.parametrize("month", ["1970-01", "2999-12"])
def test_the_first_and_the_last_month_are_shown_with_their_neighbours(
    client: httpx.Client, month: str
) -> None:
    for path in PAGES:
        assert client.get(path, params={"month": month}).status_code == 200, path


def test_a_path_parameter_that_is_not_a_number_is_the_consoles_404_page(
    client: httpx.Client,
) -> None:
    answer = client.get("/shops/abc")

    assert answer.status_code == 404
    assert is_page(answer)
    assert "There is no such page." in answer.text


def test_a_query_value_out_of_range_is_the_consoles_400_page_naming_it(
    client: httpx.Client,
) -> None:
    answer = client.get("/deliveries", params={"before": "0"})

    assert answer.status_code == 400
    assert is_page(answer)
    assert "before:" in answer.text


def test_the_api_keeps_problem_json_for_the_same_mistakes(client: httpx.Client) -> None:
    answer = client.get("/v1/shops/abc", headers=AUTH)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "shop_id"
