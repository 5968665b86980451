"""Hatch build hook: compile the gettext catalogs (`.po` to `.mo`) into every wheel and editable
install, so that a package built from a clone (where the `.mo` are not committed) speaks every
language. `make install` compiles them too, and again whenever a `.po` changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogsHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo  # noqa: PLC0415 - a build requirement
        from babel.messages.pofile import read_po  # noqa: PLC0415

        root = Path(self.root)
        for po in sorted((root / "src/budgetguard/locale").glob("*/LC_MESSAGES/budgetguard.po")):
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            mo = po.with_suffix(".mo")
            with mo.open("wb") as target:
                write_mo(target, catalog)
            # Ignored by git (.gitignore), so named here to be packed all the same.
            build_data["artifacts"].append(mo.relative_to(root).as_posix())
