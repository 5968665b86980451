"""A TCP proxy on loopback in front of a database server, whose link can be cut and restored:
a database outage that the tests control.

Two kinds of outage: `cut` closes every connection and refuses new ones (the database is down,
the client learns it at once); `silence` stops forwarding without closing anything (a network
partition: the proxy's kernel still accepts and acknowledges every byte, so TCP keepalives and
`tcp_user_timeout` never fire, and only a client-side bound on waiting for an answer helps).
`restore` ends either.

And a failure at the worst moment, `reset_after_commits`: a connection that recorded spend is
reset (RST) once its COMMIT has been answered, either when the client next speaks (it has read
the answer: the commit succeeded and it knows it) or at once (it may never read the answer).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from enum import Enum


class Reset(Enum):
    """When `reset_after_commits` resets a connection whose commit was answered."""

    ANSWER_READ = "when the client speaks again"
    ANSWER_SENT = "as soon as the answer has been passed on"


class Proxy:
    """Forwards 127.0.0.1:<port> to `target`; `cut` drops every connection and refuses new ones;
    `silence` holds every byte and every new connection until `restore`."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._cut = threading.Event()
        self.flowing = threading.Event()
        self.flowing.set()
        self.resets: Reset | None = None
        self.passing = 0
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._held: list[socket.socket] = []
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def reset_after_commits(self, when: Reset | None, *, passing: int = 0) -> None:
        """Reset every connection that records spend events after its COMMIT was answered,
        `when` said (None: no longer); with ANSWER_READ, after `passing` more requests of the
        client went through (the pool's rollback, say, so that the next one fails)."""
        self.resets, self.passing = when, passing

    def silence(self) -> None:
        """Stop forwarding, closing nothing: bytes sent either way are held, and connections
        opened meanwhile are accepted and never answered."""
        self.flowing.clear()

    def restore(self) -> None:
        """Forward again; connections opened while silent are closed (their clients have long
        given up)."""
        self._cut.clear()
        self._drop_held()
        self.flowing.set()

    def close(self) -> None:
        self._stopped = True
        self.cut()
        self._drop_held()
        self.flowing.set()  # lets held pumps run into their closed sockets and end
        _close(self._listener)

    def _drop_held(self) -> None:
        with self._lock:
            for sock in self._held:
                _close(sock)
            self._held.clear()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                _close(client)
                continue
            if not self.flowing.is_set():
                with self._lock:
                    self._held.append(client)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open += [client, upstream]
            _Link(self, client, upstream).start()


# How a client asks the server to commit: MySQL's COM_QUERY packet (command byte 3) and
# PostgreSQL's simple Query message ("Q", its length 11, the text with its NUL).
_COMMITS = (b"\x03COMMIT", b"Q\x00\x00\x00\x0bCOMMIT\x00")
_RECORDS_SPEND = b"INSERT INTO bg_spend_events"


class _Link:
    """One client connection and its connection upstream, pumped both ways by two threads."""

    def __init__(self, proxy: Proxy, client: socket.socket, upstream: socket.socket) -> None:
        self._proxy, self._client, self._upstream = proxy, client, upstream
        self._spending = threading.Event()
        self._committing = threading.Event()
        self._committed = threading.Event()
        self._passed = 0

    def start(self) -> None:
        for pump in (self._requests, self._answers):
            threading.Thread(target=pump, daemon=True).start()

    def _requests(self) -> None:
        with self._closing():
            while data := self._client.recv(65536):
                if self._committed.is_set() and self._proxy.resets is Reset.ANSWER_READ:
                    if self._passed >= self._proxy.passing:
                        _reset(self._client)  # what it sends now never arrives
                        return
                    self._passed += 1
                if self._proxy.resets is not None:
                    self._watch(data)
                self._proxy.flowing.wait()
                self._upstream.sendall(data)

    def _watch(self, data: bytes) -> None:
        # Only the commit of a transaction that recorded spend: connections commit their
        # settings as they are set up too (MySQL's isolation level), and those must pass.
        if _RECORDS_SPEND in data:
            self._spending.set()
        if self._spending.is_set() and any(commit in data for commit in _COMMITS):
            self._committing.set()

    def _answers(self) -> None:
        with self._closing():
            while data := self._upstream.recv(65536):
                self._proxy.flowing.wait()
                if self._committing.is_set():
                    self._committed.set()  # before the client can answer it
                self._client.sendall(data)
                if self._committed.is_set() and self._proxy.resets is Reset.ANSWER_SENT:
                    _reset(self._client)
                    return

    @contextlib.contextmanager
    def _closing(self) -> Iterator[None]:
        try:
            yield
        except OSError:
            pass
        finally:
            _close(self._client)
            _close(self._upstream)


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN, as a failing network or a killed peer would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
