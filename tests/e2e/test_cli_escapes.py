"""Names and texts from outside reach the terminal escaped (defect 9 of issue 11): a shop name
the platform wrote with an escape sequence or a line break cannot clear the screen or forge a
notification line; JSON output keeps the exact value."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from budgetguard.db.schema.tables import contacts, deliveries, shops
from budgetguard.domain.text import UNSAFE
from budgetguard.server.logs import ReadableFormatter
from support.cli import cli_env, invoke
from support.legacy import JUNE_30

EVIL = "[bold]x[/] Evil\x1b[2J\r\n2020-06-30  #99 Forged (shop 9)\x9b\u202eenilno"
SHOWN = "[bold]x[/] Evil\\x1b[2J\\r\\n2020-06-30  #99 Forged (shop 9)\\x9b\\u202eenilno"


@pytest.fixture
def evil_shop(db_url: str, engine: Engine) -> dict[str, str]:
    """The sample data, shop 3 renamed by the platform."""
    env = cli_env(db_url)
    assert invoke("db", "seed-sample", env=env).code == 0
    with engine.begin() as connection:
        connection.execute(update(shops).where(shops.c.a_id == 3).values(a_name=EVIL))
    return env


def _unsafe(text: str) -> set[str]:
    return set(text) & (UNSAFE - {"\n"})


def test_check_prints_one_escaped_line_per_notification(evil_shop: dict[str, str]) -> None:
    ran = invoke("check", "--at", "2020-06-30", env=evil_shop)

    assert ran.code == 0, ran.err
    assert _unsafe(ran.out) == set()
    lines = ran.out.splitlines()
    assert len(lines) == len(JUNE_30), "one line per notification, none forged"
    assert f"  #{_id_of_shop_3(ran.out)} {SHOWN} (shop 3), June 2020: spent 685.91" in ran.out


def _id_of_shop_3(out: str) -> str:
    """The notification id on the line of shop 3 (ids go on across tests on a server)."""
    [line] = [line for line in out.splitlines() if "(shop 3)" in line]
    return line.split("#", 1)[1].split(" ", 1)[0]


def test_check_json_keeps_the_exact_name(evil_shop: dict[str, str]) -> None:
    ran = invoke("check", "--at", "2020-06-30", "--json", env=evil_shop)

    assert _unsafe(ran.out) == set()
    names = {line["shop_id"]: line["shop_name"] for line in map(json.loads, ran.out.splitlines())}
    assert names[3] == EVIL


def test_status_shows_the_name_escaped_and_not_as_markup(evil_shop: dict[str, str]) -> None:
    table = invoke("status", "--at", "2020-06-30", "--shop", "3", env=evil_shop)
    lines = invoke("status", "--at", "2020-06-30", "--shop", "3", "--json", env=evil_shop)

    assert _unsafe(table.out + lines.out) == set()
    assert len(table.out.splitlines()) == 2, "the header and shop 3, on one line"
    assert "[bold]x[/] Evil\\x1b" in table.out
    assert json.loads(lines.out)["shop_name"] == EVIL


def test_contacts_and_deliveries_lists_escape_what_they_show(
    evil_shop: dict[str, str], engine: Engine
) -> None:
    """Rows written before targets were checked for controls, and an error a receiver wrote."""
    now = datetime(2020, 6, 30, tzinfo=UTC)
    target = "https://hooks.example/\x1b[2Jhook"
    with engine.begin() as connection:
        connection.execute(
            contacts.insert().values(
                id=1, shop_id=3, kind="webhook", target=target, created_at=now,
                disabled_at=now, disabled_reason="HTTP 410: \x1b[31mgone\r\n",
            )
        )  # fmt: skip
        connection.execute(
            deliveries.insert().values(
                notification_id=1, recipient="contact:1", channel="webhook", contact_id=1,
                shop_id=3, status="dead", attempts=1, last_error="HTTP 500: \x1b[31mred\r\nfake",
                created_at=now,
            )
        )  # fmt: skip

    listed = invoke("contacts", "list", "3", env=evil_shop)
    records = invoke("deliveries", "list", env=evil_shop)
    as_json = invoke("deliveries", "list", "--json", env=evil_shop)

    assert (listed.code, records.code) == (0, 0), listed.err + records.err
    assert _unsafe(listed.out + records.out + as_json.out) == set()
    assert "\\x1b[2Jhook" in listed.out
    assert "\\x1b[31mgone\\r\\n" in listed.out
    assert "HTTP 500: \\x1b[31mred\\r\\nfake" in records.out.replace("\n", "")
    assert json.loads(as_json.out)["last_error"] == "HTTP 500: \x1b[31mred\r\nfake"


def test_log_lines_show_names_escaped() -> None:
    record = logging.LogRecord(
        "budgetguard", logging.WARNING, __file__, 1, "shop %s: %s", (EVIL, "bad"), None
    )

    line = ReadableFormatter("%(levelname)s: %(message)s").format(record)

    assert line == f"WARNING: shop {SHOWN}: bad"
    assert record.getMessage() == f"shop {EVIL}: bad", "other handlers see the record unchanged"
