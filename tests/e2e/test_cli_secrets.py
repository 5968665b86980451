"""Secrets at rest as operators meet them: the warning without a key, the key commands, and the
contacts stored in clear that `serve` and `deliver` seal when they start with a key."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.engine import Engine

from budgetguard.db.schema.tables import contacts
from budgetguard.services.secrets import NO_KEY_WARNING
from support.cli import cli_env, invoke
from support.platform import Platform
from support.server import AUTH, api_in_thread, start_serve
from support.world import World

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def clear_webhook(engine: Engine, db_url: str) -> None:
    """Shop 2 with a webhook contact added without a key: stored in clear."""
    Platform(engine).add_shop(2, "Fashion Quasar")
    added = invoke(
        "contacts", "add", "2", "--webhook", "https://93.184.215.14/hook", "--secret", SECRET,
        env=cli_env(db_url),
    )  # fmt: skip
    assert added.code == 0, added.err


def stored_secrets(engine: Engine) -> list[str | None]:
    with engine.connect() as connection:
        return list(connection.execute(select(contacts.c.secret)).scalars())


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_deliver_without_a_key_says_so_once_and_keeps_contacts_readable(
    engine: Engine, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clear_webhook(engine, db_url)

    ran = invoke("deliver", "--once", env=cli_env(db_url))

    assert ran.code == 0, ran.err
    assert warnings(caplog).count(NO_KEY_WARNING) == 1
    assert stored_secrets(engine) == [SECRET]


def test_deliver_with_a_key_seals_the_contacts_stored_in_clear_and_warns_of_nothing(
    engine: Engine, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clear_webhook(engine, db_url)

    ran = invoke("deliver", "--once", env=cli_env(db_url, secret_key=KEY_A))

    assert ran.code == 0, ran.err
    assert warnings(caplog) == []
    assert stored_secrets(engine) == [None]


def test_rotate_secrets_reencrypts_with_the_first_key_and_sums_up(
    engine: Engine, db_url: str
) -> None:
    clear_webhook(engine, db_url)

    first = invoke("db", "rotate-secrets", env=cli_env(db_url, secret_key=KEY_A))
    second = invoke("db", "rotate-secrets", env=cli_env(db_url, secret_key=f"{KEY_B},{KEY_A}"))
    third = invoke("db", "rotate-secrets", env=cli_env(db_url, secret_key=KEY_B))
    lost = invoke("db", "rotate-secrets", env=cli_env(db_url, secret_key=KEY_A))

    assert (first.code, second.code, third.code) == (0, 0, 0), first.err
    assert "1 contacts encrypted with the first key (1 of them were in clear)" in first.out
    assert "1 contacts encrypted with the first key (0 of them were in clear)" in second.out
    assert "0 contacts encrypted with the first key" in third.out
    assert "1 already were" in third.out
    assert "1 contacts looked at" in first.err
    assert lost.code == 1
    assert "no key of BUDGETGUARD_SECRET_KEY decrypts 1 contacts" in lost.err


def test_rotate_secrets_without_a_key_is_a_setting_error(db_url: str) -> None:
    ran = invoke("db", "rotate-secrets", env=cli_env(db_url))

    assert ran.code == 2
    assert ran.err.strip() == (
        "budgetguard: error: BUDGETGUARD_SECRET_KEY: rotate-secrets needs at least one key"
    )


def test_new_secret_key_prints_a_fresh_fernet_key() -> None:
    keys = [invoke("db", "new-secret-key", env=cli_env()).out.strip() for _ in range(2)]

    assert keys[0] != keys[1]
    assert all(Fernet(key) for key in keys)


def test_an_unusable_key_is_one_line_naming_the_setting_and_never_the_key(db_url: str) -> None:
    bad = "not-a-fernet-key-but-a-password"

    ran = invoke("status", env=cli_env(db_url, secret_key=f"{KEY_A},{bad}"))

    assert ran.code == 2
    assert ran.err.startswith("budgetguard: error: BUDGETGUARD_SECRET_KEY: key 2 is not a Fernet")
    assert bad not in ran.err
    assert KEY_A not in ran.err
    assert len(ran.err.strip().splitlines()) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_serve_warns_once_without_a_key_and_seals_clear_contacts_with_one(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    clear_webhook(engine, db_url)

    without = start_serve(db_url, tmp_path, "without")
    assert without.stop() == 0
    still_clear = stored_secrets(engine)
    keyed = start_serve(db_url, tmp_path, "keyed", secret_key=KEY_A)
    assert keyed.stop() == 0

    assert without.err.read_text().count("BUDGETGUARD_SECRET_KEY is not set") == 1
    assert "BUDGETGUARD_SECRET_KEY" not in keyed.err.read_text()
    assert (still_clear, stored_secrets(engine)) == ([SECRET], [None])


def test_contacts_put_over_http_with_a_key_are_stored_sealed_and_listed_without_secrets(
    world: World, engine: Engine
) -> None:
    keyed = world.with_settings(secret_key=KEY_A)
    keyed.platform.add_shop(1)
    hook = "https://93.184.215.14/hook?token=t0ken"
    body = {"contacts": [{"kind": "webhook", "target": hook, "secret": SECRET}]}
    with (
        api_in_thread(keyed.context) as (url, _runtime, _bell),
        httpx.Client(base_url=url, headers=AUTH, timeout=60) as http,
    ):
        first = http.put("/v1/shops/1/contacts", json=body)
        again = http.put("/v1/shops/1/contacts", json=body)
        listed = http.get("/v1/shops/1/contacts")

    assert (first.status_code, again.status_code, listed.status_code) == (200, 200, 200)
    assert first.json()["contacts"][0]["id"] == again.json()["contacts"][0]["id"]
    assert SECRET not in listed.text
    assert listed.json()["contacts"][0]["has_secret"] is True
    with engine.connect() as connection:
        (row,) = connection.execute(select(contacts)).mappings()
    assert SECRET not in str(dict(row))
    assert "t0ken" not in str(dict(row))
