"""The tree shows the architecture: few modules at the top, small modules, imports inward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "src" / "budgetguard"
LONGEST_MODULE = 300
OUTER = {"api", "cli", "server", "web", "bootstrap"}
# What each part may import of budgetguard's own (a module, or a package and all below it).
# The entry points (api, cli, server) use the use cases; besides, they pick the console channel
# and the delivery worker's control, and name database errors in their messages.
ENTRY = {"domain", "services", "bootstrap", "config", "__init__", "db.plumbing.engine"}
MAY_IMPORT = {
    "domain": {"domain"},
    "db": {"domain", "db"},
    "notify": {"domain", "notify", "__init__"},
    "services": {"domain", "db", "notify", "services", "config"},
    "api": ENTRY | {"api"},
    "web": ENTRY | {"api", "web"},
    "server": ENTRY | {"api", "server", "web", "notify.channels", "notify.runner"},
    "cli": ENTRY | {"cli", "server", "notify.channels.console", "notify.runner"},
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def part_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported(path: Path) -> set[str]:
    """The modules of budgetguard that `path` imports (at module level or inside functions),
    dotted below the package: `db.plumbing.engine`, `__init__` for the package itself."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(
                f"{node.module}.{alias.name}"
                if (PACKAGE.parent / node.module.replace(".", "/") / alias.name).exists()
                or (PACKAGE.parent / f"{node.module.replace('.', '/')}/{alias.name}.py").exists()
                else node.module
                for alias in node.names
            )
    ours = {name.removeprefix("budgetguard.") for name in found if name.startswith("budgetguard")}
    return {"__init__" if name == "budgetguard" else name for name in ours}


def forbidden(path: Path, allowed: set[str]) -> list[str]:
    return sorted(
        name
        for name in imported(path)
        if not any(name == a or name.startswith(f"{a}.") for a in allowed)
    )


def test_at_most_five_modules_sit_at_the_top_of_the_package() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))

    assert len(top) <= 5, top


def test_no_module_is_longer_than_300_lines_migrations_aside() -> None:
    long = {
        str(path.relative_to(PACKAGE)): length
        for path in modules()
        if "versions" not in path.parts
        and (length := len(path.read_text().splitlines())) > LONGEST_MODULE
    }

    assert long == {}


@pytest.mark.parametrize("part", sorted(MAY_IMPORT))
def test_imports_point_inward(part: str) -> None:
    wrong = {
        str(path.relative_to(PACKAGE)): names
        for path in modules()
        if part_of(path) == part and (names := forbidden(path, MAY_IMPORT[part]))
    }

    assert wrong == {}


def test_the_domain_needs_only_the_standard_library() -> None:
    third_party = {
        str(path.relative_to(PACKAGE)): sorted(foreign)
        for path in (PACKAGE / "domain").glob("*.py")
        if (foreign := _third_party(path))
    }

    assert third_party == {}


def test_services_never_import_the_composition_root_nor_the_entry_points() -> None:
    for path in (PACKAGE / "services").glob("*.py"):
        parts = {name.split(".")[0] for name in imported(path)}
        assert not parts & OUTER, path.name


def _third_party(path: Path) -> set[str]:
    import sys  # noqa: PLC0415

    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return {root for root in roots if root not in sys.stdlib_module_names} - {"budgetguard"}
