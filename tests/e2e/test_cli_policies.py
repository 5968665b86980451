"""`budgetguard policy set|show|clear` on every database: round trips, refusals in one line
naming the field (exit 2, nothing stored), the audit trail, and the effective policy in
`status --json`. The round trip, a refusal and `status` run as separate processes; the other
commands in this process (Typer's runner: the same parsing, output and exit codes)."""

from __future__ import annotations

import getpass
import json
from typing import Any

import pytest

from budgetguard.db.catalog import audit
from budgetguard.db.catalog import policies as stored
from budgetguard.domain.audit import AuditEntry
from budgetguard.domain.policy import ShopPolicy
from support.cli import Ran, cli_env, invoke, run
from support.world import World


@pytest.fixture
def env(world: World, db_url: str) -> dict[str, str]:
    """Shop 3 with a June budget, and the environment of a command on its database."""
    world.platform.add_shop(3, "As Seen On Sale")
    world.platform.set_budget(3, "2020-06", "650.00", "100.00")
    return cli_env(db_url)


def policy(*args: str, env: dict[str, str]) -> Ran:
    return invoke("policy", *args, env=env)


def shown(shop: str, env: dict[str, str], *, process: bool = False) -> dict[str, Any]:
    ran = (run if process else invoke)("policy", "show", shop, "--json", env=env)
    assert ran.code == 0, ran.err
    (line,) = ran.out.splitlines()
    answer: dict[str, Any] = json.loads(line)
    return answer


def _stored(world: World, shop_id: int = 3) -> ShopPolicy | None:
    with world.context.engine.connect() as connection:
        return stored.read(connection, shop_id)


def _audit(world: World, shop_id: int = 3) -> list[AuditEntry]:
    with world.context.engine.connect() as connection:
        return list(reversed(audit.of_shop(connection, shop_id)))


def test_set_show_and_clear_round_trip(world: World, env: dict[str, str]) -> None:
    ran = run("policy", "set", "3", "--thresholds", "100,50,80", "--pause-at", "none", "--timezone",
                 "Europe/Berlin", "--language", "DE", "--currency", "eur", "--forecast", "off",
                 "--recurring-budget", "500", env=env)  # fmt: skip

    assert ran.code == 0, ran.err
    assert "Europe/Berlin" in ran.out
    assert "none (soft limit)" in ran.out
    effective = shown("3", env, process=True)["effective"]
    assert effective == {
        "thresholds": [50, 80, 100],
        "pause_at": "none",
        "timezone": "Europe/Berlin",
        "language": "de",
        "currency": "EUR",
        "forecast": False,
        "recurring_budget": "500.00",
        "sources": dict.fromkeys(effective["sources"], "shop"),
    }
    assert len(effective["sources"]) == 7

    cleared = run("policy", "clear", "3", "pause-at", "currency", env=env)

    assert cleared.code == 0, cleared.err
    after = shown("3", env)
    assert (after["own"]["pause_at"], after["own"]["currency"]) == (None, None)
    assert (after["effective"]["pause_at"], after["effective"]["currency"]) == (100, None)
    assert after["effective"]["sources"]["pause_at"] == "default"
    assert after["own"]["language"] == "de"
    assert policy("clear", "3", env=env).code == 0
    assert _stored(world) is None
    assert set(shown("3", env)["effective"]["sources"].values()) == {"default", "none"}


def test_set_merges_into_the_stored_policy(world: World, env: dict[str, str]) -> None:
    assert policy("set", "3", "--language", "fr", env=env).code == 0
    assert policy("set", "3", "--currency", "CHF", env=env).code == 0

    assert _stored(world) == ShopPolicy(language="fr", currency="CHF")


def test_none_means_a_soft_limit_for_pause_at_but_no_recurring_budget(
    world: World, env: dict[str, str]
) -> None:
    assert policy("set", "3", "--recurring-budget", "250.50", env=env).code == 0

    ran = policy("set", "3", "--pause-at", "none", "--recurring-budget", "none", env=env)

    assert ran.code == 0, ran.err
    assert _stored(world) == ShopPolicy(pause_at="none")
    effective = shown("3", env)["effective"]
    assert (effective["recurring_budget"], effective["sources"]["recurring_budget"]) == (
        None,
        "none",
    )


def test_show_without_json_names_each_source(env: dict[str, str]) -> None:
    assert policy("set", "3", "--thresholds", "50,80,100", env=env).code == 0

    ran = policy("show", "3", env=env)

    assert ran.code == 0, ran.err
    rows = {line.split()[0]: line.split() for line in ran.out.splitlines()[2:]}
    assert rows["thresholds"][1:] == ["50,80,100", "shop"]
    assert rows["pause_at"][1:] == ["100", "default"]
    assert rows["language"][1:] == ["en", "default"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--timezone", "Mars/Olympus_Mons"], "timezone"),
        (["--timezone", "posixrules"], "timezone"),
        (["--language", "tlh"], "language"),
        (["--currency", "XYZ"], "currency"),
        (["--pause-at", "80"], "pause_at"),
        (["--thresholds", "50,80"], "thresholds"),
        (["--thresholds", "50,abc"], "thresholds"),
        (["--recurring-budget", "12.345"], "recurring_budget"),
        (["--recurring-budget", "lots"], "recurring_budget"),
        (["--forecast", "maybe"], "forecast"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_exit_2_and_nothing_stored(
    world: World, env: dict[str, str], args: list[str], field: str
) -> None:
    assert policy("set", "3", "--language", "de", env=env).code == 0

    ran = policy("set", "3", "--currency", "EUR", *args, env=env)

    assert ran.code == 2
    assert ran.out == ""
    (line,) = ran.err.splitlines()
    assert line.startswith(f"budgetguard: error: {field}: "), line
    assert _stored(world) == ShopPolicy(language="de")
    assert len(_audit(world)) == 1


def test_a_refusal_in_a_process_of_its_own_is_one_line_and_exit_2(
    world: World, env: dict[str, str]
) -> None:
    ran = run("policy", "set", "3", "--language", "de", "--pause-at", "90", env=env)

    assert (ran.code, ran.out) == (2, "")
    assert ran.err == (
        "budgetguard: error: pause_at: the pause threshold 90 is not one of the thresholds "
        "50,100 (give a pause threshold from the list, or `none` for a soft limit)\n"
    )
    assert _stored(world) is None


def test_an_unknown_field_to_clear_is_refused_and_nothing_is_cleared(
    world: World, env: dict[str, str]
) -> None:
    assert policy("set", "3", "--language", "de", env=env).code == 0

    ran = policy("clear", "3", "language", "colour", env=env)

    assert ran.code == 2
    assert ran.err.startswith("budgetguard: error: field: unknown policy field 'colour'")
    assert _stored(world) == ShopPolicy(language="de")


def test_set_without_an_option_is_a_usage_error(env: dict[str, str]) -> None:
    ran = policy("set", "3", env=env)

    assert ran.code == 2
    assert "give at least one of --thresholds" in ran.err


def test_an_unknown_shop_is_refused(world: World, env: dict[str, str]) -> None:
    ran = policy("set", "404", "--language", "de", env=env)

    assert ran.code == 1
    assert ran.err == "budgetguard: error: shop 404 does not exist\n"
    assert _stored(world, 404) is None
    assert policy("show", "404", env=env).code == 1


def test_each_change_is_audited_under_the_os_user(world: World, env: dict[str, str]) -> None:
    policy("set", "3", "--language", "de", "--recurring-budget", "99.90", env=env)
    policy("set", "3", "--language", "de", env=env)  # nothing changes: nothing recorded
    policy("clear", "3", "language", env=env)

    entries = _audit(world)
    user = f"cli:{getpass.getuser()}"
    assert [(e.actor, e.action) for e in entries] == [
        (user, "policy.set"),
        (user, "policy.cleared"),
    ]
    assert entries[0].detail == {
        "language": {"from": None, "to": "de"},
        "recurring_budget": {"from": None, "to": "99.90"},
    }
    assert entries[1].detail == {"language": {"from": "de", "to": None}}


def test_status_json_shows_each_shops_effective_policy(world: World, env: dict[str, str]) -> None:
    world.platform.add_shop(4, "Fashion Quasar")
    assert policy("set", "3", "--thresholds", "50,80,100", "--language", "it", env=env).code == 0

    ran = run("status", "--at", "2020-06-15", "--json", env=env)

    assert ran.code == 0, ran.err
    rows = {row["shop_id"]: row for row in map(json.loads, ran.out.splitlines())}
    own, default = rows[3]["policy"], rows[4]["policy"]
    assert (own["thresholds"], own["language"], own["pause_at"]) == ([50, 80, 100], "it", 100)
    assert own["sources"]["thresholds"] == own["sources"]["language"] == "shop"
    assert own["sources"]["pause_at"] == "default"
    assert default["thresholds"] == [50, 100]
    assert set(default["sources"].values()) == {"default", "none"}


def test_help_shows_examples(env: dict[str, str]) -> None:
    ran = policy("set", "--help", env=cli_env())

    assert ran.code == 0
    assert "budgetguard policy set 3 --pause-at none" in ran.out
    assert "--recurring-budget" in ran.out
