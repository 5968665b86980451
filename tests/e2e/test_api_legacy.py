"""The HTTP API on the platform's own tables, loaded from its legacy dump, on every database."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from budgetguard.bootstrap import build_context
from budgetguard.config import Settings
from budgetguard.db.schema import revisions
from support.fakes import FakeClock
from support.legacy import load_dump
from support.server import AUTH, api_in_thread

EMOJI_NAME = "Café 👗 Mode"


@pytest.fixture
def legacy_http(fresh_url: str) -> Iterator[httpx.Client]:
    """A client of the API over the legacy dump (t_shops in 3-byte utf8 on MySQL), migrated."""
    context = build_context(Settings(database_url=fresh_url), clock=FakeClock())
    load_dump(context.engine)
    revisions.upgrade(context.engine)
    with (
        api_in_thread(context) as (url, _runtime, _bell),
        httpx.Client(base_url=url, headers=AUTH, timeout=60) as http,
    ):
        yield http
    context.close()


def test_a_name_the_legacy_table_cannot_store_is_422_naming_it(
    legacy_http: httpx.Client, backend: str
) -> None:
    created = legacy_http.put("/v1/shops/300", json={"name": EMOJI_NAME, "online": True})
    renamed = legacy_http.put("/v1/shops/1", json={"name": EMOJI_NAME, "online": True})

    if backend != "mariadb":  # their text columns take any Unicode
        assert (created.status_code, renamed.status_code) == (201, 200)
        assert legacy_http.get("/v1/shops/300").json()["shop_name"] == EMOJI_NAME
        return
    reason = "contains characters this database cannot store, such as emoji"
    for answer in (created, renamed):
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"] == [{"field": "name", "reason": reason}]
    assert legacy_http.get("/v1/shops/300").status_code == 404
    assert legacy_http.get("/v1/shops/1").json()["shop_name"] == "Steve McQueen"
