"""The `budgetguard` command as people and cron drive it (SPEC §5): in process, and as a
separate process where the terminal's encoding or the interpreter's start is the point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.api import DEFAULT_POLICY
from support.cli import cli_env, invoke, run
from support.legacy import JULY_1, JUNE_30


def _story(env: dict[str, str]) -> tuple[str, list[dict[str, object]]]:
    assert invoke("db", "upgrade", env=env).code == 0
    assert invoke("db", "seed-sample", env=env).code == 0
    june = invoke("check", "--at", "2020-06-30", env=env)
    july = invoke("check", "--at", "2020-07-01", "--json", env=env)
    assert (june.code, july.code) == (0, 0), june.err + july.err
    return june.out, [json.loads(line) for line in july.out.splitlines()]


def test_the_sample_story_is_told_on_every_database(db_url: str) -> None:
    env = cli_env(db_url)
    june, july = _story(env)

    assert len(june.splitlines()) == len(JUNE_30)
    assert "As Seen On Sale (shop 3), June 2020: spent 685.91 of 650.00 (105.52 %)" in june
    assert "reached 50 %, 100 % — shop paused" in june
    told = sorted(
        (n["shop_id"], n["kind"], tuple(n["thresholds"]), n["action"])  # type: ignore[arg-type]
        for n in july
    )
    assert told == JULY_1


def test_each_json_line_carries_the_fields_of_the_spec(tmp_path: Path) -> None:
    _, july = _story(cli_env(f"sqlite:///{tmp_path / 'bg.db'}"))

    resumed = next(n for n in july if n["kind"] == "resumed" and n["shop_id"] == 8)
    assert set(resumed) >= {"id", "kind", "shop_id", "shop_name", "month", "thresholds", "budget",
                            "spent", "percent", "action", "date"}  # fmt: skip
    assert resumed["shop_name"] == "Harrison Ford"
    assert (resumed["month"], resumed["date"], resumed["thresholds"]) == (
        "2020-07",
        "2020-07-01",
        [],
    )
    assert (resumed["budget"], resumed["spent"], resumed["percent"]) == ("720.00", "504.25", 70.03)
    assert resumed["action"] == "resumed"
    assert isinstance(resumed["id"], int)


def test_status_shows_each_shop_for_the_month(tmp_path: Path) -> None:
    env = cli_env(f"sqlite:///{tmp_path / 'bg.db'}")
    _story(env)

    table = invoke("status", "--at", "2020-07-01", env=env)
    rows = [
        json.loads(line)
        for line in invoke("status", "--at", "2020-07-01", "--json", env=env).out.splitlines()
    ]

    assert table.code == 0
    assert "Fashion Quasar" in table.out
    assert "106.81" in table.out
    assert [r["shop_id"] for r in rows] == list(range(1, 9))
    quasar = rows[1]
    assert quasar == {
        "shop_id": 2, "shop_name": "Fashion Quasar", "month": "2020-07", "budget": "670.00",
        "spent": "715.64", "percent": 106.81, "online": False, "paused_by_budgetguard": False,
        "thresholds_fired": [50, 100], "problem": None, "policy": DEFAULT_POLICY,
    }  # fmt: skip


def test_a_second_check_with_nothing_new_sends_nothing(tmp_path: Path) -> None:
    env = cli_env(f"sqlite:///{tmp_path / 'bg.db'}")
    _story(env)

    again = invoke("check", "--at", "2020-07-02", env=env)

    assert (again.code, again.out) == (0, "")
    assert "0 notifications queued" in again.err


def test_a_terminal_that_cannot_show_a_dash_gets_escapes_and_every_line(tmp_path: Path) -> None:
    env = cli_env(f"sqlite:///{tmp_path / 'bg.db'}")
    assert invoke("db", "upgrade", env=env).code == 0
    assert invoke("db", "seed-sample", env=env).code == 0

    june = run("check", "--at", "2020-06-30", env=env | {"PYTHONIOENCODING": "ascii"})

    assert june.code == 0, june.err
    assert len(june.out.splitlines()) == 8
    assert "(105.52 %) \\u2014 reached 50 %, 100 % \\u2014 shop paused" in june.out
    assert "8 notifications delivered" in june.err


def test_seeding_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    env = cli_env(f"sqlite:///{tmp_path / 'bg.db'}")
    invoke("db", "upgrade", env=env)
    invoke("db", "seed-sample", env=env)

    again = invoke("db", "seed-sample", env=env)

    assert "0 shops and 0 budgets added, 24 rows already present" in again.out


@pytest.mark.parametrize("dialect", ["mysql", "mariadb", "postgresql", "sqlite"])
def test_db_sql_prints_the_migration_for_a_dba(dialect: str) -> None:
    printed = invoke("db", "sql", "--dialect", dialect, env=cli_env())

    assert printed.code == 0
    assert "CREATE TABLE IF NOT EXISTS t_budgets" in printed.out
    assert "CREATE TABLE IF NOT EXISTS bg_alerts" in printed.out
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in printed.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--at", "2020-02-30"], "Invalid value for '--at': not an ISO-8601 date"),
        (["status", "--at", "soon"], "Invalid value for '--at'"),
        (["check", "--loud"], "No such option: --loud"),
        (["db", "sql", "--dialect", "oracle"], "Invalid value for '--dialect'"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2_and_say_what_is_wrong(
    tmp_path: Path, args: list[str], message: str
) -> None:
    ran = invoke(*args, env=cli_env(f"sqlite:///{tmp_path / 'bg.db'}"))

    assert ran.code == 2
    assert message in ran.err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["policy", "show", "99999999999"], "'shop'"),
        (["policy", "set", "0", "--language", "de"], "'shop'"),
        (["policy", "clear", "2147483648"], "'shop'"),
        (["contacts", "list", "99999999999"], "'shop'"),
        (["contacts", "remove", "3", "9223372036854775808"], "'contact'"),
        (["status", "--shop", "3", "--shop", "99999999999"], "'--shop'"),
        (["deliveries", "list", "--shop", "2147483648"], "'--shop'"),
        (["deliveries", "list", "--before", "9223372036854775808"], "'--before'"),
        (["deliveries", "retry", "1", "9223372036854775808"], "'ids'"),
    ],
)
def test_an_id_out_of_range_is_a_usage_error_naming_it(
    db_url: str, args: list[str], named: str
) -> None:
    # Shop ids are the platform's INT, budgetguard's own ids BIGINT, as over HTTP: beyond them a
    # database fails (`integer out of range`, exit 1); the command refuses them first.
    ran = invoke(*args, env=cli_env(db_url))

    assert ran.code == 2, ran.err
    assert f"Invalid value for {named}" in ran.err
    assert "database error" not in ran.err


def test_a_bad_setting_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    ran = invoke("check", env=cli_env(f"sqlite:///{tmp_path / 'bg.db'}", thresholds="50,,abc"))

    assert ran.code == 2
    assert ran.err.startswith("budgetguard: error: BUDGETGUARD_THRESHOLDS:")


@pytest.mark.parametrize(
    "url",
    ["mysql://root@127.0.0.1:1/budgetguard", "postgresql://postgres@127.0.0.1:1/budgetguard"],
)
def test_an_unreachable_database_is_one_line_and_exit_1(url: str) -> None:
    ran = invoke("check", env=cli_env(url))

    assert ran.code == 1
    scheme = url.split(":", maxsplit=1)[0]
    assert ran.err.startswith(f"budgetguard: error: cannot reach the database {scheme}")
    assert len(ran.err.strip().splitlines()) == 1
    assert "Traceback" not in ran.err


def test_a_database_never_upgraded_is_told_to_run_db_upgrade(tmp_path: Path) -> None:
    ran = invoke("status", env=cli_env(f"sqlite:///{tmp_path / 'new.db'}"))

    assert ran.code == 1
    assert "run `budgetguard db upgrade`" in ran.err


def test_help_lists_every_command() -> None:
    top = invoke("--help", env=cli_env())
    db = invoke("db", "--help", env=cli_env())

    assert top.code == db.code == 0
    for name in ("check", "status", "db"):
        assert name in top.out
    for name in ("upgrade", "sql", "seed-sample"):
        assert name in db.out


def test_the_console_speaks_the_platforms_language_and_currency(tmp_path: Path) -> None:
    env = {
        **cli_env(f"sqlite:///{tmp_path / 'bg.db'}"),
        "BUDGETGUARD_LANGUAGE": "de",
        "BUDGETGUARD_CURRENCY": "EUR",
    }
    assert invoke("db", "upgrade", env=env).code == 0
    assert invoke("db", "seed-sample", env=env).code == 0

    june = invoke("check", "--at", "2020-06-30", env=env)

    assert june.code == 0, june.err
    assert (
        "As Seen On Sale (Shop 3), Juni 2020: 685,91\u00a0€ von 650,00\u00a0€ ausgegeben "
        "(105,52\u00a0%) — 50\u00a0%, 100\u00a0% erreicht — Shop pausiert"
    ) in june.out
