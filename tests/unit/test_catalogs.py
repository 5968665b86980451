"""The message catalogs: every message of the code and the templates is in the template (.pot),
translated in every language, and what is loaded is what the .po compile to."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from budgetguard.domain.policy import LANGUAGES
from budgetguard.notify.channels.voice import LOCALE_DIR, voice

ROOT = Path(__file__).parents[2]


def catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=language)


def extracted() -> set[str]:
    """The message ids `make catalogs` extracts from src/ now (babel.cfg's map)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(ROOT / "src", method_map, options_map)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_the_template_holds_every_message_of_the_code_and_the_templates() -> None:
    template = {message.id for message in catalog(LOCALE_DIR / "budgetguard.pot") if message.id}

    assert extracted() == template, "run `make catalogs`"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    template = catalog(LOCALE_DIR / "budgetguard.pot")
    translated = catalog(LOCALE_DIR / language / "LC_MESSAGES" / "budgetguard.po", language)

    missing = [
        message.id
        for message in template
        if message.id
        and (
            (found := translated.get(message.id)) is None
            or not found.string
            or found.fuzzy
            or (isinstance(found.string, tuple) and not all(found.string))
        )
    ]
    assert missing == []
    problems = [(message.id, errors) for message, errors in translated.check()]
    assert problems == [], "a translation's %(name)s placeholders must be the message's"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_translations_of_today(language: str) -> None:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    compiled = BytesIO()
    write_mo(compiled, catalog(folder / "budgetguard.po", language))

    assert (folder / "budgetguard.mo").read_bytes() == compiled.getvalue(), "run `make install`"
    assert voice(language).gettext("Spent") == catalog(folder / "budgetguard.po")["Spent"].string
