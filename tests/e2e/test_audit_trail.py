"""Every action on a shop is recorded with who did it, whichever door it came through: the API
(`api:<key name>`) and the CLI (`cli:<os user>`), on every database."""

from __future__ import annotations

import getpass
from typing import Any

from budgetguard.db.catalog import audit
from budgetguard.domain.audit import AuditEntry
from support.api import JUNE, Api
from support.cli import cli_env, invoke, url_of
from support.world import World

PUBLIC_HOOK = "https://93.184.215.14/budget-hook?token=s3cret"  # never contacted here
HOOK_SHOWN = "https://93.184.215.14/budget-hook"  # as people see it: no query


def trail(world: World, shop_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    with world.context.engine.connect() as connection:
        entries: list[AuditEntry] = audit.of_shop(connection, shop_id)
    return [(e.actor, e.action, e.detail) for e in reversed(entries)]


def test_budget_and_shop_changes_over_the_api_name_the_key_and_what_changed(api: Api) -> None:
    api.world.platform.add_shop(3, "As Seen On Sale")
    api.world.platform.set_budget(3, JUNE, "650.00", "100.00")

    assert api.http.put("/v1/shops/3/budgets/2020-06", json={"budget": "700.00"}).is_success
    assert api.http.put("/v1/shops/3", json={"name": "As Seen", "online": True}).is_success
    assert api.http.put("/v1/shops/3", json={"name": "As Seen", "online": False}).is_success
    assert api.http.put("/v1/shops/9", json={"name": "New", "online": True}).status_code == 201

    assert trail(api.world, 3) == [
        ("api:tests", "budget.set", {"month": "2020-06", "from": "650.00", "to": "700.00"}),
        ("api:tests", "shop.changed", {"name": {"from": "As Seen On Sale", "to": "As Seen"}}),
        ("api:tests", "shop.changed", {"online": {"from": True, "to": False}}),
    ]
    assert trail(api.world, 9) == [
        (
            "api:tests",
            "shop.created",
            {"name": {"from": None, "to": "New"}, "online": {"from": None, "to": True}},
        )
    ]


def test_a_refused_change_leaves_no_entry(api: Api) -> None:
    api.world.platform.add_shop(3)

    refused = api.http.put("/v1/shops/3/budgets/2020-06", json={"budget": "-1"})

    assert refused.status_code == 422
    assert trail(api.world, 3) == []


def test_contacts_added_and_removed_are_recorded_without_their_secrets(api: Api) -> None:
    api.world.platform.add_shop(3)

    put = api.http.put(
        "/v1/shops/3/contacts",
        json={"contacts": [{"kind": "email", "target": "owner@example.com"},
                           {"kind": "webhook", "target": PUBLIC_HOOK}]},
    )  # fmt: skip
    contact_id, hook_id = (c["id"] for c in put.json()["contacts"])
    assert api.http.delete(f"/v1/shops/3/contacts/{contact_id}").status_code == 204

    (replaced, removed) = trail(api.world, 3)
    assert replaced[:2] == ("api:tests", "contacts.replaced")
    assert replaced[2] == {
        "removed": [],
        "contacts": [
            {"contact_id": contact_id, "kind": "email", "recipient": "owner@example.com"},
            {
                "contact_id": hook_id,
                "kind": "webhook",
                "recipient": PUBLIC_HOOK.split("?", maxsplit=1)[0],
            },
        ],
    }
    assert "s3cret" not in str(trail(api.world, 3))
    assert removed == (
        "api:tests",
        "contact.removed",
        {"contact_id": contact_id, "kind": "email", "recipient": "owner@example.com"},
    )


def test_the_cli_records_its_os_user(world: World) -> None:
    world.platform.add_shop(4)
    env = cli_env(url_of(world.context.engine), webhook_allow_private="false")

    added = invoke("contacts", "add", "4", "--email", "shop@example.com", env=env)
    assert added.code == 0, added.err
    contact_id = int(added.out.split()[2])
    assert invoke("contacts", "remove", "4", str(contact_id), env=env).code == 0

    assert [(actor, action) for actor, action, _detail in trail(world, 4)] == [
        (f"cli:{getpass.getuser()}", "contact.added"),
        (f"cli:{getpass.getuser()}", "contact.removed"),
    ]
