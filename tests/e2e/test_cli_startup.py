"""What a fresh `budgetguard` process loads: each command imports what it uses (STYLE rule 1),
so that `--version` and `status` start at once. These tests name modules, never times: the
times are benchmarks/startup.py's."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from budgetguard.cli import COMMANDS
from support.cli import Ran, cli_env, invoke

# Runs the command as the console script does, then lists every module the process imported.
PROBE = """
import json, sys
from budgetguard.cli import main
sys.argv[0] = "budgetguard"
try:
    main()
    code = 0
except SystemExit as end:
    code = end.code
sys.stderr.write("\\nmodules: " + json.dumps(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""
DELIVERY_AND_HTTP = {
    "aiohttp",
    "babel",  # issue 9: loaded where messages are rendered
    "jinja2",
    "email_validator",
    "fastapi",
    "starlette",
    "uvicorn",
    "budgetguard.api",
    "budgetguard.notify.worker",
    "budgetguard.services.deliveries",
}
MIGRATIONS_AND_SECRETS = {"alembic", "mako", "cryptography"}
SETTINGS_AND_DATABASE = {"pydantic", "pydantic_settings", "sqlalchemy", "budgetguard.config"}


def loaded(*args: str, env: dict[str, str]) -> tuple[Ran, set[str]]:
    """Run `budgetguard ARGS` in a fresh process; return what it printed and the top-level
    names of the modules it imported (`sqlalchemy` for `sqlalchemy.engine`, and so on)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    err, _, modules = done.stderr.rpartition("\nmodules: ")
    names = set(json.loads(modules))
    prefixes = {".".join(name.split(".")[:depth]) for name in names for depth in (1, 2, 3)}
    return Ran(done.returncode, done.stdout, err), prefixes


def sample_database(tmp_path: Path) -> dict[str, str]:
    env = cli_env(f"sqlite:///{tmp_path / 'sample.db'}")
    assert invoke("db", "upgrade", env=env).code == 0
    assert invoke("db", "seed-sample", env=env).code == 0
    return env


def test_version_loads_neither_the_settings_nor_the_database_nor_any_command() -> None:
    ran, modules = loaded("--version", env=cli_env())

    assert (ran.code, ran.out) == (0, "budgetguard 0.1.0\n")
    heavy = DELIVERY_AND_HTTP | MIGRATIONS_AND_SECRETS | SETTINGS_AND_DATABASE | {"rich"}
    assert modules & heavy == set()
    assert not {name for name in modules if name.startswith("budgetguard.cli.")} - {
        "budgetguard.cli.lazy"
    }


def test_status_loads_neither_alembic_nor_cryptography_nor_the_delivery_or_http_stack(
    tmp_path: Path,
) -> None:
    ran, modules = loaded("status", "--shop", "1", env=sample_database(tmp_path))

    assert ran.code == 0, ran.err
    assert "Steve McQueen" in ran.out
    assert modules & (DELIVERY_AND_HTTP | MIGRATIONS_AND_SECRETS) == set()
    assert modules >= SETTINGS_AND_DATABASE  # the probe sees what the command does load


def test_status_with_secret_keys_set_checks_them_without_loading_cryptography(
    tmp_path: Path,
) -> None:
    env = sample_database(tmp_path)
    keys = [base64.urlsafe_b64encode(os.urandom(32)).decode() for _ in range(2)]

    ran, modules = loaded("status", env={**env, "BUDGETGUARD_SECRET_KEY": ",".join(keys)})
    refused, _ = loaded("status", env={**env, "BUDGETGUARD_SECRET_KEY": f"{keys[0]},nope"})

    assert ran.code == 0, ran.err
    assert "cryptography" not in modules
    assert refused.code == 2
    assert refused.err.startswith("budgetguard: error: BUDGETGUARD_SECRET_KEY: key 2 is not a")


def test_a_command_that_needs_a_library_still_loads_it() -> None:
    ran, modules = loaded("db", "new-secret-key", env=cli_env())

    assert ran.code == 0, ran.err
    assert len(base64.urlsafe_b64decode(ran.out.strip())) == 32
    assert "cryptography" in modules


def test_help_lists_every_command_in_order_and_a_typo_is_answered_with_a_suggestion() -> None:
    top = invoke("--help", env=cli_env())
    typo = invoke("stauts", env=cli_env())

    assert top.code == 0
    listed = [line.split()[0] for line in top.out.split("Commands:")[1].splitlines() if line]
    assert listed == list(COMMANDS)
    assert typo.code == 2
    assert "No such command 'stauts'. Did you mean 'status'?" in typo.err
