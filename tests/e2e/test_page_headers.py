"""The headers of the pages over real HTTP: the console's own policy on its pages, and the API's
documentation pages, served by the API alone as by the whole application, with their assets from
the package and a policy of their own that names no other host."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from budgetguard.config import Settings
from budgetguard.web.templating import PAGE_HEADERS
from support.api import Api
from support.server import thread_server


@pytest.fixture(scope="module", params=["whole application", "API alone"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    with thread_server(Settings(), console=request.param == "whole application") as server:
        yield server.url


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_a_documentation_page_loads_everything_from_its_own_server(url: str, path: str) -> None:
    page = httpx.get(f"{url}{path}")
    loads = re.findall(r'(?:src|href)="([^"]+)"', page.text)

    assert page.status_code == 200
    assert loads, page.text
    assert "//" not in page.text  # no URL of another host, not even scheme-relative
    for load in loads:
        assert load.startswith("/docs/assets/"), load
        asset = httpx.get(f"{url}{load}")
        assert asset.status_code == 200, load
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_a_documentation_page_allows_its_own_origin_only(url: str, path: str) -> None:
    page = httpx.get(f"{url}{path}")
    policy = page.headers["content-security-policy"]

    assert "default-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert not re.search(r"https?:|\*", policy), policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="en">' in page.text


def test_swagger_ui_s_one_inline_script_is_allowed_by_its_hash_alone(url: str) -> None:
    page = httpx.get(f"{url}/docs")
    script_src = page.headers["content-security-policy"].split("script-src ")[1].split(";")[0]

    assert re.fullmatch(r"'self' 'sha256-[A-Za-z0-9+/=]{44}'", script_src)
    assert "unsafe-inline" not in script_src


def test_an_asset_of_the_documentation_that_does_not_exist_is_a_problem(url: str) -> None:
    response = httpx.get(f"{url}/docs/assets/swagger-ui/missing.js")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/sign-in", "/no-such-page"])
def test_a_console_page_carries_the_console_s_headers(api: Api, path: str) -> None:
    response = api.http.get(path)

    assert response.headers["content-type"].startswith("text/html")
    for name, value in PAGE_HEADERS.items():
        assert response.headers[name] == value, name


def test_the_documentation_does_not_carry_the_console_s_policy(api: Api) -> None:
    response = api.http.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-security-policy"] != PAGE_HEADERS["Content-Security-Policy"]


def test_the_console_s_policy_names_no_other_host_and_no_inline_code() -> None:
    policy = PAGE_HEADERS["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert not re.search(r"https?:|\*|unsafe-", policy)
