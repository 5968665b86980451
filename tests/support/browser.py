"""The console in a real browser: Debian's Chromium driven by Playwright for Python.

Playwright's own browser download does not work on these machines and is never attempted: the
tests launch /usr/bin/chromium (BUDGETGUARD_TEST_CHROMIUM names another). Without it they skip
with a message, except under BUDGETGUARD_REQUIRE_SERVERS=1, where that is a failure.

Accessibility is checked with axe-core, read from the npm package installed by `make test`
(tests/browser/node_modules) and injected into the page from disk: no CDN.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from support.databases import REQUIRE_SERVERS

CHROMIUM = Path(os.environ.get("BUDGETGUARD_TEST_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).parents[2]
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
"""Where every page's screenshots are written, at both sizes (README "The web console")."""
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SERIOUS = {"serious", "critical"}


def missing(what: str) -> None:
    """Skip a browser test for want of `what` (fail in CI)."""
    if REQUIRE_SERVERS:
        pytest.fail(f"{what} (BUDGETGUARD_REQUIRE_SERVERS=1)", pytrace=False)
    pytest.skip(what)


def check_accessibility(page: Any) -> None:
    """Run axe-core on the page as it is; fail on any violation of impact serious or critical."""
    serious = _serious(page)
    assert serious == [], json.dumps(
        [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in serious
        ],
        indent=1,
    )  # fmt: skip


def serious_violations(page: Any) -> set[str]:
    """The ids of axe-core's violations of impact serious or critical on the page as it is."""
    return {v["id"] for v in _serious(page)}


def _serious(page: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        missing(f"axe-core is not installed at {AXE} (make test installs it with npm)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v.get("impact") in SERIOUS]


def screenshots(
    page: Any, name: str, *, full_page: bool = True, shown_as: Mapping[str, str] | None = None
) -> None:
    """Write the page at 1280x800 and 390x844 (full length, or the first screen only) to
    docs/screenshots/NAME-*.png, then put the viewport back as it was.

    `shown_as`: text the pictures show in place of other text that changes from run to run (a
    receiver's ephemeral port), so that a run leaves the committed pictures as they were. The
    page's text is rewritten for good: take the screenshots after what the test reads."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if shown_as:
        page.evaluate(_REWRITE_TEXT, list(shown_as.items()))
    before = page.viewport_size
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=full_page)
    page.set_viewport_size(before)


_REWRITE_TEXT = """pairs => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const [text, shown] of pairs) node.nodeValue = node.nodeValue.split(text).join(shown);
    }
}"""
