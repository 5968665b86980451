"""Control and bidirectional characters: escaped in readable output, exact in JSON."""

from __future__ import annotations

import json

import pytest

from budgetguard.domain.text import UNSAFE, readable, safe_json, unsafe_characters

EVIL = "Evil\x1b[2J\r\n2020-06-30  #9 Fake\t\x9b\x7f \u202eabc\u2066\u200f\u061c"


def test_readable_text_shows_every_control_as_an_escape_on_one_line() -> None:
    shown = readable(EVIL)

    assert shown == (
        "Evil\\x1b[2J\\r\\n2020-06-30  #9 Fake\\t\\x9b\\x7f \\u202eabc\\u2066\\u200f\\u061c"
    )
    assert not set(shown) & UNSAFE


@pytest.mark.parametrize("character", sorted(UNSAFE))
def test_each_unsafe_character_is_escaped(character: str) -> None:
    assert readable(character).startswith("\\")


def test_ordinary_text_is_left_alone() -> None:
    assert readable("Café Ünïcødé — 日本 [bold] \\x1b") == "Café Ünïcødé — 日本 [bold] \\x1b"


def test_safe_json_is_the_same_value_and_prints_no_control() -> None:
    encoded = safe_json(json.dumps({"shop_name": EVIL}, ensure_ascii=False))

    assert json.loads(encoded) == {"shop_name": EVIL}
    assert not set(encoded) & UNSAFE


def test_the_unsafe_characters_of_a_value_are_named_once_each() -> None:
    assert unsafe_characters("a\u202eb\u202ec\n") == ["\\u202e", "\\n"]
    assert unsafe_characters("As Seen On Sale") == []
