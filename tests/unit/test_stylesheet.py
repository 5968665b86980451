"""The console's stylesheet parses as written: every block closed, no rule of the page nested by
accident inside a media query (a merge once dropped two `}`, and every rule after them applied
to phones only)."""

from __future__ import annotations

import re

from budgetguard.web.templating import STATIC

SOURCE = re.sub(r"/\*.*?\*/", "", (STATIC / "console.css").read_text(), flags=re.S)


def test_every_block_of_the_stylesheet_is_closed() -> None:
    depth, lowest = 0, 0
    for character in SOURCE:
        depth += {"{": 1, "}": -1}.get(character, 0)
        lowest = min(lowest, depth)

    assert (depth, lowest) == (0, 0)


def test_no_media_query_holds_another_or_a_section_of_the_page() -> None:
    depth, nested = 0, []
    for number, line in enumerate(SOURCE.splitlines(), 1):
        if depth and line.startswith("@media"):
            nested.append(number)
        if depth and line[:1] not in {"", " ", "}"}:
            nested.append(number)  # a top-level rule inside a block
        depth += line.count("{") - line.count("}")

    assert nested == []
