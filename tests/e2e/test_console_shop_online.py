"""Setting a shop online or offline from the console (services/shops.set_online), on every
database: only `a_online` changes, under the shop's row lock, with the evaluation and the audit
in the same transaction; a platform rename meanwhile is kept."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import closing

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from budgetguard.db.schema.tables import audit, shops
from budgetguard.domain.errors import NotFound
from budgetguard.domain.users import Role
from budgetguard.services.shops import set_online
from budgetguard.services.users import add_user
from support.console import csrf_of, signed_in_client
from support.server import api_in_thread
from support.world import World

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password
JUNE = "2020-06"


@pytest.fixture
def url(world: World) -> Iterator[str]:
    add_user(context=world.context, name="olga", role=Role.OPERATOR, password=PASSWORD)
    with api_in_thread(world.context) as (base, _runtime, _bell):
        yield base


def shop_audit(engine: Engine) -> list[tuple[str, str, object]]:
    query = select(audit.c.actor, audit.c.action, audit.c.detail).where(audit.c.shop_id == 1)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(audit.c.id)).all()
    return [(actor, action, json.loads(detail)) for actor, action, detail in rows]


def name_of(engine: Engine, shop_id: int) -> str:
    with engine.connect() as connection:
        query = select(shops.c.a_name).where(shops.c.a_id == shop_id)
        return str(connection.execute(query).scalar_one())


def test_set_online_changes_only_the_flag_and_audits_only_it(world: World, engine: Engine) -> None:
    world.platform.add_shop(1, "Alpha Boutique")

    offline = set_online(context=world.context, shop_id=1, online=False, actor="web:olga")
    again = set_online(context=world.context, shop_id=1, online=False, actor="web:olga")

    assert not world.platform.online(1)
    assert not offline.standing.online
    assert not again.standing.online
    assert name_of(engine, 1) == "Alpha Boutique"
    assert shop_audit(engine) == [
        ("web:olga", "shop.changed", {"online": {"from": True, "to": False}}),
    ], "once: the second call changed nothing"


def test_setting_a_paused_shop_online_by_hand_ends_budgetguards_claim(
    world: World, engine: Engine
) -> None:
    world.platform.add_shop(1, "Alpha Boutique")
    world.platform.set_budget(1, JUNE, "100.00", "120.00")
    world.check("2020-06-30T12:00:00Z")
    assert world.platform.paused_by_budgetguard() == {1}

    set_online(context=world.context, shop_id=1, online=True, actor="web:olga")

    assert world.platform.online(1)
    assert world.platform.paused_by_budgetguard() == set()


def test_set_online_refuses_an_unknown_shop(world: World) -> None:
    with pytest.raises(NotFound):
        set_online(context=world.context, shop_id=9, online=True, actor="web:olga")


def test_a_rename_by_the_platform_while_the_console_sets_a_shop_offline_is_kept(
    world: World, engine: Engine, url: str
) -> None:
    world.platform.add_shop(1, "Alpha Boutique")
    with closing(signed_in_client(url, "olga", PASSWORD)) as http:
        token = csrf_of(http.get("/shops/1").text)
        answers: list[int] = []
        form = {"csrf": token, "month": JUNE, "online": "0"}
        posting = threading.Thread(
            target=lambda: answers.append(http.post("/shops/1/online", data=form).status_code)
        )
        with engine.connect() as platform:  # the platform renames the shop, slowly
            platform.execute(update(shops).where(shops.c.a_id == 1).values(a_name="Alpha 2"))
            posting.start()
            time.sleep(1.0)  # the console's request reaches the row meanwhile
            platform.commit()
        posting.join(60)

    assert answers == [303]
    assert not world.platform.online(1)
    assert name_of(engine, 1) == "Alpha 2"
    assert shop_audit(engine)[-1][2] == {"online": {"from": True, "to": False}}
