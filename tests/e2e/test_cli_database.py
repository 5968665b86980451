"""The command and an unusable database URL: one line naming the setting, exit 2, and never
the password it holds."""

from __future__ import annotations

import pytest

from support.cli import cli_env, invoke, run
from support.server import KEYS

COMMANDS = [
    ["check"],
    ["status"],
    ["db", "upgrade"],
    ["db", "seed-sample"],
    ["contacts", "list", "1"],
    ["contacts", "add", "1", "--email", "owner@shop.example"],
    ["contacts", "remove", "1", "1"],
    ["deliver", "--once"],
    ["deliveries", "list"],
    ["deliveries", "retry", "1"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_port_that_is_not_a_number_is_one_line_naming_the_setting(args: list[str]) -> None:
    ran = invoke(*args, env=cli_env("mysql://budget:s3cret-pw@db.example:notaport/budgetguard"))

    assert ran.code == 2
    assert ran.err.startswith("budgetguard: error: BUDGETGUARD_DATABASE_URL: not a database URL")
    assert len(ran.err.strip().splitlines()) == 1
    assert "s3cret-pw" not in ran.err
    assert "'mysql://budget:***@db.example:notaport/budgetguard'" in ran.err


def test_serve_refuses_the_url_the_same_way() -> None:
    url = "mysql://budget:s3cret-pw@db.example:notaport/budgetguard"
    ran = run("serve", "--port", "0", env=cli_env(url, api_keys=KEYS), timeout=60)

    assert ran.code == 2
    assert "budgetguard: error: BUDGETGUARD_DATABASE_URL: not a database URL" in ran.err
    assert "Traceback" not in ran.err
    assert "s3cret-pw" not in ran.err


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("://budget:s3cret-pw@db.example/x", "'://budget:***@db.example/x'"),
        ("mysql://budget:s3cret@pw@[::1/x", "'mysql://budget:***@[::1/x'"),
        ("budget:s3cret-pw", "(not shown: expected dialect://user:password@host:port/database)"),
    ],
)
def test_an_unparsable_url_is_never_echoed_with_its_password(url: str, shown: str) -> None:
    ran = invoke("status", env=cli_env(url))

    assert ran.code == 2
    assert ran.err == f"budgetguard: error: BUDGETGUARD_DATABASE_URL: not a database URL: {shown}\n"


def test_a_port_out_of_range_is_named() -> None:
    ran = invoke("status", env=cli_env("postgresql://budget:s3cret-pw@127.0.0.1:99999/x"))

    assert ran.code == 2
    assert ran.err == (
        "budgetguard: error: BUDGETGUARD_DATABASE_URL: the port 99999 is not between 1 and 65535\n"
    )
