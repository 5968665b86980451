"""Fixtures of the browser tests: one Chromium per module, a fresh browser context (cookies,
storage) per test at 1280x800, and the console served over real HTTP for the test's world."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from budgetguard.domain.users import Role
from budgetguard.services.users import add_user
from support.browser import CHROMIUM, DESKTOP, LAUNCH_ARGS, missing
from support.server import api_in_thread, stop_shared_server
from support.world import World

T = TypeVar("T")
PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password


@pytest.fixture(scope="session", autouse=True)
def _shared_server() -> Iterator[None]:
    yield
    stop_shared_server()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One Chromium for the browser tests (this package), closed when they end: Playwright's
    synchronous API runs an event loop in this thread while it is open, and every later test
    that calls asyncio.run() (delivery, the SMTP and webhook receivers) would fail beside it.
    While it is open, run such work in another thread (`in_thread`)."""
    if not CHROMIUM.exists():
        missing(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        missing("Playwright for Python is not installed (make test installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


def in_thread(work: Callable[[], T]) -> T:
    """Run `work` in a thread of its own and return its result (asyncio.run() cannot run in
    this thread while the browser is open)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    # bypass_csp: axe-core is injected as a script the pages' own policy would refuse.
    context = chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass
class Console:
    """The console of the test's world at `url`."""

    url: str
    world: World

    def add_user(self, name: str, role: Role, password: str = PASSWORD) -> None:
        add_user(context=self.world.context, name=name, role=role, password=password)

    def sign_in(
        self, page: Any, name: str, password: str = PASSWORD, *, here: bool = False
    ) -> None:
        """Sign in on the sign-in page (`here`: the one the page shows now, with its `next`)."""
        if not here:
            page.goto(f"{self.url}/sign-in")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        # A click returns once the next document is committed, not parsed: wait until it is,
        # so that what the test reads next is the whole page.
        page.wait_for_load_state()


@pytest.fixture
def console(world: World) -> Iterator[Console]:
    with api_in_thread(world.context) as (url, _runtime, _bell):
        yield Console(url, world)
