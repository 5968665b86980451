"""budgetguard's HTTP API on real loopback sockets: in a thread (uvicorn), or `budgetguard serve`
in a separate process, as a deployment runs it."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from budgetguard.api.app import create_api
from budgetguard.api.auth import KeyRing
from budgetguard.api.runtime import Runtime
from budgetguard.bootstrap import App
from budgetguard.metrics import Metrics
from support.cli import cli_env, command

KEY = "test-key-0123456789abcdef"
KEYS = f"tests:{KEY}"
AUTH = {"Authorization": f"Bearer {KEY}"}


@dataclass
class Bell:
    """Records each time the API rang for delivery."""

    rung: int = 0

    def __call__(self) -> None:
        self.rung += 1


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def api_in_thread(app: App) -> Iterator[tuple[str, Runtime, Bell]]:
    """Serve the API of `app` (without its workers) on a loopback port; yield its base URL."""
    bell = Bell()
    runtime = Runtime(app, KeyRing({"tests": KEY}), Metrics(app.engine, app.clock), bell)
    sock = free_socket()
    config = uvicorn.Config(create_api(runtime), log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    host, port = sock.getsockname()
    url = f"http://{host}:{port}"
    wait_until_up(url, thread.is_alive)
    try:
        yield url, runtime, bell
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def wait_until_up(url: str, alive: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError(f"the server at {url} died while starting")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server at {url} did not come up")


@dataclass
class ServeProcess:
    """A `budgetguard serve` process; its notifications (stdout) and logs (stderr) in files."""

    process: subprocess.Popen[bytes]
    url: str
    out: Path
    err: Path

    def stop(self, *, timeout: float = 60) -> int:
        self.process.terminate()
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(30)

    def printed(self) -> list[str]:
        return self.out.read_text().splitlines()


def start_serve(database_url: str, directory: Path, name: str, **settings: str) -> ServeProcess:
    """Start `budgetguard serve` on a free port; return once it answers /healthz."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()  # the child binds it again at once; SO_REUSEADDR makes that safe here
    env = cli_env(database_url, api_keys=KEYS, log_format="json", **settings)
    out, err = directory / f"{name}.out", directory / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            command("serve", "--port", str(port)), env=env, stdout=stdout, stderr=stderr
        )
    served = ServeProcess(process, f"http://127.0.0.1:{port}", out, err)
    try:
        wait_until_up(served.url, lambda: process.poll() is None)
    except AssertionError:
        served.kill()
        raise AssertionError(f"serve did not start: {err.read_text()[-2000:]}") from None
    return served
