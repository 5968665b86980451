"""The shop's own page, `/s/<token>`, over real HTTP: that shop's month, nothing else, and the
same plain 404 for any altered token, 410 for an expired one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from budgetguard.db.schema.tables import contacts, deliveries, notifications
from budgetguard.services.shop_links import ShopLinks
from support.server import api_in_thread
from support.signing_in import tampered
from support.world import World

JUNE = "2020-06"


@pytest.fixture
def http(world: World) -> Iterator[httpx.Client]:
    with (
        api_in_thread(world.context) as (base, _runtime, _bell),
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client


def shops(world: World, engine: Engine) -> None:
    world.platform.add_shop(1, "Alpha Boutique")
    world.platform.add_shop(2, "Beta Secret Shop")
    world.platform.set_budget(1, JUNE, "100.00", "120.00")
    world.platform.set_budget(2, JUNE, "500.00", "400.00")
    world.check("2020-06-30T12:00:00Z")
    with engine.begin() as connection:
        note = connection.execute(
            select(notifications.c.id).where(notifications.c.shop_id == 1)
        ).scalar_one()
        contact = connection.execute(insert(contacts).values(
            shop_id=1, kind="email", target="private@alpha.example", created_at=world.clock(),
        )).inserted_primary_key[0]  # fmt: skip
        connection.execute(insert(deliveries).values(
            notification_id=note, recipient=f"contact:{contact}", channel="email",
            contact_id=contact, shop_id=1, status="dead", attempts=1,
            last_error="SMTP 550 internal relay detail", created_at=world.clock(),
        ))  # fmt: skip


def link(world: World, shop_id: int) -> str:
    return "/s/" + ShopLinks.of(world.context).token(shop_id, world.clock())


def test_a_shop_link_opens_that_shops_page_and_nothing_else(
    world: World, engine: Engine, http: httpx.Client
) -> None:
    shops(world, engine)

    page = http.get(link(world, 1))

    assert page.status_code == 200
    text = page.text
    assert "Alpha Boutique" in text
    assert "120.00 %" in text
    assert "Thresholds 50 %, 100 % reached" in text
    assert 'class="spend"' in text
    assert "The budget is spent." in text
    for hidden in ("Beta Secret Shop", "private@alpha.example", "SMTP 550", "<form", "/shops/",
                   "Sign out", "budget.set", 'href="/"'):  # fmt: skip
        assert hidden not in text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"] == "noindex"


def test_a_tampered_token_is_the_same_plain_404_whatever_it_named(
    world: World, engine: Engine, http: httpx.Client
) -> None:
    shops(world, engine)
    good = link(world, 1)

    answers = [http.get(path) for path in (tampered(good), link(world, 2)[:-1], "/s/nonsense")]

    assert [a.status_code for a in answers] == [404, 404, 404]
    assert len({a.text for a in answers}) == 1
    assert "Alpha" not in answers[0].text
    assert "Beta" not in answers[1].text
    assert answers[0].headers["referrer-policy"] == "no-referrer"


def test_an_expired_token_is_a_plain_410(world: World, engine: Engine, http: httpx.Client) -> None:
    shops(world, engine)
    old = link(world, 1)

    world.clock.advance(timedelta(days=35, seconds=1))
    answer = http.get(old)

    assert answer.status_code == 410
    assert "expired" in answer.text
    assert "Alpha" not in answer.text
    assert answer.headers["x-robots-tag"] == "noindex"


def test_the_shop_page_cannot_be_posted_to(
    world: World, engine: Engine, http: httpx.Client
) -> None:
    shops(world, engine)

    answer = http.post(link(world, 1), data={"online": "1"})

    assert answer.status_code == 405
    assert not world.platform.online(1)
