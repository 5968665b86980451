"""`budgetguard users add|list|remove|set-password` on every database: the password from
standard input or asked twice on a terminal (a real pseudo-terminal, a separate process), the
refusals in one line, and each change in the audit trail."""

from __future__ import annotations

import getpass
import json
import os
import select
import subprocess
import time
from typing import Any

import pytest
from sqlalchemy import select as query
from typer.testing import CliRunner

from budgetguard.cli import app
from budgetguard.db.schema.tables import audit
from budgetguard.services.users import authenticate
from support.cli import Ran, cli_env, command
from support.world import World

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password
NEW_PASSWORD = "a new password"  # noqa: S105


@pytest.fixture
def env(db_url: str) -> dict[str, str]:
    return cli_env(db_url)


def users(*args: str, env: dict[str, str], given: str | None = None) -> Ran:
    """Run `budgetguard users ARGS` in this process, `given` on standard input (not a tty)."""
    result = CliRunner().invoke(app, ["users", *args], input=given, env=env)
    return Ran(result.exit_code, result.stdout, result.stderr)


def audited(world: World) -> list[tuple[str, str, Any, dict[str, Any]]]:
    with world.context.engine.connect() as connection:
        rows = connection.execute(query(audit).order_by(audit.c.id)).all()
    return [(r.actor, r.action, r.shop_id, json.loads(r.detail)) for r in rows]


def test_users_are_added_listed_given_a_new_password_and_removed(
    env: dict[str, str], world: World
) -> None:
    me = f"cli:{getpass.getuser()}"
    assert users("add", "olga", "--role", "operator", env=env, given=f"{PASSWORD}\n").code == 0
    assert users("add", "vic", "--role", "VIEWER", env=env, given="viewer password\r\n").out == (
        "Added viewer vic.\n"
    )
    listed = [json.loads(line) for line in users("list", "--json", env=env).out.splitlines()]
    table = users("list", env=env).out
    changed = users("set-password", "vic", env=env, given=f"{NEW_PASSWORD}\nignored\n")
    removed = users("remove", "olga", env=env)

    assert [(u["name"], u["role"]) for u in listed] == [("olga", "operator"), ("vic", "viewer")]
    assert set(listed[0]) == {"name", "role", "created_at", "password_changed_at"}
    assert table.splitlines()[0].split() == ["Name", "Role", "Created", "Password", "changed"]
    assert "olga  operator" in table
    assert PASSWORD not in table
    assert (changed.code, changed.out) == (0, "Set the password of vic.\n")
    assert (removed.code, removed.out) == (0, "Removed operator olga.\n")
    assert authenticate(context=world.context, name="vic", password=NEW_PASSWORD)
    assert users("list", "--json", env=env).out.count("\n") == 1
    assert audited(world) == [
        (me, "user.added", None, {"name": "olga", "role": "operator"}),
        (me, "user.added", None, {"name": "vic", "role": "viewer"}),
        (me, "user.password_set", None, {"name": "vic", "role": "viewer"}),
        (me, "user.removed", None, {"name": "olga", "role": "operator"}),
    ]


@pytest.mark.parametrize(
    ("args", "given", "code", "message"),
    [
        (("add", "olga", "--role", "admin"), PASSWORD, 2, "role: must be viewer or operator"),
        (("add", "ol ga", "--role", "viewer"), PASSWORD, 2, "name: must be 1 to 64 letters"),
        (("add", "olga", "--role", "viewer"), "short\n", 2, "password: must be 10 to 1024"),
        (("add", "olga", "--role", "viewer"), "", 2, "password: none on standard input"),
        (("add", "taken", "--role", "viewer"), PASSWORD, 1, "name: a user named 'taken' exists"),
        (("remove", "nobody"), None, 1, "name: no user is named 'nobody'"),
        (("set-password", "nobody"), PASSWORD, 1, "name: no user is named 'nobody'"),
    ],
)
def test_a_refusal_is_one_line_naming_the_problem_and_changes_nothing(
    env: dict[str, str],
    world: World,
    *,
    args: tuple[str, ...],
    given: str | None,
    code: int,
    message: str,
) -> None:
    users("add", "taken", "--role", "viewer", env=env, given=PASSWORD)
    before = users("list", "--json", env=env).out

    ran = users(*args, env=env, given=given)

    assert ran.code == code
    assert ran.err.startswith(f"budgetguard: error: {message}")
    assert ran.err.count("\n") == 1
    assert users("list", "--json", env=env).out == before
    assert len(audited(world)) == 1


class Terminal:
    """A command running on a pseudo-terminal: what it wrote so far, and typing into it."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, child = os.openpty()
        self.process = subprocess.Popen(args, stdin=child, stdout=child, stderr=child, env=env)
        os.close(child)
        self.seen = ""
        self._read = 0  # how much of `seen` the waits have passed

    def wait_for(self, text: str, timeout: float = 60) -> None:
        """Wait until `text` appears after what the previous wait found."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self._read :]:
            ready, _, _ = select.select([self.master], [], [], max(0, deadline - time.monotonic()))
            assert ready, f"waited for {text!r}; the terminal shows {self.seen!r}"
            self.seen += os.read(self.master, 4096).decode()
        self._read = self.seen.index(text, self._read) + len(text)

    def type(self, line: str) -> None:
        os.write(self.master, f"{line}\n".encode())

    def finish(self) -> int:
        try:
            code = self.process.wait(60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(30)
        try:
            while chunk := os.read(self.master, 4096):
                self.seen += chunk.decode()
        except OSError:  # the child side is closed: all was read
            pass
        os.close(self.master)
        return code


@pytest.mark.parametrize("backend", ["sqlite"])
def test_on_a_terminal_the_password_is_asked_twice_and_never_shown(
    env: dict[str, str], world: World
) -> None:
    terminal = Terminal(command("users", "add", "olga", "--role", "operator"), env)
    terminal.wait_for("Password: ")
    terminal.type(PASSWORD)
    terminal.wait_for("Repeat for confirmation: ")
    terminal.type("a different password")
    terminal.wait_for("do not match")
    terminal.wait_for("Password: ")
    terminal.type(PASSWORD)
    terminal.wait_for("Repeat for confirmation: ")
    terminal.type(PASSWORD)

    assert terminal.finish() == 0, terminal.seen
    assert "Added operator olga." in terminal.seen
    assert PASSWORD not in terminal.seen
    assert "different" not in terminal.seen
    assert authenticate(context=world.context, name="olga", password=PASSWORD)
