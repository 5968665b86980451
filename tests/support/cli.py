"""Run the `budgetguard` command: in this process (Typer's runner: the same commands, parsing,
output and exit codes, without a second of interpreter start-up), or as a separate process,
where a fresh process, its signals or its exit status are the point."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from sqlalchemy.engine import URL, Engine
from typer.testing import CliRunner

from budgetguard.cli import app


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def cli_env(database_url: str | URL | None = None, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETGUARD_")}
    if database_url is not None:
        url = database_url
        if isinstance(url, URL):
            url = url.render_as_string(hide_password=False)
        env["BUDGETGUARD_DATABASE_URL"] = url
    env.update({f"BUDGETGUARD_{name.upper()}": value for name, value in settings.items()})
    return env


def invoke(*args: str, env: dict[str, str]) -> Ran:
    """Run `budgetguard ARGS` in this process with `env`'s settings; capture what it prints."""
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "budgetguard", *args]


def run(*args: str, env: dict[str, str], timeout: float = 120) -> Ran:
    done = subprocess.run(
        command(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)
