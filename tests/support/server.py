"""budgetguard's HTTP API on real loopback sockets: in a thread (uvicorn), or `budgetguard serve`
in a separate process, as a deployment runs it.

The thread is started once per test session and serves every test in turn: each test points it
at its own runtime (its database, settings, clock and metrics), so no test pays for a server's
start and stop, and every request still travels over real HTTP.
"""

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
from fastapi import FastAPI

from budgetguard.api.app import create_api
from budgetguard.api.dependencies import KeyRing, Runtime
from budgetguard.api.metrics import Metrics
from budgetguard.config import Settings
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.notify.channels.guard import Resolver
from budgetguard.server.http import server_config
from budgetguard.services.uow import Context
from budgetguard.web.app import create_app
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


class ThreadServer:
    """uvicorn serving an app in a daemon thread on a loopback port, configured as `serve`
    configures it (its protocol and bounds from `settings`), without `serve`'s workers."""

    def __init__(self, api: FastAPI, settings: Settings) -> None:
        self.api = api
        self._sock = free_socket()
        config = server_config(self.api, settings, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        host, port = self._sock.getsockname()
        self.address: tuple[str, int] = (host, port)
        self.url = f"http://{host}:{port}"
        wait_until_up(self.url, self._thread.is_alive)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(30)
        self._sock.close()


@contextmanager
def thread_server(settings: Settings, *, console: bool = True) -> Iterator[ThreadServer]:
    """A server of its own for a test of the HTTP layer, on an in-memory SQLite database: the
    whole application `serve` runs, or the API alone (`console=False`)."""
    context = Context(settings, make_engine("sqlite://"))
    build = create_app if console else create_api
    server = ThreadServer(build(_runtime(context, Bell())), settings)
    try:
        yield server
    finally:
        server.stop()
        context.close()


class SharedServer(ThreadServer):
    """The session's server, for whichever runtime the current test set."""

    def __init__(self) -> None:
        idle = Context(Settings(), make_engine("sqlite://"))  # never asked: each test sets its own
        super().__init__(create_app(_runtime(idle, Bell())), idle.settings)
        self._idle = self.api.state.runtime

    @contextmanager
    def serving(
        self, context: Context, resolver: Resolver | None = None
    ) -> Iterator[tuple[Runtime, Bell]]:
        bell = Bell()
        runtime = _runtime(context, bell)
        if resolver is not None:
            runtime.resolver = resolver
        self.api.state.runtime = runtime
        try:
            yield runtime, bell
        finally:
            self.api.state.runtime = self._idle


def _runtime(context: Context, bell: Bell) -> Runtime:
    return Runtime(context, KeyRing({"tests": KEY}), Metrics(context), bell)


_shared: list[SharedServer] = []


def shared_server() -> SharedServer:
    """The session's server, started at first use (stopped by `stop_shared_server`)."""
    if not _shared:
        _shared.append(SharedServer())
    return _shared[0]


def stop_shared_server() -> None:
    while _shared:
        _shared.pop().stop()


@contextmanager
def api_in_thread(
    context: Context, *, resolver: Resolver | None = None
) -> Iterator[tuple[str, Runtime, Bell]]:
    """Serve the API of `context` on a loopback port; yield its base URL, runtime and bell.

    `resolver`: what looks up the hosts of contacts being added (default: the system's)."""
    server = shared_server()
    with server.serving(context, resolver) as (runtime, bell):
        yield server.url, runtime, bell


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
    env = cli_env(database_url, **{"api_keys": KEYS, "log_format": "json", **settings})
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
