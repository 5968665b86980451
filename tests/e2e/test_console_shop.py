"""The console's shop page over real HTTP: what it shows, each action as an operator does it,
and the refusals (a viewer's forged form, a form without its token, a value refused)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from budgetguard.db.schema.console_tables import spend_days
from budgetguard.db.schema.tables import audit, contacts, deliveries
from budgetguard.domain.policy import ShopPolicy
from budgetguard.domain.users import Role
from budgetguard.services.deliveries import retry_deliveries
from budgetguard.services.policies import set_policy
from budgetguard.services.users import add_user
from support.console import csrf_of, signed_in_client
from support.server import api_in_thread
from support.world import World

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password
JUNE = "2020-06"


_open: list[httpx.Client] = []


@pytest.fixture
def url(world: World) -> Iterator[str]:
    for name, role in (("olga", Role.OPERATOR), ("vera", Role.VIEWER)):
        add_user(context=world.context, name=name, role=role, password=PASSWORD)
    with api_in_thread(world.context) as (base, _runtime, _bell):
        try:
            yield base
        finally:
            while _open:
                _open.pop().close()


def paused_shop(world: World, engine: Engine) -> None:
    """Shop 1 spent 120 of 100 in June (paused on the 30th), with its spend of three days."""
    world.platform.add_shop(1, "Alpha Boutique")
    world.platform.add_shop(2, "Beta Secret Shop")
    world.platform.set_budget(1, JUNE, "100.00", "120.00")
    world.platform.set_budget(2, JUNE, "500.00", "10.00")
    world.check("2020-06-30T12:00:00Z")
    with engine.begin() as connection:
        connection.execute(insert(spend_days), [
            {"shop_id": 1, "month": date(2020, 6, 1), "day": date(2020, 6, d), "spent": Decimal(s)}
            for d, s in ((3, "20.00"), (12, "55.50"), (29, "99.00"))
        ])  # fmt: skip


def client(url: str, name: str = "olga") -> httpx.Client:
    """A client signed in as `name`, closed when the test ends."""
    _open.append(signed_in_client(url, name, PASSWORD))
    return _open[-1]


def audit_rows(engine: Engine) -> list[Any]:
    """The audit entries of shops (not those of the users' own sign-ins and additions)."""
    query = select(audit.c.actor, audit.c.action).where(audit.c.shop_id.is_not(None))
    with engine.connect() as connection:
        return list(connection.execute(query.order_by(audit.c.id)))


def test_the_shop_page_shows_the_standing_policy_charts_and_timeline(
    world: World, engine: Engine, url: str
) -> None:
    paused_shop(world, engine)

    page = client(url, "vera").get("/shops/1?month=2020-06")

    assert page.status_code == 200
    text = page.text
    assert "Alpha Boutique" in text
    assert "shop 1" in text
    assert "Paused by budgetguard." in text
    assert "120.00" in text
    assert "120.00 %" in text
    assert "50 %, 100 %" in text  # the thresholds of its policy
    assert 'role="img"' in text
    assert 'class="spend" d="M' in text
    assert "2020-06-12" in text
    assert "55.50" in text
    assert "Threshold" in text
    assert "paused" in text
    assert "Beta Secret Shop" not in text
    assert page.headers["cache-control"] == "no-store"


def test_the_burn_projects_the_end_of_budget_date_at_the_current_pace(
    world: World, engine: Engine, url: str
) -> None:
    world.platform.add_shop(1, "Alpha Boutique")
    world.platform.set_budget(1, JUNE, "300.00", "150.00")  # half by the 30th, noon

    text = client(url).get("/shops/1").text

    # 150 in 29.5 days: 300 would be reached after 59 days, past the month's end.
    assert "At this pace the month ends at 50.84 % of the budget." in text
    assert 'class="projection" d="M' in text


def test_a_viewer_sees_no_action_forms(world: World, engine: Engine, url: str) -> None:
    paused_shop(world, engine)

    text = client(url, "vera").get("/shops/1?month=2020-06").text

    assert 'method="post"' in text  # sign-out only
    assert text.count('method="post"') == 1
    assert 'action="/sign-out"' in text


def test_an_unknown_shop_is_the_consoles_404(url: str) -> None:
    answer = client(url).get("/shops/999")

    assert answer.status_code == 404
    assert "There is no such page." in answer.text


def test_raising_a_paused_shops_budget_resumes_it_and_is_audited_as_the_user(
    world: World, engine: Engine, url: str
) -> None:
    paused_shop(world, engine)
    http = client(url)
    token = csrf_of(http.get("/shops/1").text)

    answer = http.post("/shops/1/budget", data={"csrf": token, "month": JUNE, "amount": "200.00"})

    assert answer.status_code == 303
    assert answer.headers["location"] == "/shops/1?month=2020-06&done=budget"
    assert world.platform.online(1)
    page = http.get(answer.headers["location"]).text
    assert 'role="status"' in page
    assert "The budget is saved." in page
    assert "Resumed: back online" in page
    assert "100.00 → 200.00" in page
    assert ("web:olga", "budget.set") in audit_rows(engine)


def test_setting_a_shop_offline_and_online_is_audited_as_the_user(
    world: World, engine: Engine, url: str
) -> None:
    world.platform.add_shop(1, "Alpha Boutique")
    http = client(url)
    token = csrf_of(http.get("/shops/1").text)

    offline = http.post("/shops/1/online", data={"csrf": token, "month": JUNE, "online": "0"})
    assert offline.status_code == 303
    assert not world.platform.online(1)
    online = http.post("/shops/1/online", data={"csrf": token, "month": JUNE, "online": "1"})

    assert online.status_code == 303
    assert world.platform.online(1)
    assert audit_rows(engine) == [("web:olga", "shop.changed")] * 2


def test_a_refused_budget_is_shown_beside_its_field_and_nothing_is_stored(
    world: World, engine: Engine, url: str
) -> None:
    paused_shop(world, engine)
    http = client(url)
    token = csrf_of(http.get("/shops/1").text)

    answer = http.post("/shops/1/budget", data={"csrf": token, "month": JUNE, "amount": "1.234"})

    assert answer.status_code == 422
    assert 'aria-invalid="true" aria-describedby="amount-error"' in answer.text
    assert 'id="amount-error">The budget has more than two decimals.' in answer.text
    assert audit_rows(engine) == []
    assert not world.platform.online(1)


def test_a_webhook_to_a_private_network_is_refused_beside_the_field_and_nothing_is_stored(
    world: World, engine: Engine, url: str
) -> None:
    world.platform.add_shop(1, "Alpha Boutique")
    http = client(url)
    token = csrf_of(http.get("/shops/1").text)

    answer = http.post("/shops/1/contacts", data={
        "csrf": token, "month": JUNE, "kind": "webhook", "address": "https://10.0.0.7/hook",
    })  # fmt: skip

    assert answer.status_code == 422
    assert 'aria-invalid="true" aria-describedby="address-error"' in answer.text
    assert "private" in answer.text.split('id="address-error">')[1].split("</p>")[0]
    assert _count(engine, contacts) == 0
    assert audit_rows(engine) == []


def test_a_contact_is_added_and_removed(world: World, engine: Engine, url: str) -> None:
    world.platform.add_shop(1, "Alpha Boutique")
    http = client(url)
    token = csrf_of(http.get("/shops/1").text)

    added = http.post("/shops/1/contacts", data={
        "csrf": token, "month": JUNE, "kind": "email", "address": "ads@alpha.example",
    })  # fmt: skip
    assert added.status_code == 303
    page = http.get(added.headers["location"]).text
    assert "ads@alpha.example" in page
    assert "The contact is added." in page
    with engine.connect() as connection:
        contact_id = connection.execute(select(contacts.c.id)).scalar_one()
    removed = http.post(
        f"/shops/1/contacts/{contact_id}/remove", data={"csrf": token, "month": JUNE}
    )

    assert removed.status_code == 303
    assert _count(engine, contacts) == 0
    assert [a for _, a in audit_rows(engine)] == ["contact.added", "contact.removed"]


ACTIONS = [
    ("/shops/1/budget", {"amount": "500.00"}),
    ("/shops/1/online", {"online": "1"}),
    ("/shops/1/contacts", {"kind": "email", "address": "x@alpha.example"}),
    ("/shops/1/contacts/{contact}/remove", {}),
    ("/shops/1/deliveries/{delivery}/retry", {}),
]


@pytest.mark.parametrize(("path", "form"), ACTIONS, ids=lambda v: str(v)[:24])
def test_a_viewers_forged_action_is_403_and_changes_nothing(
    world: World, engine: Engine, url: str, path: str, form: dict[str, str]
) -> None:
    paused_shop(world, engine)
    ids = _contact_and_dead_delivery(engine)
    http = client(url, "vera")
    token = csrf_of(http.get("/shops/1").text)  # the sign-out form's: the session's own token
    before = _snapshot(world, engine)

    answer = http.post(path.format(**ids), data={"csrf": token, "month": JUNE, **form})

    assert answer.status_code == 403
    assert "may look but not act" in answer.text
    assert _snapshot(world, engine) == before


@pytest.mark.parametrize(("path", "form"), ACTIONS, ids=lambda v: str(v)[:24])
def test_an_action_without_the_form_token_is_403_and_changes_nothing(
    world: World, engine: Engine, url: str, path: str, form: dict[str, str]
) -> None:
    paused_shop(world, engine)
    ids = _contact_and_dead_delivery(engine)
    http = client(url)
    before = _snapshot(world, engine)

    answer = http.post(path.format(**ids), data={"month": JUNE, **form})

    assert answer.status_code == 403
    assert _snapshot(world, engine) == before


def test_retrying_a_dead_delivery_makes_it_due_and_is_audited(
    world: World, engine: Engine, url: str
) -> None:
    paused_shop(world, engine)
    ids = _contact_and_dead_delivery(engine)
    http = client(url)
    page = http.get("/shops/1?month=2020-06").text
    assert f'action="/shops/1/deliveries/{ids["delivery"]}/retry"' in page

    answer = http.post(f"/shops/1/deliveries/{ids['delivery']}/retry",
                       data={"csrf": csrf_of(page), "month": JUNE})  # fmt: skip

    assert answer.status_code == 303
    assert answer.headers["location"].endswith("done=retried")
    with engine.connect() as connection:
        status = connection.execute(select(deliveries.c.status)).scalar_one()
    assert status == "pending"
    assert ("web:olga", "delivery.retried") in audit_rows(engine)


def _contact_and_dead_delivery(engine: Engine) -> dict[str, int]:
    """A contact of shop 1 and a dead delivery record of its notification (as a receiver that
    answered 500 once with one attempt allowed leaves it)."""
    with engine.begin() as connection:
        from budgetguard.db.schema.tables import notifications  # noqa: PLC0415

        note = connection.execute(select(notifications.c.id)).scalars().first()
        contact = connection.execute(insert(contacts).values(
            shop_id=1, kind="email", target="old@alpha.example", created_at=_now(),
        )).inserted_primary_key[0]  # fmt: skip
        delivery = connection.execute(insert(deliveries).values(
            notification_id=note, recipient=f"contact:{contact}", channel="email",
            contact_id=contact, shop_id=1, status="dead", attempts=1, next_attempt_at=None,
            last_error="SMTP 550 mailbox unavailable", created_at=_now(),
        )).inserted_primary_key[0]  # fmt: skip
    return {"contact": int(contact), "delivery": int(delivery)}


def _now() -> Any:
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime(2020, 6, 30, 12, 0, tzinfo=UTC)


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _snapshot(world: World, engine: Engine) -> tuple[Any, ...]:
    with engine.connect() as connection:
        rows = connection.execute(select(deliveries.c.status, deliveries.c.attempts)).all()
    return (
        world.platform.online(1), _count(engine, contacts), _count(engine, audit),
        [tuple(r) for r in rows], world.platform.notifications(),
    )  # fmt: skip


def test_a_shop_with_its_own_currency_shows_its_amounts_in_it(
    world: World, engine: Engine, url: str
) -> None:
    paused_shop(world, engine)
    set_policy(context=world.context, shop_id=1, changes=ShopPolicy(currency="EUR"), actor="t")

    own = client(url, "vera").get("/shops/1?month=2020-06").text
    other = client(url, "vera").get("/shops/2?month=2020-06").text

    assert "120.00 EUR" in own
    assert "500.00" in other
    assert "EUR" not in other


def test_retrying_another_shops_delivery_is_404_and_changes_nothing(
    world: World, engine: Engine, url: str
) -> None:
    paused_shop(world, engine)
    ids = _contact_and_dead_delivery(engine)  # shop 1's
    http = client(url)
    page = http.get("/shops/2?month=2020-06").text
    before = _snapshot(world, engine)

    answer = http.post(f"/shops/2/deliveries/{ids['delivery']}/retry",
                       data={"csrf": csrf_of(page), "month": JUNE})  # fmt: skip

    assert answer.status_code == 404
    assert "There is no such page." in answer.text
    assert _snapshot(world, engine) == before


def test_a_retry_for_one_shop_reports_the_other_shops_records_unknown(
    world: World, engine: Engine
) -> None:
    paused_shop(world, engine)
    ids = _contact_and_dead_delivery(engine)  # shop 1's

    elsewhere = retry_deliveries(context=world.context, ids=[ids["delivery"]], actor="t",
                                 shop_id=2)  # fmt: skip
    own = retry_deliveries(context=world.context, ids=[ids["delivery"]], actor="t", shop_id=1)

    assert (elsewhere.retried, elsewhere.unknown) == ([], [ids["delivery"]])
    assert (own.retried, own.unknown) == ([ids["delivery"]], [])
