"""A DNS resolver that never answers, for tests of the contact lookup's bound.

The system's resolver cannot be pointed at a silent server here (resolv.conf is the machine's),
so this one sends its question to a local UDP socket that never replies and blocks on the
answer, as getaddrinfo does, until the test releases it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SilentResolver:
    """Blocks every lookup on a UDP exchange with a server that never replies; counts them."""

    def __init__(self, server: tuple[str, int]) -> None:
        self._server = server
        self._released = threading.Event()
        self._lock = threading.Lock()
        self.asked: list[str] = []
        self.waiting = 0

    def __call__(self, host: str, port: int) -> list[str]:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(host.encode("idna"), self._server)
            sock.settimeout(0.2)
            with self._lock:
                self.asked.append(host)
                self.waiting += 1
            try:
                while not self._released.is_set():
                    try:
                        sock.recv(512)
                    except TimeoutError:
                        continue
            finally:
                with self._lock:
                    self.waiting -= 1
        raise OSError(f"no answer for {host}: the test ended")

    def release(self) -> None:
        self._released.set()


@contextmanager
def silent_resolver() -> Iterator[SilentResolver]:
    """A resolver whose server (a bound UDP socket that reads nothing) never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        resolver = SilentResolver(server.getsockname())
        try:
            yield resolver
        finally:
            resolver.release()
