"""The API's documentation pages render on a host without internet: every request the browser
makes to any host but the server's own is refused and recorded, and the record stays empty.

The pages are opened at the server's loopback address and under a name that is not loopback
(`docs.budgetguard.test`, proxied by the test to the server): Swagger UI's validator badge, for
one, asks validator.swagger.io only when the page's host is not localhost. The pages' own
Content-Security-Policy applies, and a load it refuses is a console error, recorded too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from budgetguard.config import Settings
from support.browser import DESKTOP, check_accessibility, screenshots, serious_violations
from support.server import thread_server

NAME = "docs.budgetguard.test"
SWAGGER_UI_KNOWN = {"color-contrast", "nested-interactive"}
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with thread_server(Settings()) as server:
        yield server.url


class Offline:
    """A browser context where only the server answers: under its own address, or under NAME.
    Requests to anywhere else are aborted and kept in `refused`; console errors in `errors`."""

    def __init__(self, chromium: Any, server_url: str) -> None:
        self.server = server_url
        # The pages' own Content-Security-Policy applies (no bypass_csp, unlike the `page`
        # fixture): a policy that broke them would show here.
        self.context = chromium.new_context(viewport=DESKTOP)
        self.refused: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)

    def _route(self, route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if host == NAME:
            served = route.fetch(url=self.server + url.removeprefix(f"http://{NAME}"))
            route.fulfill(response=served)
        elif host in LOOPBACK or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
def offline(chromium: Any, server_url: str) -> Iterator[Offline]:
    browser = Offline(chromium, server_url)
    try:
        yield browser
    finally:
        # The test ends once its page has rendered, but the page may still be loading: a
        # request proxied for NAME still in flight when the context closes would fail in
        # `fetch` or `fulfill`, and the error surface in the next test's fixture. Let those
        # handlers finish first.
        browser.context.unroute_all(behavior="wait")
        browser.context.close()


@pytest.mark.parametrize("host", ["loopback", "a name"])
def test_swagger_ui_renders_the_operations_with_nothing_fetched_from_elsewhere(
    offline: Offline, host: str
) -> None:
    base = offline.server if host == "loopback" else f"http://{NAME}"
    page = offline.page

    page.goto(f"{base}/docs")

    shops = page.locator('.opblock-summary-path[data-path="/v1/shops"]').first
    shops.wait_for(state="visible")
    assert page.locator(".opblock").count() > 10
    assert "budgetguard" in page.locator(".info .title").inner_text()
    assert offline.refused == []
    assert offline.errors == []


@pytest.mark.parametrize("host", ["loopback", "a name"])
def test_redoc_renders_the_api_with_nothing_fetched_from_elsewhere(
    offline: Offline, host: str
) -> None:
    base = offline.server if host == "loopback" else f"http://{NAME}"
    page = offline.page

    page.goto(f"{base}/redoc")

    page.get_by_role("heading", level=1).filter(has_text="budgetguard").wait_for()
    page.get_by_text("/v1/shops", exact=True).first.wait_for(state="attached")
    assert page.locator("[data-section-id^='operation/']").count() > 10
    assert offline.refused == []
    assert offline.errors == []


def test_redoc_has_no_serious_accessibility_violation(page: Any, server_url: str) -> None:
    page.goto(f"{server_url}/redoc")
    page.get_by_role("heading", level=1).first.wait_for()

    screenshots(page, "api-redoc", full_page=False)  # 20,000 pixels long
    check_accessibility(page)


def test_swagger_ui_has_only_its_own_known_accessibility_violations(
    page: Any, server_url: str
) -> None:
    page.goto(f"{server_url}/docs")
    page.locator(".opblock").first.wait_for()

    screenshots(page, "api-docs", full_page=False)
    # Swagger UI's own markup and colours (README "API documentation offline"): grey on white
    # below 4.5:1, and each operation's summary a button holding another. Any other kind fails.
    assert serious_violations(page) <= SWAGGER_UI_KNOWN
