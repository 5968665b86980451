"""The root command's subcommands, each imported when it is used, not when the CLI starts.

A command's module imports what that command needs (the delivery channels, Alembic, the HTTP
stack…); importing every module to register every command made `budgetguard --version` pay for
all of them (STYLE rule 1). The table names each command's Typer app by `module:attribute`;
`--help` of the root, which lists every command, still imports them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import typer

# Typer's Click command; Any because Typer ships its Click as a private module (typer._click).
ClickCommand = Any


class LazyCommands(MutableMapping[str, ClickCommand]):
    """Click's `Group.commands`: the names known at once, each command built at first look-up."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = dict(table)
        self._built: dict[str, ClickCommand] = {}

    def __getitem__(self, name: str) -> ClickCommand:
        if name not in self._built:
            module, _, attribute = self._table[name].partition(":")  # KeyError: no such command
            app = getattr(importlib.import_module(module), attribute)
            self._built[name] = typer.main.get_command(app)
        return self._built[name]

    def __setitem__(self, name: str, command: ClickCommand) -> None:
        self._table.setdefault(name, "")
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._table[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, name: object) -> bool:
        return name in self._table


def command_group(
    name: str | None = None, *, help: str | None = None, no_args_is_help: bool = False
) -> typer.Typer:
    """A Typer app for the table above, one command or a group, shown as the root is: without
    Typer's completion options or Rich markup."""
    return typer.Typer(
        name=name,
        help=help,
        no_args_is_help=no_args_is_help,
        add_completion=False,
        rich_markup_mode=None,
    )
