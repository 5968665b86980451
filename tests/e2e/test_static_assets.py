"""Static assets over real HTTP: a year's caching for the digest-named URLs the pages use, a short
one with revalidation (304) otherwise, gzip for text, and no way out of the served directories."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator

import httpx
import pytest

from budgetguard.api.docs import ASSETS
from budgetguard.config import Settings
from budgetguard.web.templating import STATIC
from support.server import thread_server

YEAR = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
BUNDLE = ASSETS / "swagger-ui" / "swagger-ui-bundle.js"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with thread_server(Settings()) as server:
        yield server.url


def linked(url: str, page: str, name: str) -> str:
    """The URL of the asset `name` as `page` links it."""
    html = httpx.get(f"{url}{page}").text
    found = re.search(rf'="(/[^"]*/{re.escape(name)}\?v=[0-9a-f]+)"', html)
    assert found is not None, html
    return found.group(1)


def test_the_stylesheet_a_page_names_is_cached_for_a_year(url: str) -> None:
    css = linked(url, "/no-such-page", "console.css")  # the 404 page, on base.html too

    response = httpx.get(f"{url}{css}")

    assert response.status_code == 200
    assert response.headers["cache-control"] == YEAR
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (STATIC / "console.css").read_bytes()


@pytest.mark.parametrize("query", ["", "?v=0.1.0", "?v=0123456789abcdef"])
def test_an_asset_without_its_current_digest_is_kept_briefly_then_revalidated(
    url: str, query: str
) -> None:
    first = httpx.get(f"{url}/static/console.css{query}")
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    by_tag = httpx.get(f"{url}/static/console.css{query}", headers={"If-None-Match": etag})
    by_date = httpx.get(f"{url}/static/console.css", headers={"If-Modified-Since": modified})
    other = httpx.get(f"{url}/static/console.css", headers={"If-None-Match": '"other"'})

    assert first.headers["cache-control"] == SHORT
    assert (by_tag.status_code, by_tag.content) == (304, b"")
    assert by_tag.headers["etag"] == etag
    assert by_tag.headers["cache-control"] == SHORT
    assert by_date.status_code == 304
    assert other.status_code == 200


def test_the_swagger_bundle_travels_gzipped_to_a_client_that_accepts_it(url: str) -> None:
    bundle = linked(url, "/docs", BUNDLE.name)
    with httpx.Client(base_url=url) as client:
        zipped = client.get(bundle, headers={"Accept-Encoding": "gzip"})
        plain = client.get(bundle, headers={"Accept-Encoding": "identity"})

    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert zipped.content == BUNDLE.read_bytes()  # httpx has unzipped it
    assert zipped.num_bytes_downloaded < BUNDLE.stat().st_size / 3
    assert zipped.headers["cache-control"] == YEAR
    assert "content-encoding" not in plain.headers
    assert plain.num_bytes_downloaded == BUNDLE.stat().st_size


def test_an_image_is_not_gzipped_again(url: str) -> None:
    icon = linked(url, "/docs", "favicon-32x32.png")

    response = httpx.get(f"{url}{icon}", headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert "content-encoding" not in response.headers


OUTSIDE = [
    "/static/../app.py",
    "/static/../../config/__init__.py",
    "/static/%2e%2e/app.py",
    "/static/..%2fapp.py",
    "/static/%2e%2e%2f%2e%2e%2fconfig%2f__init__.py",
    "/static/..%5capp.py",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/docs/assets/../docs.py",
    "/docs/assets/%2e%2e/docs.py",
    "/docs/assets/..%2f..%2fweb%2fapp.py",
]


@pytest.mark.parametrize("path", OUTSIDE)
def test_a_path_out_of_the_static_directories_is_not_found(url: str, path: str) -> None:
    status, body = raw_get(url, path)

    assert status == 404
    assert b"import" not in body
    assert b"root:" not in body


def test_the_raw_requests_above_do_reach_the_files(url: str) -> None:
    status, body = raw_get(url, "/static/./console.css")

    assert (status, body) == (200, (STATIC / "console.css").read_bytes())


def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET `path` exactly as written: httpx would remove the dot segments before sending."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
