"""What the API gives away or lets others spend: redirects, keys in URLs, the access log, the
open endpoints' cost. Over real HTTP; the access log of a real `serve` process."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from budgetguard.config import Settings
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.services.uow import Context
from support.api import Api
from support.server import AUTH, KEY, api_in_thread, start_serve, thread_server

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


@SQLITE_ONLY
@pytest.mark.parametrize("path", ["/v1/shops/", "/healthz/", "/v1/notifications/"])
def test_a_trailing_slash_is_404_never_a_redirect_built_from_the_host_header(
    api: Api, path: str
) -> None:
    answer = api.http.get(path, headers={"Host": "attacker.example"})

    assert answer.status_code == 404
    assert "location" not in answer.headers
    assert answer.headers["content-type"] == "application/problem+json"


@SQLITE_ONLY
@pytest.mark.parametrize("path", ["/v1/shops", "/healthz", "/metrics", "/openapi.json"])
@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("api_key=whatever", "api_key"),
        ("limit=5&key=whatever", "key"),
        ("token=", "token"),
        ("Access_Token=whatever", "Access_Token"),
        (f"q={KEY}", "q"),
    ],
)
def test_an_api_key_in_the_query_string_is_refused_400_naming_the_parameter(
    api: Api, path: str, query: str, parameter: str
) -> None:
    answer = api.http.get(f"{path}?{query}")

    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "urn:budgetguard:problem:key-in-query"
    assert repr(parameter) in problem["detail"]
    assert KEY not in answer.text


@SQLITE_ONLY
def test_a_query_without_a_key_is_served(api: Api) -> None:
    assert api.http.get("/v1/shops?limit=5&online=true").status_code == 200


def test_openapi_json_is_built_once_and_served_as_those_bytes() -> None:
    with thread_server(Settings()) as server:
        builds: list[int] = []
        build = server.api.openapi

        def counted() -> dict[str, Any]:
            builds.append(1)
            return build()

        server.api.openapi = counted  # type: ignore[method-assign]
        answers = [httpx.get(f"{server.url}/openapi.json") for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * 3
    assert answers[0].headers["content-type"] == "application/json"
    assert answers[0].json()["info"]["title"] == "budgetguard"
    assert answers[0].content == answers[1].content == answers[2].content
    assert len(builds) == 1


def test_metrics_read_the_database_once_per_cache_window(db_url: str, engine: Engine) -> None:
    # A window of 4 s: the second request must come within it on a busy machine too.
    context = Context(Settings(database_url=db_url, metrics_cache_seconds=4.0), engine)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        with api_in_thread(context) as (url, _, _):
            counts = []
            for pause in (0, 0, 4.5):
                time.sleep(pause)
                before = len(statements)
                text = httpx.get(f"{url}/metrics").text
                counts.append(len(statements) - before)
                assert "budgetguard_notifications_waiting 0.0" in text
    finally:
        event.remove(engine, "before_cursor_execute", record)

    first, within_the_window, after_it = counts
    assert first > 0
    assert within_the_window == 0
    assert after_it == first


def test_metrics_answer_while_the_pool_has_no_connection_to_give(db_url: str) -> None:
    """The pool's own timeout (no DBAPIError) made /metrics a 500; the outbox gauges are left
    out instead, as when the database does not answer."""
    pooled = make_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    context = Context(Settings(database_url=db_url, metrics_cache_seconds=0), pooled)
    try:
        with api_in_thread(context) as (url, _, _), pooled.connect():
            answer = httpx.get(f"{url}/metrics")
    finally:
        pooled.dispose()

    assert answer.status_code == 200
    assert "budgetguard_spend_events_total" in answer.text
    assert "budgetguard_notifications_waiting " not in answer.text


@SQLITE_ONLY
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_access_log_never_shows_a_query_string(
    db_url: str, tmp_path: Path, log_format: str
) -> None:
    served = start_serve(db_url, tmp_path, "serve", log_format=log_format)
    try:
        with httpx.Client(base_url=served.url, timeout=30) as http:
            listed = http.get("/v1/shops?limit=5&online=true", headers=AUTH).status_code
            refused = http.get(f"/healthz?api_key={KEY}").status_code
            mistaken = http.get(f"/v1/shops?q={KEY}", headers=AUTH).status_code
    finally:
        served.stop()
    log = served.err.read_text()
    lines = log.splitlines()
    messages = [json.loads(line)["message"] for line in lines] if log_format == "json" else lines

    assert (listed, refused, mistaken) == (200, 400, 400)
    assert any('"GET /v1/shops HTTP/1.1" 200' in message for message in messages)
    assert any('"GET /healthz HTTP/1.1" 400' in message for message in messages)
    assert KEY not in log
    assert "limit=5" not in log
